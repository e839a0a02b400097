// Rate-distortion tables for the planner view: a `gsc bench` results.json when the operator loads
// one, otherwise an estimate scaled from the packets in the log (labelled as such in the interface).
import { DEFAULT_OBJECTIVE, PLAN_TASKS, buildCalibration, planImagesFromTable, type CalibrationTable as BenchTable, type PlanObjective } from '../planner/calibration'
import type { CalibrationPoint, CalibrationTable } from '../../shared/api'
import { GscError } from '../util/errors'

export const C_VALUES = [1, 2, 4, 8, 16]

export function parseBenchResults(name: string, text: string): { table: CalibrationTable; bench: BenchTable } {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new GscError(`${name} is not JSON`)
  }
  const t = ((doc as { calibration?: unknown })?.calibration ?? doc) as Partial<BenchTable> & { rows?: unknown }
  let bench: BenchTable
  if (Array.isArray(t.groups) && Array.isArray(t.images)) bench = t as BenchTable
  else if (Array.isArray(t.rows)) bench = buildCalibration(t.rows as Parameters<typeof buildCalibration>[0])
  else throw new GscError(`${name} is not a calibration table (expected a gsc bench results.json with a "calibration" field)`)
  if (bench.groups.length === 0 || bench.images.length === 0) throw new GscError(`${name}: calibration table is empty`)
  // Shown with detection's V when the table has it, else with the first task it has.
  for (const objective of [DEFAULT_OBJECTIVE, ...PLAN_TASKS.map((t) => ({ [t]: 1 }))]) {
    try {
      return { bench, table: benchView(name, bench, objective) }
    } catch {
      // no measurement of this task: try the next
    }
  }
  throw new GscError(`${name}: calibration table has no disagreement of any task`)
}

/** The table as the planner view shows it, with V = the objective (per image, and the pooled mean curve per C). */
export function benchView(name: string, bench: BenchTable, objective: PlanObjective): CalibrationTable {
  const images = planImagesFromTable(bench, { mode: 'per-image' }, objective)
  const curve = planImagesFromTable(bench, { mode: 'table', count: 1 }, objective)[0].candidates
  return { source: name, kind: 'bench', images, curve }
}

export interface LogPacketForEstimate {
  id: number
  c: number
  totalBits: number
  latentBits: number
  /** 1 - F1 measured on this packet's reconstruction, when it has been decoded. */
  measuredDisagreement: number | null
}

/**
 * Candidates per C for a packet sent with C0 channels: the non-latent bits stay, latent bits scale
 * with C. Disagreement follows a 1/sqrt(C) prior anchored at the measured value when there is one.
 * This is an estimate for planning before a bench table exists, not a measurement.
 */
export function estimateCandidates(p: LogPacketForEstimate): CalibrationPoint[] {
  const fixed = Math.max(0, p.totalBits - p.latentBits)
  const perChannel = p.c > 0 ? p.latentBits / p.c : 0
  const anchor = p.measuredDisagreement ?? 0.5 / Math.sqrt(Math.max(1, p.c))
  return C_VALUES.map((c) => ({
    c,
    bits: Math.round(fixed + perChannel * c),
    disagreement: Math.min(1, Math.max(0, anchor * Math.sqrt(Math.max(1, p.c) / c)))
  }))
}

export function estimateFromLog(packets: LogPacketForEstimate[]): CalibrationTable {
  if (packets.length === 0) throw new GscError('no decodable packets in the log to estimate a calibration table from; load a gsc bench results.json')
  const images = packets.map((p) => ({ id: `packet ${p.id}`, candidates: estimateCandidates(p) }))
  const curve = C_VALUES.map((c) => {
    const pts = images.map((i) => i.candidates.find((k) => k.c === c)!)
    return { c, bits: Math.round(pts.reduce((s, p) => s + p.bits, 0) / pts.length), disagreement: pts.reduce((s, p) => s + p.disagreement, 0) / pts.length }
  })
  return { source: `estimate from ${packets.length} packet(s) in the log`, kind: 'log-estimate', images, curve }
}
