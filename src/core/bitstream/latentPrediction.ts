// Predictive coding of smooth latent channels (docs/bitstream.md §6.1). Model set 4's fixed colour channels are
// thumbnails: neighbouring values are close, so the payload carries each value minus the LOCO-I median prediction
// from its left, top and top-left neighbours on the same sub-lattice, which costs about half the bits of the values.
// The transform is exact integer arithmetic, applied before the latent coder and undone after it. The cells a set's
// layout leaves empty (set 5's mosaic) are not carried at all (uncodedMask).
import { GscError } from '../util/errors'

/**
 * Per model id: model channel index -> sub-lattice stride of its prediction (1 = every neighbour; 2 = the
 * neighbours two cells away, which belong to the same mosaic colour as the value: set 4's channel 0).
 * Channels not listed, and every channel of a model id not listed, travel as plain values.
 */
export const PREDICTED_CHANNELS: Readonly<Record<number, Readonly<Record<number, number>>>> = {
  4: { 0: 2, 1: 1, 2: 1, 3: 1 },
  5: { 0: 2, 1: 1, 2: 1, 3: 1 },
}

/**
 * Per model id: model channel index -> the cells its layout leaves empty, which the payload does not carry (§6.2):
 * set 5's mosaic has one sample of Y, Cb and Cr per 2x2 cell, so its (odd row, odd column) cells are always 0.
 */
export const UNCODED_CELLS: Readonly<Record<number, Readonly<Record<number, 'odd-odd'>>>> = {
  5: { 0: 'odd-odd' },
}

/** One flag per latent value (channel-major, raster order): 1 where the payload carries nothing; null when none. */
export function uncodedMask(modelId: number, channelIndices: readonly number[], h: number, w: number): Uint8Array | null {
  const table = UNCODED_CELLS[modelId]
  if (!table || !channelIndices.some((ch) => table[ch])) return null
  const plane = h * w
  const mask = new Uint8Array(channelIndices.length * plane)
  channelIndices.forEach((ch, c) => {
    if (table[ch] !== 'odd-odd') return
    for (let y = 1; y < h; y += 2) for (let x = 1; x < w; x += 2) mask[c * plane + y * w + x] = 1
  })
  return mask
}

const INT32_MAX = 2 ** 31 - 1
const INT32_MIN = -(2 ** 31)

/** LOCO-I (JPEG-LS) median edge detector: a = left, b = top, c = top-left. */
function medPredict(a: number, b: number, c: number): number {
  if (c >= Math.max(a, b)) return Math.min(a, b)
  if (c <= Math.min(a, b)) return Math.max(a, b)
  return a + b - c
}

/** The prediction of position (y, x) from already known values of `plane` on the stride-s sub-lattice. */
export function predictAt(plane: ArrayLike<number>, y: number, x: number, w: number, s: number): number {
  if (y < s && x < s) return 0
  const i = y * w + x
  if (y < s) return plane[i - s]
  if (x < s) return plane[i - s * w]
  return medPredict(plane[i - s], plane[i - s * w], plane[i - s * w - s])
}

/**
 * Runs over every predicted channel of `latents` in place. Removing the prediction walks each plane backwards, so
 * every prediction still reads original values; restoring it walks forwards, so it reads restored ones.
 */
function transform(modelId: number, channelIndices: readonly number[], latents: Int32Array, h: number, w: number, restore: boolean): Int32Array {
  const table = PREDICTED_CHANNELS[modelId]
  const plane = h * w
  channelIndices.forEach((ch, c) => {
    const s = table?.[ch]
    if (!s) return
    const values = latents.subarray(c * plane, (c + 1) * plane)
    for (let k = 0; k < plane; k++) {
      const i = restore ? k : plane - 1 - k
      const v = restore ? values[i] + predictAt(values, Math.floor(i / w), i % w, w, s) : values[i] - predictAt(values, Math.floor(i / w), i % w, w, s)
      if (v > INT32_MAX || v < INT32_MIN)
        throw new GscError(restore ? 'corrupt latent payload: predicted value out of Int32 range' : `latent prediction residual: ${v} is outside the Int32 range`)
      values[i] = v
    }
  })
  return latents
}

/** Values -> what the payload carries (a new array; the input is not changed). */
export function toPredictionResiduals(modelId: number, channelIndices: readonly number[], latents: Int32Array, h: number, w: number): Int32Array {
  return transform(modelId, channelIndices, Int32Array.from(latents), h, w, false)
}

/** What the payload carried -> values (in place). */
export function fromPredictionResiduals(modelId: number, channelIndices: readonly number[], latents: Int32Array, h: number, w: number): Int32Array {
  return transform(modelId, channelIndices, latents, h, w, true)
}
