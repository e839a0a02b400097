// Rate-aware rounding of the colour mosaic (a predicted channel, docs/bitstream.md 6.1) for the encoder; the wire is
// unchanged, since any integer is a legal value. A smooth thumbnail quantised to a few levels dithers between two of
// them wherever it crosses a rounding threshold: every flip is a non-zero prediction residual, which costs bits and
// draws a ragged contour. Where the value lies within `tolerance` steps of both neighbouring levels, the level nearer
// the decoder's own prediction is taken, so flat and slowly varying areas code as runs of zero residuals; the error
// of any value stays below `tolerance` steps. Every other channel is rounded as before.
import { anchoredPlanes, MOSAIC_CHANNEL, onPlaneLattice, predictAt, PREDICTED_CHANNELS } from '../bitstream/latentPrediction'
import { GscError } from '../util/errors'
import { quantize } from './quantize'

/**
 * The tolerances the step rule tries at each step, plain rounding first: how far (in steps) a mosaic value may be
 * rounded away from its nearest level. Each one saves bits at the same step, so between two steps the rule takes the
 * finer step with some tolerance before the coarser one with none. Chosen on training photos and the KITTI selection
 * frames (docs/bench/latent-codec/ship-rule-step-rule2.md): 0.9 moved contours visibly; on the full 1/16 thumbnails
 * (channels 1-3) the snapped plateaus end on the 16-px grid and drew blocks (blockiness 1.32 at C = 4).
 */
export const ROUNDING_TOLERANCES = [0.5, 0.6, 0.7] as const

/** Per model id: the channels rounded with a tolerance (the colour mosaic, predicted on its 2x2 lattices). */
export const TOLERANT_CHANNELS: Readonly<Record<number, readonly number[]>> = { 4: [0], 5: [0], 21: [0] }

/** Whether a packet of this set with these channels carries a thumbnail anchored to the mosaic (docs/bitstream.md 6.3). */
export function hasAnchoredThumbnails(modelId: number, channelIndices: readonly number[]): boolean {
  return anchoredPlanes(modelId, channelIndices).some((p) => p !== undefined)
}

/** The tolerances worth trying for a model set: plain rounding only where no channel takes a tolerance. */
export function roundingTolerances(modelId: number): readonly number[] {
  return TOLERANT_CHANNELS[modelId] ? ROUNDING_TOLERANCES : [0.5]
}

/**
 * `values`: the selected channels (channel-major, lh x lw each) in the order of `channelIndices`. Returns their
 * quantised integers: plain rounding, except on the set's mosaic (see the file comment).
 */
export function quantizeChannels(
  values: Float32Array,
  step: number,
  modelId: number,
  channelIndices: readonly number[],
  lh: number,
  lw: number,
  tolerance = 0.5,
  snapAnchored = false
): Int32Array {
  if (!(tolerance >= 0.5 && tolerance < 1)) throw new GscError(`rounding tolerance must be in [0.5, 1), got ${tolerance}`)
  const q = quantize(values, step)
  const tolerant = TOLERANT_CHANNELS[modelId]
  const plane = lh * lw
  if (tolerant && tolerance > 0.5) roundTolerantly(q, values, step, modelId, channelIndices, plane, lw, tolerant, tolerance, snapAnchored)
  anchorToMosaic(q, modelId, channelIndices, plane, lw)
  return q
}

/** The tolerant rounding of the file comment, in place on q. */
function roundTolerantly(
  q: Int32Array,
  values: Float32Array,
  step: number,
  modelId: number,
  channelIndices: readonly number[],
  plane: number,
  lw: number,
  tolerant: readonly number[],
  tolerance: number,
  snapAnchored: boolean
): void {
  // the mosaic's samples of a plane whose full thumbnail the packet also carries are rounded plainly: the thumbnail
  // copies them (6.3), and a snapped sample every other cell would draw a dotted grid into it; snapAnchored (the step
  // rule's last resort, when no step fits otherwise) rounds them tolerantly all the same
  const plainPlanes = snapAnchored ? [] : anchoredPlanes(modelId, channelIndices).filter((p) => p !== undefined)
  const keepPlain = (i: number) => plainPlanes.some((p) => onPlaneLattice(p, Math.floor(i / lw), i % lw))
  channelIndices.forEach((ch, c) => {
    const s = PREDICTED_CHANNELS[modelId]?.[ch]
    if (!s || !tolerant.includes(ch)) return
    const out = q.subarray(c * plane, (c + 1) * plane)
    const vals = values.subarray(c * plane, (c + 1) * plane)
    for (let i = 0; i < plane; i++) {
      if (ch === MOSAIC_CHANNEL && keepPlain(i)) continue
      const u = vals[i] / step
      const p = predictAt(out, Math.floor(i / lw), i % lw, lw, s)
      const lo = Math.floor(u)
      // both levels around u are within tolerance: take the one nearer the prediction (ties keep plain rounding)
      if (u - lo <= tolerance && lo + 1 - u <= tolerance) {
        const dLo = Math.abs(lo - p)
        const dHi = Math.abs(lo + 1 - p)
        if (dLo !== dHi) out[i] = dLo < dHi ? lo : lo + 1
      }
    }
  })
}

/**
 * docs/bitstream.md 6.3: where the packet carries the colour mosaic, a full thumbnail anchored to it takes the mosaic's
 * value on its plane's mosaic cells (the same thumbnail sample, rounded plainly: roundTolerantly leaves those mosaic
 * cells alone), which the payload then does not carry. In place on q; channel 0's values are final by now.
 */
function anchorToMosaic(q: Int32Array, modelId: number, channelIndices: readonly number[], plane: number, lw: number): void {
  const anchored = anchoredPlanes(modelId, channelIndices)
  if (anchored.every((p) => p === undefined)) return
  const m = channelIndices.indexOf(MOSAIC_CHANNEL)
  const mosaic = q.subarray(m * plane, (m + 1) * plane)
  anchored.forEach((p, c) => {
    if (p === undefined) return
    for (let i = 0; i < plane; i++) if (onPlaneLattice(p, Math.floor(i / lw), i % lw)) q[c * plane + i] = mosaic[i]
  })
}
