// Context-adaptive coding of set 22's colour thumbnail (docs/bitstream.md 6.4): the colour step's exponent, then the
// quantised wavelet coefficients of the Y, Cb and Cr planes, each plane subband by subband from the coarsest
// (colourThumbnail.ts subbands). Each coefficient is binarised as §6's latents are (zero flag, sign, Exp-Golomb
// magnitude), with models chosen by plane (luma or chroma), subband class, the already coded neighbours in the same
// subband and, in a detail subband, whether its parent one level coarser is non-zero: fine coefficients are mostly
// zero, and most so where their parent is. The LL band carries LOCO-I prediction residuals (the band is a tiny
// picture), the detail bands their values.
import { BitModels, EG_MODELS, decodeEG, encodeEG } from '../entropy/bitModels'
import { magClass } from '../entropy/latentCoder'
import { entropyStarts } from '../entropy/entropyPriors'
import type { RangeDecoder, RangeEncoder } from '../entropy/rangeCoder'
import { colourPlaneSizes, subbands, type ColourThumbnailLayout, type Subband } from './colourThumbnail'
import { predictAt } from './latentPrediction'
import { GscError } from '../util/errors'

/** What the coder needs of a set's layout: the luma factors a packet may choose, and whether the chroma has its own step. */
type WireLayout = Pick<ColourThumbnailLayout, 'lumaFactors' | 'chromaExponent' | 'texture'>

export const COLOUR_PLANES = 3
/** The colour step is the packet's step times 2^(k / 4), k in this range. */
export const MAX_STEP_EXPONENT = 32

const BAND_CLASSES = 4 // LL, level 1, level 2, level >= 3
const CLASSES = 2 * BAND_CLASSES // x luma / chroma
const MAG_CLASSES = 8
const ZERO_BASE = 0
const SIGN_BASE = ZERO_BASE + CLASSES * MAG_CLASSES * 2
const EG_BASE = SIGN_BASE + CLASSES * 5
const EXPONENT_BASE = EG_BASE + CLASSES * 2 * EG_MODELS
const FACTOR_BASE = EXPONENT_BASE + EG_MODELS
const TEXTURE_BASE = FACTOR_BASE + EG_MODELS
const MODEL_COUNT = TEXTURE_BASE + EG_MODELS
/** Layouts with texture (set 30): the texture exponent t, 0..MAX_TEXTURE_EXPONENT (0: no grain; the strength it stands
 *  for is the station's, src/core/codec/textureSynthesis.ts textureStrength). */
export const MAX_TEXTURE_EXPONENT = 40
const INT32_MAX = 2 ** 31 - 1

/** The grain strength a texture exponent t stands for (set 30, 6.4): 0 = none, else 2^((t - 21) / 2). */
export function textureStrength(t: number): number {
  if (!Number.isInteger(t) || t < 0 || t > MAX_TEXTURE_EXPONENT) throw new GscError(`texture exponent must be an integer in 0..${MAX_TEXTURE_EXPONENT}, got ${t}`)
  return t === 0 ? 0 : 2 ** ((t - TEXTURE_EXPONENT_ZERO) / 2)
}

/** The nearest texture exponent to a strength (half-octave steps); 0 for none or below the smallest the wire holds. */
export function textureExponentOf(strength: number): number {
  if (!(strength > 0)) return 0
  const t = Math.round(2 * Math.log2(strength)) + TEXTURE_EXPONENT_ZERO
  return t < 1 ? 0 : Math.min(MAX_TEXTURE_EXPONENT, t)
}
const TEXTURE_EXPONENT_ZERO = 21

/** The step a colour step exponent stands for: the packet's step times 2^(k / 4) (the wire's definition, 6.4). */
export function colourStep(quantStep: number, stepExponent: number): number {
  return quantStep * 2 ** (stepExponent / 4)
}

export interface ColourThumbnailPayload {
  /** Luma samples per latent cell side (one of the layout's lumaFactors; 1 where the layout has no other). */
  lumaFactor: number
  /** k: the colour step is quantStep x 2^(k / 4), |k| <= MAX_STEP_EXPONENT. */
  stepExponent: number
  /** Layouts with chromaExponent (set 28): Cb and Cr take quantStep x 2^(chromaExponent / 4) instead, |exponent| <= MAX_STEP_EXPONENT. */
  chromaExponent?: number
  /** Layouts with texture (set 30): the texture exponent, 0..MAX_TEXTURE_EXPONENT. */
  textureExponent?: number
  /** Quantised coefficients of the Y, Cb and Cr planes one after another (colourPlaneSizes), each in the subband layout of colourThumbnail.ts. */
  coefficients: Int32Array
}

/** The thumbnail's bank for a packet of `modelId`: its set's trained starts where it has them (entropyPriors.ts). */
export function newColourModels(modelId?: number): BitModels {
  return new BitModels(MODEL_COUNT, entropyStarts(modelId, 'colour'))
}

const sgn = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0)

/** A subband with what its contexts need: its class and its parent (same band, one level coarser). */
interface BandPlan extends Subband {
  cls: number
  parent: Subband | undefined
}

function plan(h: number, w: number): BandPlan[] {
  const bands = subbands(h, w)
  return bands.map((b) => ({
    ...b,
    cls: b.band === 'LL' ? 0 : 1 + Math.min(b.level - 1, 2),
    parent: b.band === 'LL' ? undefined : bands.find((p) => p.band === b.band && p.level === b.level + 1),
  }))
}

/** Band position (yy, xx) of `symbols`, 0 outside the band's left, right and top. A function of its own, not a closure
 *  made per coefficient (run through tsx, every closure made is also named: 5 % of a CPU profile of C = 4 encodes). */
function bandSymbol(symbols: Int32Array, w: number, b: BandPlan, yy: number, xx: number): number {
  return yy >= 0 && xx >= 0 && xx < b.w ? symbols[(b.y0 + yy) * w + b.x0 + xx] : 0
}

/** Packs the zero, sign and Exp-Golomb model indices of band position (y, x) of `symbols` (one plane's coded symbols). */
function context(symbols: Int32Array, w: number, b: BandPlan, luma: boolean, y: number, x: number): [number, number, number] {
  const L = bandSymbol(symbols, w, b, y, x - 1)
  const T = bandSymbol(symbols, w, b, y - 1, x)
  const a = Math.min(2 * (Math.abs(L) + Math.abs(T)) + Math.abs(bandSymbol(symbols, w, b, y - 1, x - 1)) + Math.abs(bandSymbol(symbols, w, b, y - 1, x + 1)), 1 << 20)
  const mc = magClass(a)
  const p = b.parent
  const parent = p ? symbols[(p.y0 + Math.min(y >> 1, p.h - 1)) * w + p.x0 + Math.min(x >> 1, p.w - 1)] !== 0 : false
  const cls = (luma ? 0 : BAND_CLASSES) + b.cls
  return [ZERO_BASE + (cls * MAG_CLASSES + mc) * 2 + (parent ? 1 : 0), SIGN_BASE + cls * 5 + sgn(L) + sgn(T) + 2, EG_BASE + (cls * 2 + (mc < 3 ? 0 : 1)) * EG_MODELS]
}

/** The LL band's values <-> LOCO-I residuals (stride 1 within the band), in place on one plane. */
function predictLowPass(plane: Int32Array, w: number, ll: Subband, restore: boolean): void {
  const band = new Int32Array(ll.h * ll.w)
  for (let y = 0; y < ll.h; y++) for (let x = 0; x < ll.w; x++) band[y * ll.w + x] = plane[y * w + x]
  const n = band.length
  for (let k = 0; k < n; k++) {
    const i = restore ? k : n - 1 - k
    const v = restore ? band[i] + predictAt(band, Math.floor(i / ll.w), i % ll.w, ll.w, 1) : band[i] - predictAt(band, Math.floor(i / ll.w), i % ll.w, ll.w, 1)
    if (v > INT32_MAX || v < -INT32_MAX - 1) throw new GscError(restore ? 'corrupt colour thumbnail: value out of Int32 range' : `colour thumbnail residual ${v} is outside the Int32 range`)
    band[i] = v
  }
  for (let y = 0; y < ll.h; y++) for (let x = 0; x < ll.w; x++) plane[y * w + x] = band[y * ll.w + x]
}

/**
 * Codes `planes` wavelet planes (each h x w in the subband layout) one after the other, plane p in the luma class when
 * luma(p) (else chroma).
 */
export function encodeWaveletPlanes(enc: RangeEncoder, m: BitModels, coefficients: Int32Array, planes: number, h: number, w: number, luma: (p: number) => boolean): void {
  const bands = plan(h, w)
  for (let p = 0; p < planes; p++) {
    const symbols = coefficients.slice(p * h * w, (p + 1) * h * w)
    predictLowPass(symbols, w, bands[0], false)
    for (const b of bands)
      for (let y = 0; y < b.h; y++)
        for (let x = 0; x < b.w; x++) {
          const v = symbols[(b.y0 + y) * w + b.x0 + x]
          const [zero, sign, eg] = context(symbols, w, b, luma(p), y, x)
          m.encode(enc, zero, v === 0 ? 0 : 1)
          if (v === 0) continue
          m.encode(enc, sign, v < 0 ? 1 : 0)
          encodeEG(m, enc, eg, Math.abs(v) - 1)
        }
  }
}

export function decodeWaveletPlanes(dec: RangeDecoder, m: BitModels, planes: number, h: number, w: number, luma: (p: number) => boolean): Int32Array {
  const coefficients = new Int32Array(planes * h * w)
  const bands = plan(h, w)
  for (let p = 0; p < planes; p++) {
    const symbols = coefficients.subarray(p * h * w, (p + 1) * h * w)
    for (const b of bands)
      for (let y = 0; y < b.h; y++)
        for (let x = 0; x < b.w; x++) {
          const [zero, sign, eg] = context(symbols, w, b, luma(p), y, x)
          if (m.decode(dec, zero) === 0) continue
          const neg = m.decode(dec, sign) === 1
          const mag = decodeEG(m, dec, eg, INT32_MAX) + 1
          if (!neg && mag > INT32_MAX) throw new GscError('corrupt wavelet payload: value out of Int32 range')
          symbols[(b.y0 + y) * w + b.x0 + x] = neg ? -mag : mag
        }
    predictLowPass(symbols, w, bands[0], true)
  }
  return coefficients
}

const checkExponent = (k: number, what: string) => {
  if (!Number.isInteger(k) || Math.abs(k) > MAX_STEP_EXPONENT) throw new GscError(`${what} step exponent must be an integer in -${MAX_STEP_EXPONENT}..${MAX_STEP_EXPONENT}, got ${k}`)
}
const encodeExponent = (enc: RangeEncoder, m: BitModels, k: number) => encodeEG(m, enc, EXPONENT_BASE, k > 0 ? 2 * k - 1 : -2 * k)
const decodeExponent = (dec: RangeDecoder, m: BitModels) => {
  const z = decodeEG(m, dec, EXPONENT_BASE, 2 * MAX_STEP_EXPONENT)
  return z & 1 ? (z + 1) / 2 : z === 0 ? 0 : -z / 2
}

/**
 * The luma factor's index in the layout's lumaFactors (only where it lists more than one), the step exponent, the
 * chroma's (layouts with chromaExponent), then the Y, Cb and Cr planes (colourPlaneSizes: Y may be finer than Cb and
 * Cr), Y in the luma classes, one bank of models for all.
 */
export function encodeColourThumbnail(enc: RangeEncoder, m: BitModels, payload: ColourThumbnailPayload, layout: WireLayout, lh: number, lw: number): void {
  checkExponent(payload.stepExponent, 'colour')
  if (layout.chromaExponent !== (payload.chromaExponent !== undefined)) throw new GscError(layout.chromaExponent ? 'this colour thumbnail needs a chroma step exponent' : 'this colour thumbnail carries no chroma step exponent')
  if (payload.chromaExponent !== undefined) checkExponent(payload.chromaExponent, 'chroma')
  if (layout.texture !== (payload.textureExponent !== undefined)) throw new GscError(layout.texture ? 'this colour thumbnail needs a texture exponent' : 'this colour thumbnail carries no texture exponent')
  const t = payload.textureExponent
  if (t !== undefined && (!Number.isInteger(t) || t < 0 || t > MAX_TEXTURE_EXPONENT)) throw new GscError(`texture exponent must be an integer in 0..${MAX_TEXTURE_EXPONENT}, got ${t}`)
  const factor = layout.lumaFactors.indexOf(payload.lumaFactor)
  if (factor < 0) throw new GscError(`luma factor ${payload.lumaFactor} is not one of this set's (${layout.lumaFactors.join(', ')})`)
  const planes = colourPlaneSizes(payload.lumaFactor, lh, lw)
  const total = planes.reduce((s, [h, w]) => s + h * w, 0)
  if (payload.coefficients.length !== total)
    throw new GscError(`colour thumbnail has ${payload.coefficients.length} coefficients, expected ${planes.map(([h, w]) => `${h}x${w}`).join(' + ')} = ${total}`)
  if (layout.lumaFactors.length > 1) encodeEG(m, enc, FACTOR_BASE, factor)
  encodeExponent(enc, m, payload.stepExponent)
  if (payload.chromaExponent !== undefined) encodeExponent(enc, m, payload.chromaExponent)
  if (t !== undefined) encodeEG(m, enc, TEXTURE_BASE, t)
  let at = 0
  planes.forEach(([h, w], p) => {
    encodeWaveletPlanes(enc, m, payload.coefficients.subarray(at, at + h * w), 1, h, w, () => p === 0)
    at += h * w
  })
}

export function decodeColourThumbnail(dec: RangeDecoder, m: BitModels, layout: WireLayout, lh: number, lw: number): ColourThumbnailPayload {
  const factor = layout.lumaFactors.length > 1 ? decodeEG(m, dec, FACTOR_BASE, layout.lumaFactors.length) : 0
  if (factor >= layout.lumaFactors.length) throw new GscError(`corrupt colour thumbnail: luma factor index ${factor} (this set has ${layout.lumaFactors.length})`)
  const lumaFactor = layout.lumaFactors[factor]
  const stepExponent = decodeExponent(dec, m)
  const chromaExponent = layout.chromaExponent ? decodeExponent(dec, m) : undefined
  const textureExponent = layout.texture ? decodeEG(m, dec, TEXTURE_BASE, MAX_TEXTURE_EXPONENT) : undefined
  const planes = colourPlaneSizes(lumaFactor, lh, lw)
  const coefficients = new Int32Array(planes.reduce((s, [h, w]) => s + h * w, 0))
  let at = 0
  planes.forEach(([h, w], p) => {
    coefficients.set(decodeWaveletPlanes(dec, m, 1, h, w, () => p === 0), at)
    at += h * w
  })
  return { lumaFactor, stepExponent, ...(chromaExponent !== undefined ? { chromaExponent } : {}), ...(textureExponent !== undefined ? { textureExponent } : {}), coefficients }
}
