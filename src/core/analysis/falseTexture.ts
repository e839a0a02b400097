// False texture: the fine detail a reconstruction has where its original is flattest, over the original's own there.
// Why a bench metric: LPIPS rewards any fine energy, invented or not (session 30: faint grain lowered LPIPS-squeeze by
// 0.11 where a person barely sees it; session 26: strokes over a clear sky by 0.23), so a realism gain is read beside
// what the codec draws into a sky or a wall. The same figure as training/eval/false_texture.py.
import { GscError } from '../util/errors'
import type { RgbImage } from '../image/rgbImage'
import { RGB_TO_YCBCR } from '../image/ycbcr'

/** Side of the cells the original's flatness is judged in, and the share of cells (the flattest) that count. */
export const FLAT_CELL = 16
export const FLAT_SHARE = 0.25

/** The squared Laplacian response summed over Y, Cb and Cr, at the (w - 2) x (h - 2) interior pixels: chroma counts
 *  too (a decoder that draws coloured dots on flat luma). */
function laplacianEnergy(img: RgbImage): Float64Array {
  const { width: w, height: h, data } = img
  const ycc = RGB_TO_YCBCR.map((row) => Float64Array.from({ length: w * h }, (_, i) => row[0] * data[3 * i] + row[1] * data[3 * i + 1] + row[2] * data[3 * i + 2]))
  const out = new Float64Array((w - 2) * (h - 2))
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      let e = 0
      for (const p of ycc) {
        const i = y * w + x
        const lap = 4 * p[i] - p[i - w] - p[i + w] - p[i - 1] - p[i + 1]
        e += lap * lap
      }
      out[(y - 1) * (w - 2) + x - 1] = e
    }
  return out
}

/** The q-quantile of values, linear between order statistics (numpy's default). */
function quantile(values: Float64Array, q: number): number {
  const s = Float64Array.from(values).sort()
  const at = q * (s.length - 1)
  const lo = Math.floor(at)
  return lo + 1 < s.length ? s[lo] + (at - lo) * (s[lo + 1] - s[lo]) : s[lo]
}

/**
 * The reconstruction's mean Laplacian energy over the original's flattest FLAT_SHARE of FLAT_CELL-px cells (by the
 * original's mean energy per cell), over the original's there: 1 = as much fine detail as the photograph has in its
 * flattest parts; a codec that blurs reads below 1, one that draws grain, ringing or blocks into them above. Images
 * with no whole cell are judged over all their interior pixels; under 3 px on a side, 1.
 */
export function falseTexture(original: RgbImage, reconstruction: RgbImage): number {
  if (original.width !== reconstruction.width || original.height !== reconstruction.height)
    throw new GscError(`false texture: original ${original.width}x${original.height} and reconstruction ${reconstruction.width}x${reconstruction.height} differ`)
  const [w, h] = [original.width - 2, original.height - 2]
  if (w < 1 || h < 1) return 1
  const e = laplacianEnergy(original)
  const eHat = laplacianEnergy(reconstruction)
  const [cw, ch] = [Math.floor(w / FLAT_CELL), Math.floor(h / FLAT_CELL)]
  let flat: (x: number, y: number) => boolean = () => true
  let [iw, ih] = [w, h]
  if (cw > 0 && ch > 0) {
    const cells = new Float64Array(cw * ch)
    for (let y = 0; y < ch * FLAT_CELL; y++) for (let x = 0; x < cw * FLAT_CELL; x++) cells[Math.floor(y / FLAT_CELL) * cw + Math.floor(x / FLAT_CELL)] += e[y * w + x] / (FLAT_CELL * FLAT_CELL)
    const threshold = quantile(cells, FLAT_SHARE)
    flat = (x, y) => cells[Math.floor(y / FLAT_CELL) * cw + Math.floor(x / FLAT_CELL)] <= threshold
    ;[iw, ih] = [cw * FLAT_CELL, ch * FLAT_CELL]
  }
  let [num, den, n] = [0, 0, 0]
  for (let y = 0; y < ih; y++)
    for (let x = 0; x < iw; x++)
      if (flat(x, y)) {
        num += eHat[y * w + x]
        den += e[y * w + x]
        n++
      }
  return num / n / Math.max(den / n, 1e-9)
}
