// Set 22's colour thumbnail between g_a's latent and the wire (docs/bitstream.md 6.4): the encoder transforms the Y,
// Cb and Cr thumbnails (model channels 1-3) and quantises their coefficients; the station dequantises, transforms
// back, and gives the decoder all four colour channels: the thumbnails, and the mosaic (channel 0) cut from them as
// g_a cuts it, so the networks see what they were trained with.
import { colourPlaneSizes, colourValueCount, subbands, type ColourThumbnailLayout } from '../bitstream/colourThumbnail'
import { COLOUR_PLANES, colourStep, type ColourThumbnailPayload } from '../bitstream/colourCoder'
import { GscError } from '../util/errors'
import { onPlaneLattice } from '../bitstream/latentPrediction'
import { forwardWavelet, inverseWavelet } from './wavelet'


/**
 * The encoder's rounding of a detail coefficient (not part of the wire: any integer decodes): towards zero by
 * DEAD_ZONE steps, since a fine coefficient that barely rounds up costs more bits than the error it saves. Chosen on
 * 16 training photos (docs/bench/latent-codec/ship-rule-set22.md): 0.2 / 0.1 / 0 gave MS-SSIM 0.6270 / 0.6339 /
 * 0.6409 and blockiness 1.033 / 1.054 / 1.077 (means over C); 0.1 keeps blockiness under set 21's.
 */
export const DEAD_ZONE: number = 0.1

/**
 * The dead zone of a fine luma plane's detail coefficients (set 28's 2x and 4x planes, lumaFactor > 1): none, plain
 * rounding. DEAD_ZONE was chosen for set 22's decoder, which drew a grid; set 28's draws none, and its fine plane's
 * detail is the structure the packet buys. On 16 training photos (docs/bench/latent-codec/probes-session38.md) plain
 * rounding of that plane alone gave MS-SSIM +0.009 at C = 4 and +0.008 at C = 8 and 16, ΔE00 +0.03 / +0.10, blockiness
 * +0.008 / +0.020, LPIPS level; of every plane, +0.004 for ΔE00 +0.13 (the colour pays). Judged in
 * docs/bench/latent-codec/ship-rule-fine-luma-dead-zone.md.
 */
export const FINE_LUMA_DEAD_ZONE: number = 0

/**
 * The thumbnails' wavelet coefficients, not yet quantised (the Y, Cb and Cr planes one after another, colourPlaneSizes,
 * each in the subband layout): they do not depend on the step, so the encoder transforms once per image and luma factor
 * and quantises them for every step it tries. Y is the latent's thumbnail channel, or with a luma factor above 1
 * `fineLuma` (fineLuma.ts, the same units, lumaFactor lh x lumaFactor lw).
 */
export function colourCoefficients(latent: Float32Array, layout: ColourThumbnailLayout, lh: number, lw: number, lumaFactor = 1, fineLuma?: ArrayLike<number>): Float64Array {
  const n = lh * lw
  const sizes = colourPlaneSizes(lumaFactor, lh, lw)
  const out = new Float64Array(colourValueCount(lumaFactor, lh, lw))
  let at = 0
  layout.planes.forEach((ch, p) => {
    const [h, w] = sizes[p]
    const plane = out.subarray(at, at + h * w)
    if (p > 0 || lumaFactor === 1) plane.set(latent.subarray(ch * n, (ch + 1) * n))
    else if (fineLuma?.length === h * w) plane.set(fineLuma)
    else throw new GscError(`colour thumbnail: plane ${p} is ${h}x${w}, and no fine luma plane of that size was given`)
    forwardWavelet(plane, h, w)
    at += h * w
  })
  return out
}

/** One plane's wavelet coefficients quantised with `step` (2^-level per subband, 6.4), detail rounded towards zero by
 *  `deadZone` steps, into out. */
function quantizeCoefficients(plane: Float64Array, lh: number, lw: number, step: number, deadZone: number, out: Int32Array): void {
  for (const b of subbands(lh, lw)) {
    const d = step * b.weight
    const offset = b.band === 'LL' ? 0.5 : 0.5 - deadZone
    for (let y = b.y0; y < b.y0 + b.h; y++)
      for (let x = b.x0; x < b.x0 + b.w; x++) {
        const u = plane[y * lw + x] / d
        out[y * lw + x] = Math.sign(u) * Math.floor(Math.abs(u) + offset)
      }
  }
}

/** The station's side of quantizeCoefficients: coefficients -> the plane, into out. */
export function reconstructWaveletPlane(coefficients: ArrayLike<number>, lh: number, lw: number, step: number, out: Float32Array): void {
  const plane = new Float64Array(lh * lw)
  for (const b of subbands(lh, lw))
    for (let y = b.y0; y < b.y0 + b.h; y++) for (let x = b.x0; x < b.x0 + b.w; x++) plane[y * lw + x] = coefficients[y * lw + x] * step * b.weight
  inverseWavelet(plane, lh, lw)
  for (let i = 0; i < plane.length; i++) out[i] = plane[i]
}

/** The step of each wire plane (Y, Cb, Cr): the colour step, Cb and Cr their own where the payload has a chroma exponent. */
function planeSteps(quantStep: number, stepExponent: number, chromaExponent: number | undefined): number[] {
  const luma = colourStep(quantStep, stepExponent)
  const chroma = chromaExponent === undefined ? luma : colourStep(quantStep, chromaExponent)
  return [luma, chroma, chroma]
}

/** The luma plane's dead zone unless the sender gives another (packing.ts fillSlack): DEAD_ZONE, or a fine plane's. */
export function lumaDeadZoneOf(lumaFactor: number): number {
  return lumaFactor > 1 ? FINE_LUMA_DEAD_ZONE : DEAD_ZONE
}

/** colourCoefficients' output quantised with the packet's step and colour step exponents: the thumbnail the wire carries.
 *  `lumaDeadZone` replaces the luma plane's (the encoder's choice; the wire carries only the integers). */
export function quantizeColourThumbnail(coefficients: Float64Array, lumaFactor: number, lh: number, lw: number, quantStep: number, stepExponent: number, chromaExponent?: number, lumaDeadZone = lumaDeadZoneOf(lumaFactor)): ColourThumbnailPayload {
  const steps = planeSteps(quantStep, stepExponent, chromaExponent)
  const quantised = new Int32Array(coefficients.length)
  let at = 0
  colourPlaneSizes(lumaFactor, lh, lw).forEach(([h, w], p) => {
    const deadZone = p === 0 ? lumaDeadZone : DEAD_ZONE
    quantizeCoefficients(coefficients.subarray(at, at + h * w), h, w, steps[p], deadZone, quantised.subarray(at, at + h * w))
    at += h * w
  })
  return { lumaFactor, stepExponent, ...(chromaExponent !== undefined ? { chromaExponent } : {}), coefficients: quantised }
}

/** The station's side: coefficients -> the Y, Cb, Cr planes (colourPlaneSizes, one after another, in g_a's units). */
export function reconstructColourThumbnail(payload: ColourThumbnailPayload, lh: number, lw: number, quantStep: number): Float32Array {
  const steps = planeSteps(quantStep, payload.stepExponent, payload.chromaExponent)
  const out = new Float32Array(payload.coefficients.length)
  let at = 0
  colourPlaneSizes(payload.lumaFactor, lh, lw).forEach(([h, w], p) => {
    reconstructWaveletPlane(payload.coefficients.subarray(at, at + h * w), h, w, steps[p], out.subarray(at, at + h * w))
    at += h * w
  })
  return out
}

/** The colour mosaic g_a cuts from the thumbnails (set 5's 'mosaic3'): each plane on its lattice (§6.2), 0 on (odd, odd). */
export function mosaicOf(planes: Float32Array, lh: number, lw: number): Float32Array {
  const n = lh * lw
  const out = new Float32Array(n)
  for (let p = 0; p < COLOUR_PLANES; p++)
    for (let y = 0; y < lh; y++) for (let x = 0; x < lw; x++) if (onPlaneLattice(p, y, x)) out[y * lw + x] = planes[p * n + y * lw + x]
  return out
}
