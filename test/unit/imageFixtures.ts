// Synthetic RGB images for the metric tests, so they need no data files.
import type { RgbImage } from '../../src/core/util/image'

/** A w x h image whose sample (x, y, c) is f(x, y, c), rounded and clamped to 0..255. */
export function img(w: number, h: number, f: (x: number, y: number, c: number) => number): RgbImage {
  const data = new Uint8Array(3 * w * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[3 * (y * w + x) + c] = Math.max(0, Math.min(255, Math.round(f(x, y, c))))
  return { width: w, height: h, data }
}

/** Deterministic pseudo-random numbers in [0, 1) (an LCG) for texture and noise. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296
}
