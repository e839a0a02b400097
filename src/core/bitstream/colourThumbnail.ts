// Set 22's colour thumbnail (docs/bitstream.md 6.4): the Y, Cb and Cr thumbnails (model channels 1-3) travel as one
// entry of the channel list, model channel 0, transform-coded: a CDF 9/7 wavelet per plane (src/core/codec/
// wavelet.ts), its coefficients quantised per subband and coded coarse to fine. Why: at the bit targets a thumbnail
// sample gets about one bit, where predictive coding of samples (sets 5, 21) leaves the colour coarse; a transform
// spends them on the few coefficients that carry the picture and lets the fine ones fall to zero, as an image codec
// does. This file holds the wire's side: which sets, the subband layout, each subband's step and the refusals.
import { GscError } from '../util/errors'

export interface ColourThumbnailLayout {
  /** The model channel whose entry in the channel list stands for the colour thumbnail. */
  channel: number
  /** The model channels of the Y, Cb and Cr thumbnails it carries (never listed on their own). */
  planes: readonly number[]
  /** Luma samples per latent cell along each side a packet may choose, the first the default: 1 = the Y thumbnail itself
   *  (lh x lw); 2 or 4 (set 28) = a luma plane of 2lh x 2lw or 4lh x 4lw, each sample the luma seen through a Hann
   *  window of 32 / factor px at stride 16 / factor (fineLuma.ts). Cb and Cr stay lh x lw. With more than one, the
   *  packet carries its choice. */
  lumaFactors: readonly number[]
  /** Whether Cb and Cr carry a step exponent of their own (set 28: a fine luma plane costs far more per step, and one
   *  step for all three would coarsen the colour with it). */
  chromaExponent: boolean
  /** Whether the packet carries a texture exponent (set 30: the strength of the grain the station synthesises,
   *  src/core/codec/textureSynthesis.ts). */
  texture: boolean
}

/** Per model id: the sets whose colour travels as a transform-coded thumbnail (27: set 22's wire, its own decoder;
 *  28: set 27's networks, the luma plane at 1, 2 or 4 times the thumbnail's resolution, the chroma's own step; 29: set
 *  28's wire for a decoder that takes the luma plane's detail, the v29 training configs' id: not installed, session 29's
 *  run failed its ship rule, docs/bench/latent-codec/ship-rule-set29.md; 30: set 28's wire with the texture exponent, not
 *  installed either: session 30's grain failed its ship rule, ship-rule-set30.md; 31: set 30's wire, the grain's amplitude
 *  squared, textureSynthesis.ts GRAIN_AMPLITUDE_POWER; 32: set 28's wire and networks, its station sharpening the decoded
 *  luma, codec/lumaSharpening.ts; 33: set 28's wire with trained starts for its entropy models, entropyPriors.ts; 34: set
 *  33's wire, its station adding a trained post-filter, not installed: session 41's first filter failed its ship rule,
 *  ship-rule-set34.md; 35: the same with the filter trained on; 36: the same with a filter whose residual is drawn at
 *  1/2 scale and upsampled, not installed either, ship-rule-set36.md; 37: set 36's filter trained on with the detector's
 *  agreement, ship-rule-set37.md; codec/decoder.ts postFiltered). */
const SET_22_LAYOUT: ColourThumbnailLayout = { channel: 0, planes: [1, 2, 3], lumaFactors: [1], chromaExponent: false, texture: false }
const SET_28_LAYOUT: ColourThumbnailLayout = { channel: 0, planes: [1, 2, 3], lumaFactors: [1, 2, 4], chromaExponent: true, texture: false }
const SET_30_LAYOUT: ColourThumbnailLayout = { ...SET_28_LAYOUT, texture: true }
export const COLOUR_THUMBNAIL_SETS: Readonly<Record<number, ColourThumbnailLayout>> = { 22: SET_22_LAYOUT, 27: SET_22_LAYOUT, 28: SET_28_LAYOUT, 29: SET_28_LAYOUT, 30: SET_30_LAYOUT, 31: SET_30_LAYOUT, 32: SET_28_LAYOUT, 33: SET_28_LAYOUT, 34: SET_28_LAYOUT, 35: SET_28_LAYOUT, 36: SET_28_LAYOUT, 37: SET_28_LAYOUT }

/** Height and width of each wire plane (Y, Cb, Cr) over an lh x lw latent with this luma factor. */
export function colourPlaneSizes(lumaFactor: number, lh: number, lw: number): [number, number][] {
  return [[lumaFactor * lh, lumaFactor * lw], [lh, lw], [lh, lw]]
}

/** Coefficients the thumbnail holds in all (the three planes one after another). */
export function colourValueCount(lumaFactor: number, lh: number, lw: number): number {
  return colourPlaneSizes(lumaFactor, lh, lw).reduce((s, [h, w]) => s + h * w, 0)
}

/** The set's layout when this packet carries its colour thumbnail (its channel is listed), else undefined. */
export function colourThumbnailOf(modelId: number, channelIndices: readonly number[]): ColourThumbnailLayout | undefined {
  const layout = COLOUR_THUMBNAIL_SETS[modelId]
  return layout && channelIndices.includes(layout.channel) ? layout : undefined
}

/** One line when a packet of a colour-thumbnail set lists a channel its thumbnail carries. */
export function checkColourChannels(modelId: number, channelIndices: readonly number[]): void {
  const layout = COLOUR_THUMBNAIL_SETS[modelId]
  const listed = layout?.planes.find((ch) => channelIndices.includes(ch))
  if (listed !== undefined)
    throw new GscError(`model set ${modelId} carries channels ${layout!.planes.join(', ')} inside its colour thumbnail (channel ${layout!.channel}); a packet listing channel ${listed} is invalid`)
}

/** Levels of the transform for an h x w plane: halve while both sides of the low-pass corner are >= 8, at most 4. */
export const MAX_WAVELET_LEVELS = 4
export function waveletLevels(h: number, w: number): number {
  let levels = 0
  for (let hh = h, ww = w; levels < MAX_WAVELET_LEVELS && Math.min(hh, ww) >= 8; levels++) {
    hh = (hh + 1) >> 1
    ww = (ww + 1) >> 1
  }
  return levels
}

export type Band = 'LL' | 'HL' | 'LH' | 'HH'

export interface Subband {
  band: Band
  /** 1 = finest; the LL band has the number of levels. */
  level: number
  y0: number
  x0: number
  h: number
  w: number
  /** Its quantisation step over the colour step (bandWeight). */
  weight: number
}

/**
 * Step of a subband over the colour step: 2^-level (the LL band: 2^-levels). With wavelet.ts's scaling (low-pass DC
 * gain 1, high-pass K/2) a level-l basis function's L2 norm is 2^l within 8 % away from the borders (measured in
 * test/unit/colour-thumbnail.test.ts), so every coefficient's quantisation error costs the thumbnail about the same
 * squared error and the colour step means what a sample step means.
 */
export function bandWeight(level: number): number {
  return 2 ** -level
}

/** The subbands of an h x w plane in coding order: LL, then HL, LH, HH from the coarsest level to the finest. */
export function subbands(h: number, w: number): Subband[] {
  const levels = waveletLevels(h, w)
  const regions: [number, number][] = []
  for (let l = 0, hh = h, ww = w; l < levels; l++) {
    regions.push([hh, ww])
    hh = (hh + 1) >> 1
    ww = (ww + 1) >> 1
  }
  const low = (n: number) => (n + 1) >> 1
  const [lh, lw] = levels > 0 ? [low(regions[levels - 1][0]), low(regions[levels - 1][1])] : [h, w]
  const out: Subband[] = [{ band: 'LL', level: levels, y0: 0, x0: 0, h: lh, w: lw, weight: bandWeight(levels) }]
  for (let l = levels; l >= 1; l--) {
    const [hh, ww] = regions[l - 1]
    const [a, b] = [low(hh), low(ww)]
    const weight = bandWeight(l)
    out.push({ band: 'HL', level: l, y0: 0, x0: b, h: a, w: ww - b, weight })
    out.push({ band: 'LH', level: l, y0: a, x0: 0, h: hh - a, w: b, weight })
    out.push({ band: 'HH', level: l, y0: a, x0: b, h: hh - a, w: ww - b, weight })
  }
  return out
}
