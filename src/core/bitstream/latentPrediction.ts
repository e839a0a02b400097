// Predictive coding of smooth latent channels (docs/bitstream.md §6.1). Model set 4's fixed colour channels are
// thumbnails: neighbouring values are close, so the payload carries each value minus the LOCO-I median prediction
// from its left, top and top-left neighbours on the same sub-lattice, which costs about half the bits of the values.
// The transform is exact integer arithmetic, applied before the latent coder and undone after it. The cells a set's
// layout leaves empty (set 5's mosaic) are not carried at all (uncodedMask). Where a packet carries the colour mosaic
// and a full thumbnail of the same plane (§6.3, ANCHORED_CHANNELS), the thumbnail is predicted from the mosaic too:
// the mosaic already holds a quarter of its samples, and the rest lie between them.
import { GscError } from '../util/errors'
import { COLOUR_THUMBNAIL_SETS } from './colourThumbnail'

/**
 * Per model id: model channel index -> sub-lattice stride of its prediction (1 = every neighbour; 2 = the
 * neighbours two cells away, which belong to the same mosaic colour as the value: set 4's channel 0).
 * Channels not listed, and every channel of a model id not listed, travel as plain values.
 */
export const PREDICTED_CHANNELS: Readonly<Record<number, Readonly<Record<number, number>>>> = {
  4: { 0: 2, 1: 1, 2: 1, 3: 1 },
  5: { 0: 2, 1: 1, 2: 1, 3: 1 },
  21: { 0: 2, 1: 1, 2: 1, 3: 1 },
}

/**
 * Per model id: model channel index -> the cells its layout leaves empty, which the payload does not carry (§6.2):
 * set 5's mosaic has one sample of Y, Cb and Cr per 2x2 cell, so its (odd row, odd column) cells are always 0.
 */
export const UNCODED_CELLS: Readonly<Record<number, Readonly<Record<number, 'odd-odd' | 'all'>>>> = {
  5: { 0: 'odd-odd' },
  21: { 0: 'odd-odd' },
  // a colour-thumbnail set's channel (sets 22, 27) travels as the thumbnail (§6.4), not in the latent payload
  ...Object.fromEntries(Object.entries(COLOUR_THUMBNAIL_SETS).map(([id, layout]) => [id, { [layout.channel]: 'all' as const }])),
}

/**
 * Per model id: full-thumbnail model channel -> the plane of the colour mosaic (model channel 0) it repeats (§6.3):
 * 0 = Y (mosaic cells at even row, even column), 1 = Cb (even, odd), 2 = Cr (odd, even). When the packet carries
 * channel 0, these channels are predicted from the mosaic's samples of their plane as well as from their own causal
 * neighbours; without it they are predicted as PREDICTED_CHANNELS says.
 */
export const ANCHORED_CHANNELS: Readonly<Record<number, Readonly<Record<number, number>>>> = { 21: { 1: 0, 2: 1, 3: 2 } }

/** The colour mosaic's model channel (sets 4, 5, 21). */
export const MOSAIC_CHANNEL = 0
/** Row and column parity of each mosaic plane's samples (Y, Cb, Cr). */
const PLANE_PARITY: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, 1],
  [1, 0],
]

/**
 * For each listed channel (by position), the mosaic plane it is anchored to in this packet (§6.3), else undefined: a
 * channel is anchored only where its set says so and the packet also carries the mosaic. The one answer the wire
 * (uncodedMask, the prediction) and the encoder's rounding (predictiveQuantize.ts) share.
 */
export function anchoredPlanes(modelId: number, channelIndices: readonly number[]): (number | undefined)[] {
  const anchors = channelIndices.includes(MOSAIC_CHANNEL) ? ANCHORED_CHANNELS[modelId] : undefined
  return channelIndices.map((ch) => anchors?.[ch])
}

/**
 * One flag per latent value (channel-major, raster order): 1 where the payload carries nothing; null when none. Besides
 * a layout's empty cells (UNCODED_CELLS), a full thumbnail anchored to the mosaic (§6.3) does not carry its plane's
 * mosaic cells when the packet carries the mosaic: there it equals the mosaic.
 */
export function uncodedMask(modelId: number, channelIndices: readonly number[], h: number, w: number): Uint8Array | null {
  const table = UNCODED_CELLS[modelId] ?? {}
  const anchored = anchoredPlanes(modelId, channelIndices)
  if (!channelIndices.some((ch, c) => table[ch] || anchored[c] !== undefined)) return null
  const plane = h * w
  const mask = new Uint8Array(channelIndices.length * plane)
  channelIndices.forEach((ch, c) => {
    const p = anchored[c]
    if (table[ch] === 'all') {
      mask.fill(1, c * plane, (c + 1) * plane)
      return
    }
    const [r0, c0] = table[ch] === 'odd-odd' ? [1, 1] : p !== undefined ? PLANE_PARITY[p] : [-1, -1]
    if (r0 < 0) return
    for (let y = r0; y < h; y += 2) for (let x = c0; x < w; x += 2) mask[c * plane + y * w + x] = 1
  })
  return mask
}

/** Whether (y, x) is one of mosaic plane p's cells. */
export function onPlaneLattice(p: number, y: number, x: number): boolean {
  return y % 2 === PLANE_PARITY[p][0] && x % 2 === PLANE_PARITY[p][1]
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
 * §6.3: the prediction of a full thumbnail of mosaic plane `p` at (y, x) from the mosaic's values and the thumbnail's
 * own known values. On the plane's mosaic cells it is the mosaic's value there (the same thumbnail sample, rounded by
 * the encoder within its tolerance; those cells are not carried, uncodedMask); elsewhere two thirds of the mean of
 * the plane's mosaic samples among the 8 neighbours plus one third of the LOCO-I prediction (predictAt, stride 1),
 * rounded half up: floor((4S + 2nL + 3n) / 6n) for n samples summing to S and LOCO-I prediction L (chosen on training
 * photos with the real coder: ship-rule-set21.md); at (0, 0), which has no causal neighbour, floor((2S + n) / 2n).
 * Exact in integers; every cell has a sample of each plane among its neighbours once h and w are at least 2 (else
 * LOCO-I).
 */
export function anchoredPredictAt(own: ArrayLike<number>, mosaic: ArrayLike<number>, y: number, x: number, h: number, w: number, p: number): number {
  const [r0, c0] = PLANE_PARITY[p]
  if (onPlaneLattice(p, y, x)) return mosaic[y * w + x]
  let sum = 0
  let n = 0
  for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
    for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++)
      if (yy % 2 === r0 && xx % 2 === c0) {
        sum += mosaic[yy * w + xx]
        n++
      }
  if (n === 0) return predictAt(own, y, x, w, 1)
  if (y === 0 && x === 0) return Math.floor((2 * sum + n) / (2 * n))
  return Math.floor((4 * sum + 2 * n * predictAt(own, y, x, w, 1) + 3 * n) / (6 * n))
}

/**
 * Runs over every predicted channel of `latents` in place. Removing the prediction walks each plane backwards, so
 * every prediction still reads original values (the mosaic's from a copy taken first); restoring it walks forwards,
 * so it reads restored ones, and restores the mosaic before the thumbnails anchored to it.
 */
function transform(modelId: number, channelIndices: readonly number[], latents: Int32Array, h: number, w: number, restore: boolean): Int32Array {
  const table = PREDICTED_CHANNELS[modelId]
  const anchored = anchoredPlanes(modelId, channelIndices)
  const plane = h * w
  const m = anchored.some((p) => p !== undefined) ? channelIndices.indexOf(MOSAIC_CHANNEL) : -1
  const mosaicView = m >= 0 ? latents.subarray(m * plane, (m + 1) * plane) : null
  const mosaic = mosaicView && !restore ? Int32Array.from(mosaicView) : mosaicView
  const order = channelIndices.map((_, c) => c)
  if (m >= 0) order.sort((a, b) => (a === m ? -1 : b === m ? 1 : a - b))
  for (const c of order) {
    const ch = channelIndices[c]
    const s = table?.[ch]
    if (!s) continue
    const values = latents.subarray(c * plane, (c + 1) * plane)
    const p = anchored[c]
    const predict = (i: number) => {
      const y = Math.floor(i / w)
      const x = i % w
      return p === undefined ? predictAt(values, y, x, w, s) : anchoredPredictAt(values, mosaic as Int32Array, y, x, h, w, p)
    }
    for (let k = 0; k < plane; k++) {
      const i = restore ? k : plane - 1 - k
      const v = restore ? values[i] + predict(i) : values[i] - predict(i)
      if (!restore && v !== 0 && p !== undefined && onPlaneLattice(p, Math.floor(i / w), i % w))
        throw new GscError(`latent ${values[i]} at channel ${c}, row ${Math.floor(i / w)}, column ${i % w}: model set ${modelId} carries the mosaic's value ${values[i] - v} there (docs/bitstream.md 6.3)`)
      if (v > INT32_MAX || v < INT32_MIN)
        throw new GscError(restore ? 'corrupt latent payload: predicted value out of Int32 range' : `latent prediction residual: ${v} is outside the Int32 range`)
      values[i] = v
    }
  }
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
