// Planning: the rate-distortion calibration (a loaded `gsc bench` table, kept across restarts, or an
// estimate from the packets in the log) and the pass plan computed on it.
import type { ArgsOf, CalibrationTable, ResultOf } from '../../shared/api'
import { inspectPacket } from '../bitstream/inspect'
import { plan } from '../planner/planner'
import { DEFAULT_OBJECTIVE, checkObjective, planImagesFromTable, type CalibrationTable as BenchTable } from '../planner/calibration'
import type { PlanImage } from '../planner/types'
import { benchView, estimateFromLog, parseBenchResults, type LogPacketForEstimate } from './calibrationView'
import { decodeKey } from './decodeCache'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'
import { GscError } from '../util/errors'

export class PlanningDomain {
  private bench: { name: string; table: CalibrationTable; bench: BenchTable } | null = null

  /** Picks up the calibration saved by an earlier run (dropped if it no longer parses). */
  constructor(private engine: EngineContext) {
    const saved = engine.ui.getCalibration()
    if (!saved) return
    try {
      this.bench = { name: saved.name, ...parseBenchResults(saved.name, saved.json) }
    } catch {
      engine.ui.putCalibration('', null)
    }
  }

  readonly handlers: HandlerTable<'plan' | 'loadCalibration' | 'clearCalibration'> = {
    plan: async (a) => this.plan(a),
    loadCalibration: async (a) => {
      const parsed = parseBenchResults(a.name, a.json)
      this.bench = { name: a.name, ...parsed }
      this.engine.ui.putCalibration(a.name, a.json)
      void this.engine.events.add('info', 'planner', `calibration ${a.name} loaded (${parsed.table.images.length} images)`)
      return parsed.table
    },
    clearCalibration: async () => {
      this.bench = null
      this.engine.ui.putCalibration('', null)
      return { ok: true as const }
    }
  }

  /** The newest decodable packets, with their latent bits and, when decoded, their measured disagreement. */
  private async logEstimatePackets(max: number): Promise<LogPacketForEstimate[]> {
    const { log, decodes } = this.engine
    const stationSteps = this.engine.ui.getSettings().decodeSteps
    const rows = await log.list({ status: 'ok', orderBy: 'id', desc: true, limit: max })
    const out: LogPacketForEstimate[] = []
    for (const r of rows) {
      if (!r.channels) continue
      const rec = await log.get(r.id)
      const bits = rec ? inspectPacket(rec.raw, { maxPixels: this.engine.limits().maxPixels }).bits : undefined
      // Without a breakdown assume the latents take 60% of the packet.
      const latentBits = bits?.latents ?? Math.round(r.octets * 8 * 0.6)
      // The packet's plain reconstruction, as the station decodes it: not a seeded sample or an uncertainty map's
      // first sample, which the view may have shown since.
      const dec = decodes.find(decodeKey({ kind: 'reconstruction', packetId: r.id }, stationSteps))?.rec.agreement
      out.push({ id: r.id, c: r.channels, totalBits: r.octets * 8, latentBits, measuredDisagreement: dec ? 1 - dec.f1 : null })
    }
    return out.reverse()
  }

  private async plan(a: ArgsOf<'plan'>): Promise<ResultOf<'plan'>> {
    // V: the analyst's choice of task(s); the log estimate knows detection only.
    const objective = checkObjective(a.objective ?? DEFAULT_OBJECTIVE)
    const detectionOnly = Object.entries(objective).every(([t, w]) => t === 'detection' || !w)
    if (!this.bench && !detectionOnly) throw new GscError('planning on segmentation or depth needs a gsc bench calibration table (the log estimate has detection only)')
    const calibration = this.bench ? benchView(this.bench.name, this.bench.bench, objective) : estimateFromLog(await this.logEstimatePackets(200))
    let images: PlanImage[]
    if (this.bench) images = planImagesFromTable(this.bench.bench, { mode: 'table', count: a.images }, objective)
    else images = Array.from({ length: a.images }, (_, k) => {
      const src = calibration.images[k % calibration.images.length]
      return { id: a.images > calibration.images.length ? `${src.id} #${Math.floor(k / calibration.images.length) + 1}` : src.id, candidates: src.candidates }
    })
    const link = a.linkBps && a.passS ? { linkBps: a.linkBps, passS: a.passS } : undefined
    const r = plan({ alpha: a.alpha, beta: a.beta, images, link })
    return {
      calibration,
      result: {
        images: r.images.map((i) => ({ id: i.id, chosenC: i.chosen?.c ?? null, bits: i.chosen?.bits ?? 0, disagreement: i.chosen?.disagreement ?? null, cost: i.chosen?.cost ?? null })),
        totals: {
          imagesRequested: r.totals.imagesRequested,
          imagesSent: r.totals.imagesSent,
          linkBitsUsed: r.totals.linkBitsUsed,
          bitsAvailable: r.link?.bitsAvailableTotal ?? null,
          meanDisagreement: r.totals.meanDisagreementSent,
          objective: r.totals.objective
        },
        passFrontier: r.passFrontier,
        method: r.method
      }
    }
  }
}
