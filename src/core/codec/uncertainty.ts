// Where do K reconstructions of one packet disagree? Per-pixel spread as a viewable heat map.
import { GscError } from '../util/errors'
import type { RgbImage } from '../image/rgbImage'

/** Standard deviation (8-bit levels) that maps to full white; fixed so maps of different packets compare. */
export const UNCERTAINTY_FULL_SCALE = 48

export interface UncertaintyStats {
  /** Mean over pixels of the per-pixel standard deviation (8-bit levels). */
  meanStd: number
  p95Std: number
  maxStd: number
  fullScaleStd: number
}

/** "Hot" colour map: black -> red -> yellow -> white for v in 0..1. */
export function hotColour(v: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)))
  return [c(3 * v), c(3 * v - 1), c(3 * v - 2)]
}

/**
 * Per-pixel standard deviation across samples (root of the RGB-mean of the per-channel population variances),
 * drawn with the hot colour map, 0 = black, >= UNCERTAINTY_FULL_SCALE levels = white.
 */
export function uncertaintyMap(samples: RgbImage[]): { image: RgbImage; std: Float32Array; stats: UncertaintyStats } {
  if (samples.length < 2) throw new GscError('an uncertainty map needs at least 2 samples')
  const { width, height } = samples[0]
  for (const s of samples) if (s.width !== width || s.height !== height) throw new GscError('samples differ in size')
  const npx = width * height
  const K = samples.length
  const std = new Float32Array(npx)
  const out = new Uint8Array(3 * npx)
  for (let p = 0; p < npx; p++) {
    let varSum = 0
    for (let c = 0; c < 3; c++) {
      let m = 0
      for (let k = 0; k < K; k++) m += samples[k].data[3 * p + c]
      m /= K
      let v = 0
      for (let k = 0; k < K; k++) v += (samples[k].data[3 * p + c] - m) ** 2
      varSum += v / K
    }
    const sd = Math.sqrt(varSum / 3)
    std[p] = sd
    const [r, g, b] = hotColour(sd / UNCERTAINTY_FULL_SCALE)
    out[3 * p] = r
    out[3 * p + 1] = g
    out[3 * p + 2] = b
  }
  const sorted = Float32Array.from(std).sort()
  let sum = 0
  for (const v of std) sum += v
  return {
    image: { width, height, data: out },
    std,
    stats: {
      meanStd: sum / npx,
      p95Std: sorted[Math.min(npx - 1, Math.floor(0.95 * npx))],
      maxStd: sorted[npx - 1],
      fullScaleStd: UNCERTAINTY_FULL_SCALE
    }
  }
}
