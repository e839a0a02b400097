// Calibration table: bench measurements grouped by scene (dataset), turned into planner candidates.
import { GscError } from '../util/errors'
import type { PlanCandidate, PlanImage } from './types'

export interface CalibrationRow {
  image: string
  scene: string
  c: number
  bits: number
  /** 1 - F1; null when no detector was available for the measurement. */
  disagreement: number | null
}

export interface CalibrationGroup {
  scene: string
  perC: { c: number; meanBits: number; meanDisagreement: number; images: number }[]
}

export interface CalibrationTable {
  formatVersion: 1
  groups: CalibrationGroup[]
  images: { id: string; scene: string; candidates: PlanCandidate[] }[]
}

export function buildCalibration(rows: readonly CalibrationRow[]): CalibrationTable {
  const usable = rows.filter((r) => r.disagreement !== null && Number.isFinite(r.disagreement) && r.bits > 0)
  const byScene = new Map<string, Map<number, { bits: number; dis: number; n: number }>>()
  const byImage = new Map<string, { id: string; scene: string; candidates: PlanCandidate[] }>()
  for (const r of usable) {
    const scene = byScene.get(r.scene) ?? new Map()
    byScene.set(r.scene, scene)
    const acc = scene.get(r.c) ?? { bits: 0, dis: 0, n: 0 }
    acc.bits += r.bits
    acc.dis += r.disagreement!
    acc.n += 1
    scene.set(r.c, acc)
    const key = `${r.scene}/${r.image}`
    const img = byImage.get(key) ?? { id: key, scene: r.scene, candidates: [] }
    img.candidates.push({ c: r.c, bits: r.bits, disagreement: r.disagreement! })
    byImage.set(key, img)
  }
  const groups = [...byScene.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([scene, m]) => ({
      scene,
      perC: [...m.entries()].sort(([a], [b]) => a - b).map(([c, a]) => ({ c, meanBits: a.bits / a.n, meanDisagreement: a.dis / a.n, images: a.n }))
    }))
  return { formatVersion: 1, groups, images: [...byImage.values()] }
}

/** Pools every scene into one group (weighted by image count), for planning with no scene named. */
export function pooledGroup(table: CalibrationTable): CalibrationGroup {
  const m = new Map<number, { bits: number; dis: number; n: number }>()
  for (const g of table.groups)
    for (const p of g.perC) {
      const acc = m.get(p.c) ?? { bits: 0, dis: 0, n: 0 }
      acc.bits += p.meanBits * p.images
      acc.dis += p.meanDisagreement * p.images
      acc.n += p.images
      m.set(p.c, acc)
    }
  return {
    scene: 'all',
    perC: [...m.entries()].sort(([a], [b]) => a - b).map(([c, a]) => ({ c, meanBits: a.bits / a.n, meanDisagreement: a.dis / a.n, images: a.n }))
  }
}

export type PlanSource = { mode: 'per-image'; scene?: string } | { mode: 'table'; scene?: string; count: number }

/**
 * Planner images from a table: either the measured images with their own candidates, or `count`
 * future images of one scene that each get that scene's mean bits and disagreement per C.
 */
export function planImagesFromTable(table: CalibrationTable, source: PlanSource): PlanImage[] {
  if (table.groups.length === 0 || table.images.length === 0)
    throw new GscError('calibration table is empty: no measurement with both bits and detection disagreement')
  const scenes = table.groups.map((g) => g.scene)
  if (source.scene !== undefined && source.scene !== 'all' && !scenes.includes(source.scene))
    throw new GscError(`scene '${source.scene}' is not in the table (have: ${scenes.join(', ')})`)
  if (source.mode === 'per-image') {
    const imgs = table.images.filter((i) => source.scene === undefined || source.scene === 'all' || i.scene === source.scene)
    return imgs.map((i) => ({ id: i.id, candidates: i.candidates.map((c) => ({ ...c })) }))
  }
  if (!Number.isInteger(source.count) || source.count < 1) throw new GscError(`number of images must be a positive integer, got ${source.count}`)
  const group = source.scene === undefined || source.scene === 'all' ? pooledGroup(table) : table.groups.find((g) => g.scene === source.scene)!
  const candidates = group.perC.map((p) => ({ c: p.c, bits: Math.round(p.meanBits), disagreement: p.meanDisagreement }))
  return Array.from({ length: source.count }, (_, k) => ({ id: `${group.scene}#${k + 1}`, candidates: candidates.map((c) => ({ ...c })) }))
}
