// Monocular depth metrics of Eigen et al. (NIPS 2014) as the self-supervised literature reports them (Monodepth2,
// PyDNet): the prediction is a relative inverse depth, scaled per image by median(gt) / median(pred) over the valid
// pixels, clamped to [minDepth, maxDepth], and compared with sparse ground truth only where it exists.
//   delta_k  = share of pixels with max(pred/gt, gt/pred) < 1.25^k      (higher is better)
//   AbsRel   = mean |pred - gt| / gt                                    (lower is better)
//   SqRel    = mean (pred - gt)^2 / gt
//   RMSE     = sqrt(mean (pred - gt)^2)            in metres once scaled
//   RMSE log = sqrt(mean (ln pred - ln gt)^2)
// Pure functions on Float32Arrays; nothing here runs a model.
import { GscError } from '../util/errors'

export interface DepthMetrics {
  delta1: number
  delta2: number
  delta3: number
  absRel: number
  sqRel: number
  rmse: number
  rmseLog: number
  /** Pixels compared. */
  count: number
  /** The median-scaling factor applied to the prediction (1 when scaling is off). */
  scale: number
}

export interface DepthEvalOptions {
  /** Ground truth above this is ignored and predictions are clamped to it (the usual KITTI cap: 80 m). */
  maxDepth?: number
  /** Ground truth at or below this is ignored and predictions are clamped to it (1e-3 m as in Monodepth2). */
  minDepth?: number
  /** Garg et al.'s crop (rows 0.408..0.992, columns 0.036..0.964 of the frame), the Eigen-split convention. */
  gargCrop?: boolean
  /** Per-image median scaling (the self-supervised convention); default true. */
  medianScaling?: boolean
}

export const KITTI_MAX_DEPTH = 80
export const KITTI_MIN_DEPTH = 1e-3

function median(values: Float64Array): number {
  const s = Float64Array.from(values).sort()
  const n = s.length
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

/** True where (x, y) lies inside Garg's crop of a width x height frame (row-major mask). */
export function gargCropMask(width: number, height: number): Uint8Array {
  const m = new Uint8Array(width * height)
  const y0 = Math.floor(0.40810811 * height)
  const y1 = Math.floor(0.99189189 * height)
  const x0 = Math.floor(0.03594771 * width)
  const x1 = Math.floor(0.96405229 * width)
  for (let y = y0; y < y1; y++) m.fill(1, y * width + x0, y * width + x1)
  return m
}

/**
 * Metrics of a predicted depth map (metres or any relative unit: median scaling removes the unit) against sparse
 * ground truth of the same size (0 = no measurement). Throws GscError for mismatched sizes or no valid pixel.
 */
export function depthMetrics(pred: Float32Array, gt: Float32Array, width: number, height: number, opts: DepthEvalOptions = {}): DepthMetrics {
  const n = width * height
  if (pred.length !== n || gt.length !== n)
    throw new GscError(`depth metrics need maps of ${width}x${height} = ${n} values; got ${pred.length} and ${gt.length}`)
  const maxD = opts.maxDepth ?? KITTI_MAX_DEPTH
  const minD = opts.minDepth ?? KITTI_MIN_DEPTH
  const crop = opts.gargCrop ? gargCropMask(width, height) : null
  const idx: number[] = []
  for (let i = 0; i < n; i++) {
    const g = gt[i]
    if (g > minD && g < maxD && (!crop || crop[i]) && Number.isFinite(pred[i]) && pred[i] > 0) idx.push(i)
  }
  if (idx.length === 0) throw new GscError('depth metrics: no pixel has valid ground truth and a positive prediction')
  const p = new Float64Array(idx.length)
  const g = new Float64Array(idx.length)
  idx.forEach((i, k) => {
    p[k] = pred[i]
    g[k] = gt[i]
  })
  const scale = opts.medianScaling === false ? 1 : median(g) / median(p)
  let d1 = 0, d2 = 0, d3 = 0, absRel = 0, sqRel = 0, se = 0, seLog = 0
  for (let k = 0; k < p.length; k++) {
    const pk = Math.min(Math.max(p[k] * scale, minD), maxD)
    const gk = g[k]
    const r = Math.max(pk / gk, gk / pk)
    if (r < 1.25) d1++
    if (r < 1.25 ** 2) d2++
    if (r < 1.25 ** 3) d3++
    const e = pk - gk
    absRel += Math.abs(e) / gk
    sqRel += (e * e) / gk
    se += e * e
    const l = Math.log(pk) - Math.log(gk)
    seLog += l * l
  }
  const m = p.length
  return { delta1: d1 / m, delta2: d2 / m, delta3: d3 / m, absRel: absRel / m, sqRel: sqRel / m, rmse: Math.sqrt(se / m), rmseLog: Math.sqrt(seLog / m), count: m, scale }
}

/** Depth from relative inverse depth (1 / d); values <= 0 become +Infinity, which depthMetrics skips. */
export function inverseToDepth(inv: Float32Array): Float32Array {
  const out = new Float32Array(inv.length)
  for (let i = 0; i < inv.length; i++) out[i] = inv[i] > 0 ? 1 / inv[i] : Infinity
  return out
}

/**
 * Bilinear resampling of a one-channel map to outW x outH with half-pixel centres (as cv2.resize and
 * F.interpolate(align_corners=False) do when Monodepth2 brings a prediction to the ground truth's size).
 */
export function resizeMapBilinear(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  if (src.length !== w * h) throw new GscError(`map has ${src.length} values, expected ${w}x${h}`)
  const out = new Float32Array(outW * outH)
  const sx = w / outW
  const sy = h / outH
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, h - 1)
    const ty = fy - y0
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, w - 1)
      const tx = fx - x0
      const top = src[y0 * w + x0] * (1 - tx) + src[y0 * w + x1] * tx
      const bot = src[y1 * w + x0] * (1 - tx) + src[y1 * w + x1] * tx
      out[y * outW + x] = top * (1 - ty) + bot * ty
    }
  }
  return out
}
