// An 8-bit RGB image <-> its full-range BT.601 Y, Cb, Cr planes in 0..1 (Cb and Cr + 0.5), for the probes that redo the
// station's thumbnail correction on a decoded picture (probes36/correction_upsampling.ts, probes37/iterated_projection.ts).
import { CB_TO_B, CB_TO_G, CR_TO_G, CR_TO_R, RGB_TO_YCBCR } from '../../src/core/image/ycbcr'
import type { RgbImage } from '../../src/core/image/rgbImage'

/** The Y, Cb, Cr planes of an image (each width x height, 0..1, Cb and Cr centred on 0.5). */
export function yccPlanesOf(img: RgbImage): Float64Array[] {
  const n = img.width * img.height
  return [0, 1, 2].map((p) => {
    const [r, g, b] = RGB_TO_YCBCR[p]
    return Float64Array.from({ length: n }, (_, i) => (r * img.data[3 * i] + g * img.data[3 * i + 1] + b * img.data[3 * i + 2]) / 255 + (p > 0 ? 0.5 : 0))
  })
}

/** yccPlanesOf's inverse: the planes back to an 8-bit image, rounded and clamped. */
export function rgbImageOfYcc(ycc: Float64Array[], width: number, height: number): RgbImage {
  const n = width * height
  const data = new Uint8Array(3 * n)
  const to8 = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)))
  for (let i = 0; i < n; i++) {
    const Y = ycc[0][i]
    const cb = ycc[1][i] - 0.5
    const cr = ycc[2][i] - 0.5
    data[3 * i] = to8(Y + CR_TO_R * cr)
    data[3 * i + 1] = to8(Y + CB_TO_G * cb + CR_TO_G * cr)
    data[3 * i + 2] = to8(Y + CB_TO_B * cb)
  }
  return { width, height, data }
}
