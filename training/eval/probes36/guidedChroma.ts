// Chroma redrawn along the luma's edges (a guided filter, He, Sun and Tang 2010, with the picture's own luma as the
// guide): in each window Cb and Cr are fitted as a + b Y, and the averaged fits are drawn at every pixel. Why: where
// the packet's luma plane is finer than its chroma, the luma correction draws edges the networks' chroma does not
// follow, and the colour bleeds across them; a chroma that is locally a function of the luma changes where the luma
// does. Where the luma is flat (variance under eps) the fit is the window's mean colour.
import { CB_TO_B, CB_TO_G, CR_TO_G, CR_TO_R, RGB_TO_YCBCR } from '../../../src/core/image/ycbcr'

export interface GuidedChromaParams {
  /** The window's radius in pixels (a square of 2r + 1). */
  radius: number
  /** The luma variance (0..1 units, squared) below which a window keeps its mean colour. */
  eps: number
}

/** Box means of radius r over a W x H plane (windows clipped at the borders), separably with running sums. */
export function boxMean(plane: Float64Array, W: number, H: number, r: number): Float64Array {
  const rows = new Float64Array(W * H)
  for (let y = 0; y < H; y++) {
    const o = y * W
    let sum = 0
    for (let x = 0; x <= Math.min(r, W - 1); x++) sum += plane[o + x]
    for (let x = 0; x < W; x++) {
      const lo = Math.max(0, x - r)
      const hi = Math.min(W - 1, x + r)
      rows[o + x] = sum / (hi - lo + 1)
      if (x + r + 1 < W) sum += plane[o + x + r + 1]
      if (x - r >= 0) sum -= plane[o + x - r]
    }
  }
  const out = new Float64Array(W * H)
  for (let x = 0; x < W; x++) {
    let sum = 0
    for (let y = 0; y <= Math.min(r, H - 1); y++) sum += rows[y * W + x]
    for (let y = 0; y < H; y++) {
      const lo = Math.max(0, y - r)
      const hi = Math.min(H - 1, y + r)
      out[y * W + x] = sum / (hi - lo + 1)
      if (y + r + 1 < H) sum += rows[(y + r + 1) * W + x]
      if (y - r >= 0) sum -= rows[(y - r) * W + x]
    }
  }
  return out
}

/** One chroma plane guided by the luma: the filter's output, same size. */
export function guidedPlane(guide: Float64Array, meanGuide: Float64Array, varGuide: Float64Array, chroma: Float64Array, W: number, H: number, p: GuidedChromaParams): Float64Array {
  const n = W * H
  const meanC = boxMean(chroma, W, H, p.radius)
  const prod = new Float64Array(n)
  for (let i = 0; i < n; i++) prod[i] = guide[i] * chroma[i]
  const meanGC = boxMean(prod, W, H, p.radius)
  const a = new Float64Array(n)
  const b = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    a[i] = (meanGC[i] - meanGuide[i] * meanC[i]) / (varGuide[i] + p.eps)
    b[i] = meanC[i] - a[i] * meanGuide[i]
  }
  const ma = boxMean(a, W, H, p.radius)
  const mb = boxMean(b, W, H, p.radius)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = ma[i] * guide[i] + mb[i]
  return out
}

/** In place on planar RGB (3 x W x H, 0..1 scale): Cb and Cr guided by Y; Y itself is kept exactly. */
export function guideChroma(rgb: Float32Array, W: number, H: number, p: GuidedChromaParams): void {
  const n = W * H
  const ycc = [0, 1, 2].map((q) => {
    const [r, g, bl] = RGB_TO_YCBCR[q]
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = r * rgb[i] + g * rgb[n + i] + bl * rgb[2 * n + i]
    return out
  })
  const Y = ycc[0]
  const meanY = boxMean(Y, W, H, p.radius)
  const sq = new Float64Array(n)
  for (let i = 0; i < n; i++) sq[i] = Y[i] * Y[i]
  const varY = boxMean(sq, W, H, p.radius)
  for (let i = 0; i < n; i++) varY[i] = Math.max(0, varY[i] - meanY[i] * meanY[i])
  const cb = guidedPlane(Y, meanY, varY, ycc[1], W, H, p)
  const cr = guidedPlane(Y, meanY, varY, ycc[2], W, H, p)
  for (let i = 0; i < n; i++) {
    rgb[i] = Y[i] + CR_TO_R * cr[i]
    rgb[n + i] = Y[i] + CB_TO_G * cb[i] + CR_TO_G * cr[i]
    rgb[2 * n + i] = Y[i] + CB_TO_B * cb[i]
  }
}
