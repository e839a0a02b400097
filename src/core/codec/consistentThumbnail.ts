// The station's last step for set 22 (manifest modelSets[22].consistentThumbnail): the decoded picture seen through
// the thumbnails' own window (32-px Hann, stride 16, edges replicated, as g_a makes channels 1-3) is moved onto the
// Y, Cb, Cr thumbnails the packet carried, by adding the difference upsampled x16 (bilinear, as the decoder draws its
// colour path). Why: set 5's decoder, trained for 2,200 steps on two cores, does not keep its output's colour and
// brightness at the thumbnails' scale where the packet put them; the packet says what they are. The correction is
// smooth at 1/16 scale: it draws no edge of its own. Set 28 carries its luma at 1/4 scale and moves the picture's luma
// onto it through an 8-px window at stride 4 (its correction smooth at 1/4 scale).
import { GscError } from '../util/errors'
import { CB_TO_B, CB_TO_G, CR_TO_G, CR_TO_R, RGB_TO_YCBCR } from '../image/ycbcr'

export interface ThumbnailNorm {
  /** g_a's thumbnail channel p = scale[p] x (the window's average of plane p) + offset[p]; planes Y, Cb + 0.5, Cr + 0.5 in 0..1. */
  scale: readonly number[]
  offset: readonly number[]
  /** The planes the correction moves (0 Y, 1 Cb, 2 Cr). */
  planes: readonly number[]
}

const S = 16

/** The normalised Hann window of 2s taps (one axis): at s = 16 training/latent/latent_codec.py hann_lowpass's. */
function hann(s: number): Float64Array {
  const w = Array.from({ length: 2 * s }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / (2 * s)) ** 2)
  const sum = w.reduce((a, b) => a + b, 0)
  return Float64Array.from(w, (v) => v / sum)
}
const HANN = new Map<number, Float64Array>()
const hannOf = (s: number) => HANN.get(s) ?? HANN.set(s, hann(s)).get(s)!

/** Plane of W x H -> its (H / s) x (W / s) averages through a 2s-px Hann window at stride s (edges replicated), separably. */
export function windowAverages(plane: ArrayLike<number>, W: number, H: number, s: number = S): Float64Array {
  const lh = H / s
  const lw = W / s
  const win = hannOf(s)
  const rows = new Float64Array(H * lw)
  for (let y = 0; y < H; y++)
    for (let X = 0; X < lw; X++) {
      let sum = 0
      for (let i = 0; i < 2 * s; i++) sum += win[i] * plane[y * W + Math.min(W - 1, Math.max(0, X * s - s / 2 + i))]
      rows[y * lw + X] = sum
    }
  const out = new Float64Array(lh * lw)
  for (let Y = 0; Y < lh; Y++)
    for (let X = 0; X < lw; X++) {
      let sum = 0
      for (let j = 0; j < 2 * s; j++) sum += win[j] * rows[Math.min(H - 1, Math.max(0, Y * s - s / 2 + j)) * lw + X]
      out[Y * lw + X] = sum
    }
  return out
}

/** One axis of bilinear x s upsampling (align_corners false): the two source cells and the weight of the second. */
function taps(n: number, cells: number, s: number): { a: Int32Array; b: Int32Array; t: Float64Array } {
  const a = new Int32Array(n)
  const b = new Int32Array(n)
  const t = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const f = Math.max(0, (i + 0.5) / s - 0.5)
    a[i] = Math.min(cells - 1, Math.floor(f))
    b[i] = Math.min(cells - 1, a[i] + 1)
    t[i] = a[i] === cells - 1 ? 0 : f - a[i]
  }
  return { a, b, t }
}

/** Adds to `plane` (W x H) the cells `d` ((H / s) x (W / s)) upsampled x s, bilinear (as the decoder draws its colour path). */
export function addUpsampled(plane: Float64Array, W: number, H: number, d: ArrayLike<number>, s: number = S): void {
  const lw = W / s
  const ty = taps(H, H / s, s)
  const tx = taps(W, lw, s)
  for (let y = 0; y < H; y++) {
    const r0 = ty.a[y] * lw
    const r1 = ty.b[y] * lw
    const v = ty.t[y]
    for (let x = 0; x < W; x++) {
      const u = tx.t[x]
      const top = d[r0 + tx.a[x]] * (1 - u) + d[r0 + tx.b[x]] * u
      const bottom = d[r1 + tx.a[x]] * (1 - u) + d[r1 + tx.b[x]] * u
      plane[y * W + x] += top * (1 - v) + bottom * v
    }
  }
}

/**
 * In place on the decoder's planar RGB (3 x 16lh x 16lw, 0..1 scale): each listed plane's window averages moved onto
 * `thumbnails` (g_a's units, converted with norm): Y (lumaFactor lh x lumaFactor lw, seen through a window of
 * 32 / lumaFactor px at stride 16 / lumaFactor), then Cb and Cr (lh x lw each).
 */
export function makeThumbnailConsistent(rgb: Float32Array, lh: number, lw: number, thumbnails: Float32Array, norm: ThumbnailNorm, lumaFactor = 1): void {
  const H = lh * S
  const W = lw * S
  const n = W * H
  const m = lh * lw
  const lumaCells = lumaFactor * lumaFactor * m
  if (rgb.length !== 3 * n || thumbnails.length !== lumaCells + 2 * m || S % lumaFactor !== 0)
    throw new GscError(`consistent thumbnail: ${rgb.length} pixels and ${thumbnails.length} thumbnail values for a ${lh}x${lw} latent (luma factor ${lumaFactor})`)
  const ycc = [0, 1, 2].map((p) => {
    const [r, g, b] = RGB_TO_YCBCR[p]
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = r * rgb[i] + g * rgb[n + i] + b * rgb[2 * n + i] + (p > 0 ? 0.5 : 0)
    return out
  })
  for (const p of norm.planes) {
    const s = p === 0 ? S / lumaFactor : S
    const [from, cells] = p === 0 ? [0, lumaCells] : [lumaCells + (p - 1) * m, m]
    const seen = windowAverages(ycc[p], W, H, s)
    const d = new Float64Array(cells)
    for (let i = 0; i < cells; i++) d[i] = (thumbnails[from + i] - norm.offset[p]) / norm.scale[p] - seen[i]
    addUpsampled(ycc[p], W, H, d, s)
  }
  for (let i = 0; i < n; i++) {
    const Y = ycc[0][i]
    const cb = ycc[1][i] - 0.5
    const cr = ycc[2][i] - 0.5
    rgb[i] = Y + CR_TO_R * cr
    rgb[n + i] = Y + CB_TO_G * cb + CR_TO_G * cr
    rgb[2 * n + i] = Y + CB_TO_B * cb
  }
}
