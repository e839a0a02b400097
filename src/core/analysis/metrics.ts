// Full-reference image quality: PSNR (RGB), SSIM and MS-SSIM (on BT.601 luma), the usual definitions.
import { GscError } from '../util/errors'
import { luma, type RgbImage } from '../image/rgbImage'

/** Standard SSIM constants (Wang et al. 2004) for 8-bit data. */
const K1 = 0.01
const K2 = 0.03
const L = 255
/** MS-SSIM weights for 5 scales (Wang, Simoncelli, Bovik 2003). */
export const MSSSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

function sameSize(a: RgbImage, b: RgbImage): void {
  if (a.width !== b.width || a.height !== b.height)
    throw new GscError(`images differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`)
}

/** Mean squared error over all RGB samples. */
export function mse(a: RgbImage, b: RgbImage): number {
  sameSize(a, b)
  let s = 0
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i]
    s += d * d
  }
  return s / a.data.length
}

/** PSNR in dB over all RGB samples, peak 255; Infinity for identical images. */
export function psnr(a: RgbImage, b: RgbImage): number {
  const m = mse(a, b)
  return m === 0 ? Infinity : 10 * Math.log10((255 * 255) / m)
}

/** Normalised 1-D Gaussian taps. */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size)
  const c = (size - 1) / 2
  let s = 0
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma))
    s += k[i]
  }
  for (let i = 0; i < size; i++) k[i] /= s
  return k
}

/** Separable 'valid' filtering (no padding), as in the reference MATLAB ssim: out is (h-k+1) x (w-k+1). */
function filterValid(src: Float64Array, w: number, h: number, k: Float64Array): Float64Array {
  const n = k.length
  const ow = w - n + 1
  const oh = h - n + 1
  const tmp = new Float64Array(ow * h)
  for (let y = 0; y < h; y++) {
    const row = y * w
    for (let x = 0; x < ow; x++) {
      let s = 0
      for (let i = 0; i < n; i++) s += k[i] * src[row + x + i]
      tmp[y * ow + x] = s
    }
  }
  const out = new Float64Array(ow * oh)
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0
      for (let i = 0; i < n; i++) s += k[i] * tmp[(y + i) * ow + x]
      out[y * ow + x] = s
    }
  }
  return out
}

export interface SsimParts {
  /** Mean SSIM over the valid window positions. */
  ssim: number
  /** Mean contrast-structure term (the factor MS-SSIM uses at the finer scales). */
  cs: number
}

export interface SsimOptions {
  windowSize?: number
  sigma?: number
  /** Dynamic range of the values (255 for 8-bit). */
  dataRange?: number
}

/** A reference plane with its local means and squares under the SSIM window: what every comparison with it reuses. */
export interface SsimReference {
  plane: Float64Array
  w: number
  h: number
  kernel: Float64Array
  mean: Float64Array
  meanSquare: Float64Array
  c1: number
  c2: number
}

/** The window statistics of plane x (see ssimPlanes for the window and constants). */
export function ssimReference(x: Float64Array, w: number, h: number, opts: SsimOptions = {}): SsimReference {
  if (x.length !== w * h) throw new GscError('ssim: plane sizes do not match')
  let size = opts.windowSize ?? 11
  const sigma = opts.sigma ?? 1.5
  const range = opts.dataRange ?? L
  size = Math.min(size, w, h)
  if (size % 2 === 0) size -= 1
  if (size < 1) throw new GscError('ssim: empty image')
  const kernel = gaussianKernel(size, sigma)
  const xx = new Float64Array(w * h)
  for (let i = 0; i < xx.length; i++) xx[i] = x[i] * x[i]
  const mean = filterValid(x, w, h, kernel)
  const meanSquare = filterValid(xx, w, h, kernel)
  return { plane: x, w, h, kernel, mean, meanSquare, c1: (K1 * range) ** 2, c2: (K2 * range) ** 2 }
}

/** SSIM of plane y against a reference of the same size. */
export function ssimAgainst(ref: SsimReference, y: Float64Array): SsimParts {
  const { plane: x, w, h, kernel: k, mean: mx, meanSquare: sxx, c1, c2 } = ref
  if (y.length !== w * h) throw new GscError('ssim: plane sizes do not match')
  const yy = new Float64Array(y.length)
  const xy = new Float64Array(y.length)
  for (let i = 0; i < y.length; i++) {
    yy[i] = y[i] * y[i]
    xy[i] = x[i] * y[i]
  }
  const my = filterValid(y, w, h, k)
  const syy = filterValid(yy, w, h, k)
  const sxy = filterValid(xy, w, h, k)
  let ssum = 0
  let csum = 0
  for (let i = 0; i < mx.length; i++) {
    const vx = sxx[i] - mx[i] * mx[i]
    const vy = syy[i] - my[i] * my[i]
    const cov = sxy[i] - mx[i] * my[i]
    const cs = (2 * cov + c2) / (vx + vy + c2)
    const l = (2 * mx[i] * my[i] + c1) / (mx[i] * mx[i] + my[i] * my[i] + c1)
    ssum += l * cs
    csum += cs
  }
  return { ssim: ssum / mx.length, cs: csum / mx.length }
}

/**
 * SSIM between two planes of equal size with a Gaussian window (default 11x11, sigma 1.5).
 * A plane smaller than the window uses a window of its smaller side (odd), so tiny inputs still get a score.
 */
export function ssimPlanes(x: Float64Array, y: Float64Array, w: number, h: number, opts: SsimOptions = {}): SsimParts {
  if (x.length !== w * h || y.length !== w * h) throw new GscError('ssim: plane sizes do not match')
  return ssimAgainst(ssimReference(x, w, h, opts), y)
}

/** SSIM on BT.601 luma, Gaussian 11x11 window, sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255. */
export function ssim(a: RgbImage, b: RgbImage): number {
  sameSize(a, b)
  return ssimPlanes(luma(a), luma(b), a.width, a.height).ssim
}

/** 2x2 average pooling (odd trailing row/column dropped), as between MS-SSIM scales. */
export function downsample2(src: Float64Array, w: number, h: number): { data: Float64Array; w: number; h: number } {
  const ow = Math.floor(w / 2)
  const oh = Math.floor(h / 2)
  const out = new Float64Array(ow * oh)
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const i = 2 * y * w + 2 * x
      out[y * ow + x] = (src[i] + src[i + 1] + src[i + w] + src[i + w + 1]) / 4
    }
  }
  return { data: out, w: ow, h: oh }
}

/** An original's MS-SSIM scales (luma pyramid and window statistics), kept to compare many reconstructions with it. */
export interface MsssimReference {
  width: number
  height: number
  scales: SsimReference[]
}

/** The reference side of msssim(a, ·), computed once. */
export function msssimReference(a: RgbImage): MsssimReference {
  let x = luma(a)
  let w = a.width
  let h = a.height
  let count = 5
  while (count > 1 && Math.min(w, h) / 2 ** (count - 1) < 11) count--
  const scales: SsimReference[] = []
  for (let s = 0; s < count; s++) {
    scales.push(ssimReference(x, w, h))
    if (s < count - 1) ({ data: x, w, h } = downsample2(x, w, h))
  }
  return { width: a.width, height: a.height, scales }
}

/** msssim(a, b) given msssimReference(a): the same value, without recomputing a's side. */
export function msssimAgainst(ref: MsssimReference, b: RgbImage): number {
  if (ref.width !== b.width || ref.height !== b.height)
    throw new GscError(`images differ in size: ${ref.width}x${ref.height} vs ${b.width}x${b.height}`)
  let y = luma(b)
  let w = b.width
  let h = b.height
  const scales = ref.scales.length
  const weights = MSSSIM_WEIGHTS.slice(0, scales)
  const wsum = weights.reduce((s, v) => s + v, 0)
  let result = 1
  for (let s = 0; s < scales; s++) {
    const parts = ssimAgainst(ref.scales[s], y)
    const term = s === scales - 1 ? parts.ssim : parts.cs
    result *= Math.max(term, 0) ** (weights[s] / wsum)
    if (s < scales - 1) ({ data: y, w, h } = downsample2(y, w, h))
  }
  return result
}

/**
 * MS-SSIM on luma: 5 scales with the standard weights, 2x2 average pooling between scales,
 * product of cs^w at scales 1..4 and ssim^w at scale 5 (negative terms clamped to 0).
 * Images too small for 5 scales of an 11x11 window (side < 176) use as many scales as fit
 * (at least one, with renormalised weights), so the value stays defined for small crops.
 */
export function msssim(a: RgbImage, b: RgbImage): number {
  sameSize(a, b)
  return msssimAgainst(msssimReference(a), b)
}
