// Calibration table: bench measurements grouped by scene (dataset), turned into planner candidates.
import { GscError } from '../util/errors'
import type { PlanCandidate, PlanImage } from './types'

/** The analyses whose disagreement can be the planner's V (each 0..1, 0 = the reconstruction agrees fully). */
export const PLAN_TASKS = ['detection', 'segmentation', 'depth'] as const
export type PlanTask = (typeof PLAN_TASKS)[number]
export type TaskValues = Partial<Record<PlanTask, number>>

/** What each task's V is, in words (for help texts and outputs). */
export const TASK_V: Record<PlanTask, string> = {
  detection: '1 - detection F1',
  segmentation: '1 - segmentation agreement mIoU',
  depth: '1 - depth agreement delta1'
}

/**
 * The analyst's V: weights per task, V = sum(w_t * V_t) / sum(w_t), so a mix stays in 0..1. Default: detection
 * alone (the planner's behaviour before other analyses existed).
 */
export type PlanObjective = TaskValues
export const DEFAULT_OBJECTIVE: PlanObjective = { detection: 1 }

/** 'detection', 'segmentation', 'depth', or a weighted mix 'detection=0.5,depth=0.5'. */
export function parseObjective(text: string): PlanObjective {
  const out: PlanObjective = {}
  for (const part of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [name, w, extra] = part.split('=').map((x) => x.trim())
    if (!(PLAN_TASKS as readonly string[]).includes(name) || extra !== undefined)
      throw new GscError(`V must be one of ${PLAN_TASKS.join(', ')} or a weighted mix like detection=0.5,depth=0.5; got '${text}'`)
    const weight = w === undefined ? 1 : Number(w)
    if (!Number.isFinite(weight) || weight < 0) throw new GscError(`weight of ${name} must be a number >= 0; got '${w}'`)
    out[name as PlanTask] = weight
  }
  return checkObjective(out)
}

export function checkObjective(o: PlanObjective): PlanObjective {
  const entries = Object.entries(o).filter(([, w]) => w !== undefined)
  if (!entries.length || entries.every(([, w]) => w === 0)) throw new GscError('V needs at least one task with a weight > 0')
  for (const [k, w] of entries) {
    if (!(PLAN_TASKS as readonly string[]).includes(k)) throw new GscError(`unknown V task '${k}' (have: ${PLAN_TASKS.join(', ')})`)
    if (!Number.isFinite(w) || w! < 0) throw new GscError(`weight of ${k} must be a number >= 0; got ${w}`)
  }
  return o
}

/** "1 - detection F1", or "0.5*(1 - detection F1) + 0.5*(1 - depth agreement delta1)" (normalised weights). */
export function describeObjective(o: PlanObjective): string {
  const used = PLAN_TASKS.filter((t) => (o[t] ?? 0) > 0)
  if (used.length === 1) return TASK_V[used[0]]
  const sum = used.reduce((s, t) => s + o[t]!, 0)
  return used.map((t) => `${+(o[t]! / sum).toFixed(4)}*(${TASK_V[t]})`).join(' + ')
}

/** V of one measurement under the objective; null when a weighted task was not measured. */
export function objectiveValue(v: TaskValues, o: PlanObjective): number | null {
  let sum = 0
  let weights = 0
  for (const t of PLAN_TASKS) {
    const w = o[t] ?? 0
    if (w === 0) continue
    const x = v[t]
    if (x === undefined || !Number.isFinite(x)) return null
    sum += w * x
    weights += w
  }
  return weights > 0 ? Math.min(1, Math.max(0, sum / weights)) : null
}

export interface CalibrationRow {
  image: string
  scene: string
  c: number
  bits: number
  /** Detection V, 1 - F1; null when no detector was available for the measurement. */
  disagreement: number | null
  /** Segmentation V, 1 - agreement mIoU; absent/null when not measured. */
  segmentation?: number | null
  /** Depth V, 1 - agreement delta1; absent/null when not measured. */
  depth?: number | null
}

/** One measured C of one image: bits, and V per measured task (`disagreement` = detection, as in older tables). */
export interface CalibrationCandidate {
  c: number
  bits: number
  disagreement?: number
  v?: TaskValues
}

export interface CalibrationGroup {
  scene: string
  /** Means over the images measured at that C; meanDisagreement is detection's (null where only other tasks were). */
  perC: { c: number; meanBits: number; meanDisagreement: number | null; images: number; meanV?: TaskValues }[]
}

export interface CalibrationTable {
  formatVersion: 1
  groups: CalibrationGroup[]
  images: { id: string; scene: string; candidates: CalibrationCandidate[] }[]
}

const taskValuesOfRow = (r: CalibrationRow): TaskValues => {
  const v: TaskValues = {}
  if (r.disagreement !== null && Number.isFinite(r.disagreement)) v.detection = r.disagreement
  if (r.segmentation !== null && r.segmentation !== undefined && Number.isFinite(r.segmentation)) v.segmentation = r.segmentation
  if (r.depth !== null && r.depth !== undefined && Number.isFinite(r.depth)) v.depth = r.depth
  return v
}

/** V per task of a table candidate (tables written before other tasks existed carry detection only). */
export function taskValues(c: CalibrationCandidate): TaskValues {
  return { ...(c.disagreement !== undefined ? { detection: c.disagreement } : {}), ...c.v }
}

/** Means per C over candidates: bits over all, each task's V over the candidates that have it. */
function meansPerC(cands: { c: number; bits: number; v: TaskValues }[]): CalibrationGroup['perC'] {
  const m = new Map<number, { bits: number; n: number; v: Partial<Record<PlanTask, { sum: number; n: number }>> }>()
  for (const k of cands) {
    const acc = m.get(k.c) ?? { bits: 0, n: 0, v: {} }
    acc.bits += k.bits
    acc.n += 1
    for (const t of PLAN_TASKS)
      if (k.v[t] !== undefined) {
        const a = (acc.v[t] ??= { sum: 0, n: 0 })
        a.sum += k.v[t]!
        a.n += 1
      }
    m.set(k.c, acc)
  }
  return [...m.entries()]
    .sort(([a], [b]) => a - b)
    .map(([c, a]) => {
      const meanV: TaskValues = {}
      for (const t of PLAN_TASKS) if (a.v[t]) meanV[t] = a.v[t]!.sum / a.v[t]!.n
      return { c, meanBits: a.bits / a.n, meanDisagreement: meanV.detection ?? null, images: a.n, meanV }
    })
}

export function buildCalibration(rows: readonly CalibrationRow[]): CalibrationTable {
  const usable = rows.map((r) => ({ r, v: taskValuesOfRow(r) })).filter((x) => x.r.bits > 0 && Object.keys(x.v).length > 0)
  const byScene = new Map<string, { c: number; bits: number; v: TaskValues }[]>()
  const byImage = new Map<string, { id: string; scene: string; candidates: CalibrationCandidate[] }>()
  for (const { r, v } of usable) {
    const scene = byScene.get(r.scene) ?? []
    byScene.set(r.scene, scene)
    scene.push({ c: r.c, bits: r.bits, v })
    const key = `${r.scene}/${r.image}`
    const img = byImage.get(key) ?? { id: key, scene: r.scene, candidates: [] }
    const { detection, ...others } = v
    img.candidates.push({ c: r.c, bits: r.bits, ...(detection !== undefined ? { disagreement: detection } : {}), ...(Object.keys(others).length ? { v: others } : {}) })
    byImage.set(key, img)
  }
  const groups = [...byScene.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([scene, cands]) => ({ scene, perC: meansPerC(cands) }))
  return { formatVersion: 1, groups, images: [...byImage.values()] }
}

/** Pools every scene into one group (weighted by image count), for planning with no scene named. */
export function pooledGroup(table: CalibrationTable): CalibrationGroup {
  return { scene: 'all', perC: meansPerC(table.images.flatMap((i) => i.candidates.map((k) => ({ c: k.c, bits: k.bits, v: taskValues(k) })))) }
}

export type PlanSource = { mode: 'per-image'; scene?: string } | { mode: 'table'; scene?: string; count: number }

/**
 * Planner images from a table: either the measured images with their own candidates, or `count`
 * future images of one scene that each get that scene's mean bits and V per C. V is the objective's
 * (default: detection disagreement); candidates without a measurement of a weighted task are left out.
 */
export function planImagesFromTable(table: CalibrationTable, source: PlanSource, objective: PlanObjective = DEFAULT_OBJECTIVE): PlanImage[] {
  if (table.groups.length === 0 || table.images.length === 0)
    throw new GscError('calibration table is empty: no measurement with both bits and a disagreement (detection, segmentation or depth)')
  checkObjective(objective)
  const scenes = table.groups.map((g) => g.scene)
  if (source.scene !== undefined && source.scene !== 'all' && !scenes.includes(source.scene))
    throw new GscError(`scene '${source.scene}' is not in the table (have: ${scenes.join(', ')})`)
  const inScene = table.images.filter((i) => source.scene === undefined || source.scene === 'all' || i.scene === source.scene)
  const withV = inScene
    .map((i) => ({
      id: i.id,
      candidates: i.candidates.flatMap((k) => {
        const v = objectiveValue(taskValues(k), objective)
        return v === null ? [] : [{ c: k.c, bits: k.bits, disagreement: v }]
      })
    }))
    .filter((i) => i.candidates.length > 0)
  if (withV.length === 0) throw new GscError(`the calibration table has no measurement of ${describeObjective(objective)}${source.scene ? ` for scene '${source.scene}'` : ''} (run gsc bench with --analyses on data that supports it)`)
  if (source.mode === 'per-image') return withV
  if (!Number.isInteger(source.count) || source.count < 1) throw new GscError(`number of images must be a positive integer, got ${source.count}`)
  const name = source.scene === undefined || source.scene === 'all' ? 'all' : source.scene
  const candidates = meansPerC(withV.flatMap((i) => i.candidates.map((k) => ({ c: k.c, bits: k.bits, v: { detection: k.disagreement } })))).map((p) => ({
    c: p.c,
    bits: Math.round(p.meanBits),
    disagreement: p.meanV!.detection!
  }))
  return Array.from({ length: source.count }, (_, k) => ({ id: `${name}#${k + 1}`, candidates: candidates.map((c) => ({ ...c })) }))
}
