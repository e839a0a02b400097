// What the Image view draws of a scene analysis: label and depth maps packed one byte per pixel (zlib, base64),
// the classes present with their shares and IoU, and depth maps brought to one display range. Pure functions;
// the models run in analysisHandlers.ts.
import { deflateSync } from 'node:zlib'
import type { PackedMap, SegmentationClassInfo } from '../../shared/api'
import type { DepthMap } from '../analysis/depth'
import type { SegmentationMap } from '../analysis/segmentation'
import { classColours } from '../analysis/segmentationClasses'
import type { MiouResult } from '../analysis/segmentationMetrics'

export function packMap(bytes: Uint8Array, width: number, height: number): PackedMap {
  return { width, height, deflated: deflateSync(bytes, { level: 6 }).toString('base64') }
}

function shares(labels: Uint8Array, classes: number): Float64Array {
  const n = new Float64Array(classes)
  for (const l of labels) if (l < classes) n[l]++
  for (let c = 0; c < classes; c++) n[c] /= Math.max(1, labels.length)
  return n
}

/** Every class present on either side, largest first (by the larger of its two shares). */
export function presentClasses(rec: SegmentationMap, orig: SegmentationMap | null, agreement: MiouResult | null): SegmentationClassInfo[] {
  const k = rec.classes.length
  const colours = classColours(rec.dataset)
  const r = shares(rec.labels, k)
  const o = orig ? shares(orig.labels, k) : null
  const out: SegmentationClassInfo[] = []
  for (let c = 0; c < k; c++) {
    if (r[c] === 0 && (!o || o[c] === 0)) continue
    const iou = agreement?.perClass[c]
    out.push({ index: c, name: rec.classes[c], colour: colours[c], originalShare: o ? o[c] : null, reconstructionShare: r[c], iou: iou === undefined || Number.isNaN(iou) ? null : iou })
  }
  return out.sort((a, b) => Math.max(b.reconstructionShare, b.originalShare ?? 0) - Math.max(a.reconstructionShare, a.originalShare ?? 0))
}

function positiveMedian(v: Float32Array): number {
  const s = v.filter((x) => x > 0 && Number.isFinite(x)).sort()
  return s.length ? s[Math.floor(s.length / 2)] : NaN
}

function quantile(v: Float32Array, q: number): number {
  const s = Float32Array.from(v).sort()
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))]
}

/**
 * Both inverse-depth maps as 0..255 (255 nearest) on one range: the reconstruction is median-scaled onto the
 * reference (the original where there is one, the convention depthAgreement uses), and the reference's 2nd..98th
 * percentiles span the bytes, so the same colour means the same relative depth on both sides.
 */
export function depthForDisplay(rec: DepthMap, orig: DepthMap | null): { reconstruction: Uint8Array; original: Uint8Array | null; scaling: string } {
  const ref = orig ?? rec
  const scale = orig ? positiveMedian(orig.inverseDepth) / positiveMedian(rec.inverseDepth) : 1
  const s = Number.isFinite(scale) && scale > 0 ? scale : 1
  const lo = quantile(ref.inverseDepth, 0.02)
  const hi = Math.max(quantile(ref.inverseDepth, 0.98), lo + 1e-6)
  const toBytes = (inv: Float32Array, k: number) => {
    const out = new Uint8Array(inv.length)
    for (let i = 0; i < inv.length; i++) out[i] = Math.round(255 * Math.min(1, Math.max(0, (inv[i] * k - lo) / (hi - lo))))
    return out
  }
  const scaling = orig
    ? `relative inverse depth; the reconstruction median-scaled onto the original (×${s.toPrecision(3)}); colours span the original's 2nd–98th percentile`
    : "relative inverse depth; colours span the reconstruction's 2nd–98th percentile (attach the original to compare)"
  return { reconstruction: toBytes(rec.inverseDepth, s), original: orig ? toBytes(orig.inverseDepth, 1) : null, scaling }
}
