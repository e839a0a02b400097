// Predictive coding of smooth latent channels (docs/bitstream.md §6.1). Model set 4's fixed colour channels are
// thumbnails: neighbouring values are close, so the payload carries each value minus the LOCO-I median prediction
// from its left, top and top-left neighbours on the same sub-lattice, which costs about half the bits of the values.
// The transform is exact integer arithmetic, applied before the latent coder and undone after it.
import { GscError } from '../util/errors'

/**
 * Per model id: model channel index -> sub-lattice stride of its prediction (1 = every neighbour; 2 = the
 * neighbours two cells away, which belong to the same mosaic colour as the value: set 4's channel 0).
 * Channels not listed, and every channel of a model id not listed, travel as plain values.
 */
export const PREDICTED_CHANNELS: Readonly<Record<number, Readonly<Record<number, number>>>> = {
  4: { 0: 2, 1: 1, 2: 1, 3: 1 },
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
function predictAt(plane: ArrayLike<number>, y: number, x: number, w: number, s: number): number {
  if (y < s && x < s) return 0
  const i = y * w + x
  if (y < s) return plane[i - s]
  if (x < s) return plane[i - s * w]
  return medPredict(plane[i - s], plane[i - s * w], plane[i - s * w - s])
}

function strides(modelId: number, channelIndices: readonly number[]): (number | undefined)[] {
  const table = PREDICTED_CHANNELS[modelId]
  return channelIndices.map((c) => table?.[c])
}

function checkInt32(v: number, what: string): number {
  if (v > INT32_MAX || v < INT32_MIN) throw new GscError(`${what}: ${v} is outside the Int32 range`)
  return v
}

/** Values -> what the payload carries (a new array; the input is not changed). */
export function toPredictionResiduals(modelId: number, channelIndices: readonly number[], latents: Int32Array, h: number, w: number): Int32Array {
  const out = Int32Array.from(latents)
  const plane = h * w
  strides(modelId, channelIndices).forEach((s, c) => {
    if (!s) return
    const values = latents.subarray(c * plane, (c + 1) * plane)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x
        out[c * plane + i] = checkInt32(values[i] - predictAt(values, y, x, w, s), 'latent prediction residual')
      }
  })
  return out
}

/** What the payload carried -> values (in place), raster order so every prediction uses decoded values. */
export function fromPredictionResiduals(modelId: number, channelIndices: readonly number[], latents: Int32Array, h: number, w: number): Int32Array {
  const plane = h * w
  strides(modelId, channelIndices).forEach((s, c) => {
    if (!s) return
    const values = latents.subarray(c * plane, (c + 1) * plane)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x
        const v = values[i] + predictAt(values, y, x, w, s)
        if (v > INT32_MAX || v < INT32_MIN) throw new GscError('corrupt latent payload: predicted value out of Int32 range')
        values[i] = v
      }
  })
  return latents
}
