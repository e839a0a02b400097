// The station's last step for set 22 (manifest modelSets[22].consistentThumbnail): the decoded picture seen through
// the thumbnails' own window (32-px Hann, stride 16, edges replicated, as g_a makes channels 1-3) is moved onto the
// Y, Cb, Cr thumbnails the packet carried, by adding the difference upsampled x16 (bilinear, as the decoder draws its
// colour path). Why: set 5's decoder, trained for 2,200 steps on two cores, does not keep its output's colour and
// brightness at the thumbnails' scale where the packet put them; the packet says what they are. The correction is
// smooth at 1/16 scale: it draws no edge of its own.
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
/** The normalised 32-tap Hann window of training/latent/latent_codec.py hann_lowpass (one axis). */
const HANN = (() => {
  const w = Array.from({ length: 2 * S }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / (2 * S)) ** 2)
  const sum = w.reduce((a, b) => a + b, 0)
  return Float64Array.from(w, (v) => v / sum)
})()

/** Plane of W x H -> its lh x lw window averages (stride 16, edges replicated), separably. */
function windowAverages(plane: Float64Array, W: number, H: number, lh: number, lw: number): Float64Array {
  const rows = new Float64Array(H * lw)
  for (let y = 0; y < H; y++)
    for (let X = 0; X < lw; X++) {
      let s = 0
      for (let i = 0; i < 2 * S; i++) s += HANN[i] * plane[y * W + Math.min(W - 1, Math.max(0, X * S - S / 2 + i))]
      rows[y * lw + X] = s
    }
  const out = new Float64Array(lh * lw)
  for (let Y = 0; Y < lh; Y++)
    for (let X = 0; X < lw; X++) {
      let s = 0
      for (let j = 0; j < 2 * S; j++) s += HANN[j] * rows[Math.min(H - 1, Math.max(0, Y * S - S / 2 + j)) * lw + X]
      out[Y * lw + X] = s
    }
  return out
}

/** One axis of bilinear x16 upsampling (align_corners false): the two source cells and the weight of the second. */
function taps(n: number, cells: number): { a: Int32Array; b: Int32Array; t: Float64Array } {
  const a = new Int32Array(n)
  const b = new Int32Array(n)
  const t = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const f = Math.max(0, (i + 0.5) / S - 0.5)
    a[i] = Math.min(cells - 1, Math.floor(f))
    b[i] = Math.min(cells - 1, a[i] + 1)
    t[i] = a[i] === cells - 1 ? 0 : f - a[i]
  }
  return { a, b, t }
}

/**
 * In place on the decoder's planar RGB (3 x 16lh x 16lw, 0..1 scale): each listed plane's window averages moved onto
 * `thumbnails` (3 x lh x lw, g_a's units, converted with norm).
 */
export function makeThumbnailConsistent(rgb: Float32Array, lh: number, lw: number, thumbnails: Float32Array, norm: ThumbnailNorm): void {
  const H = lh * S
  const W = lw * S
  const n = W * H
  const m = lh * lw
  if (rgb.length !== 3 * n || thumbnails.length !== 3 * m) throw new GscError(`consistent thumbnail: ${rgb.length} pixels and ${thumbnails.length} thumbnail values for a ${lh}x${lw} latent`)
  const ycc = [0, 1, 2].map((p) => {
    const [r, g, b] = RGB_TO_YCBCR[p]
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = r * rgb[i] + g * rgb[n + i] + b * rgb[2 * n + i] + (p > 0 ? 0.5 : 0)
    return out
  })
  const ty = taps(H, lh)
  const tx = taps(W, lw)
  for (const p of norm.planes) {
    const seen = windowAverages(ycc[p], W, H, lh, lw)
    const d = new Float64Array(m)
    for (let i = 0; i < m; i++) d[i] = (thumbnails[p * m + i] - norm.offset[p]) / norm.scale[p] - seen[i]
    for (let y = 0; y < H; y++) {
      const r0 = ty.a[y] * lw
      const r1 = ty.b[y] * lw
      const v = ty.t[y]
      for (let x = 0; x < W; x++) {
        const u = tx.t[x]
        const top = d[r0 + tx.a[x]] * (1 - u) + d[r0 + tx.b[x]] * u
        const bottom = d[r1 + tx.a[x]] * (1 - u) + d[r1 + tx.b[x]] * u
        ycc[p][y * W + x] += top * (1 - v) + bottom * v
      }
    }
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
