// Sets 30 and 31's texture synthesis (docs/bitstream.md 6.4, "texture strength"): the station adds seeded, band-limited luma
// grain where the decoded picture shows texture, at a strength the sender measured against the original. Why: at the
// targets' bytes the packet carries nothing finer than the 1/4-scale luma plane, so the decoder averages the finest
// detail into blur; a codec can send how much of it there was and let the station draw grain in its place (JPEG XL's
// noise synthesis and AV1's film grain do the same). The grain is invented detail: its place and shape are the
// seed's, only its local amount follows the original, and it stays off edges. The station can decode without it
// (DecodeOptions.texture).
import { gaussianNoise, hash32 } from './prng'
import { GscError } from '../util/errors'
import { luma, type RgbImage } from '../image/rgbImage'

/** Scales of the analysis (pixels): the grain is white noise minus its blur at GRAIN_SIGMA (detail finer than the
 *  luma plane's 4-px stride); the decoded picture's texture is its band between BAND_SIGMAS, its energy (and its
 *  gradients' structure tensor) averaged at ENERGY_SIGMA. Chosen on 16 training photos
 *  (docs/bench/latent-codec/ship-rule-set30.md). */
export const GRAIN_SIGMA = 1.5
export const BAND_SIGMAS = [1, 3] as const
export const ENERGY_SIGMA = 4

/** A separable Gaussian blur of a w x h plane (radius ceil(3 sigma), mirrored at the borders). */
export function gaussianBlur(plane: Float64Array, w: number, h: number, sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma)
  const k = new Float64Array(2 * r + 1)
  let sum = 0
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma))
  for (let i = 0; i < k.length; i++) k[i] /= sum
  const mirror = (i: number, n: number) => {
    if (n === 1) return 0
    const p = 2 * (n - 1)
    const m = ((i % p) + p) % p
    return m < n ? m : p - m
  }
  // one line at a time, copied with its mirrored margins so the inner loop has no branches
  const blurLines = (src: Float64Array, dst: Float64Array, n: number, lines: number, at: (line: number, i: number) => number) => {
    const line = new Float64Array(n + 2 * r)
    for (let l = 0; l < lines; l++) {
      for (let i = -r; i < n + r; i++) line[i + r] = src[at(l, mirror(i, n))]
      for (let i = 0; i < n; i++) {
        let s = 0
        for (let j = 0; j <= 2 * r; j++) s += k[j] * line[i + j]
        dst[at(l, i)] = s
      }
    }
  }
  const tmp = new Float64Array(w * h)
  blurLines(plane, tmp, w, h, (y, x) => y * w + x)
  const out = new Float64Array(w * h)
  blurLines(tmp, out, h, w, (x, y) => y * w + x)
  return out
}

/** BT.601 luma in 0..1. */
const luma01 = (img: RgbImage): Float64Array => luma(img).map((v) => v / 255)

/** x minus its blur at GRAIN_SIGMA: the detail finer than the luma plane carries. */
function fineDetail(y: Float64Array, w: number, h: number): Float64Array {
  const b = gaussianBlur(y, w, h, GRAIN_SIGMA)
  const out = new Float64Array(y.length)
  for (let i = 0; i < y.length; i++) out[i] = y[i] - b[i]
  return out
}

/** How strongly the grain avoids edges: the amplitude is scaled by (1 - coherence)^EDGE_POWER (chosen on the 16
 *  training photos: a blurred edge has as much band energy as texture, and grain along it reads as a fuzzy halo). */
export const EDGE_POWER = 2

/**
 * Per set, the power p of the grain's amplitude over its mean (textureAmplitude): set 30 follows the decoded picture's
 * texture linearly (p = 1); set 31 squares it (p = 2), so the grain gathers where the decode already shows texture and
 * leaves what is nearly flat (sky, skin) nearly bare: with p = 1 it reached the flattest quarter of the judging photos
 * (docs/bench/latent-codec/ship-rule-set30.md, criterion 5). A packet's texture exponent means a strength of this
 * amplitude, so the power belongs to the set's wire.
 */
export const GRAIN_AMPLITUDE_POWER: Readonly<Record<number, number>> = { 30: 1, 31: 2 }

/** The grain amplitude's power for a model set; one line for a set without grain. */
export function grainPowerOf(modelId: number): number {
  const p = GRAIN_AMPLITUDE_POWER[modelId]
  if (p === undefined) throw new GscError(`model set ${modelId} draws no grain (sets with grain: ${Object.keys(GRAIN_AMPLITUDE_POWER).join(', ')})`)
  return p
}

/**
 * Where grain goes and how much: the RMS of the decoded picture's band between BAND_SIGMAS (its local texture),
 * times (1 - c)^EDGE_POWER with c the coherence of its gradients' structure tensor averaged at ENERGY_SIGMA (1 along a
 * straight edge, near 0 in texture with no one direction), so grain goes into texture and not along edges; with a
 * power p other than 1, that amplitude a becomes m (a / m)^p, m its mean over the picture (GRAIN_AMPLITUDE_POWER).
 */
export function textureAmplitude(decoded: RgbImage, power = 1): Float64Array {
  const { width: w, height: h } = decoded
  const y = luma01(decoded)
  const fine = gaussianBlur(y, w, h, BAND_SIGMAS[0])
  const coarse = gaussianBlur(y, w, h, BAND_SIGMAS[1])
  const sq = new Float64Array(y.length)
  for (let i = 0; i < y.length; i++) sq[i] = (fine[i] - coarse[i]) ** 2
  const e = gaussianBlur(sq, w, h, ENERGY_SIGMA)
  const coherence = gradientCoherence(fine, w, h)
  for (let i = 0; i < e.length; i++) e[i] = Math.sqrt(Math.max(0, e[i])) * (1 - coherence[i]) ** EDGE_POWER
  if (power === 1 || e.length === 0) return e
  let mean = 0
  for (let i = 0; i < e.length; i++) mean += e[i] / e.length
  if (!(mean > 0)) return e
  for (let i = 0; i < e.length; i++) e[i] = mean * (e[i] / mean) ** power
  return e
}

/** The structure tensor's coherence ((l1 - l2) / (l1 + l2), 0..1) of a plane's central-difference gradients. */
function gradientCoherence(plane: Float64Array, w: number, h: number): Float64Array {
  const xx = new Float64Array(w * h)
  const yy = new Float64Array(w * h)
  const xy = new Float64Array(w * h)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x
      const gx = x > 0 && x < w - 1 ? (plane[i + 1] - plane[i - 1]) / 2 : 0
      const gy = y > 0 && y < h - 1 ? (plane[i + w] - plane[i - w]) / 2 : 0
      xx[i] = gx * gx
      yy[i] = gy * gy
      xy[i] = gx * gy
    }
  const [jxx, jyy, jxy] = [xx, yy, xy].map((p) => gaussianBlur(p, w, h, ENERGY_SIGMA))
  const out = new Float64Array(w * h)
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.sqrt((jxx[i] - jyy[i]) ** 2 + 4 * jxy[i] ** 2) / (jxx[i] + jyy[i] + 1e-12))
  return out
}

/**
 * The local RMS of the fine detail (finer than GRAIN_SIGMA, averaged at ENERGY_SIGMA) the original has and the decoded
 * picture lacks: what grain stands in for.
 */
export function missingDetail(original: RgbImage, decoded: RgbImage): Float64Array {
  if (original.width !== decoded.width || original.height !== decoded.height)
    throw new GscError(`texture fit: original ${original.width}x${original.height} and decoded ${decoded.width}x${decoded.height} differ`)
  const { width: w, height: h } = original
  const energy = (img: RgbImage) => {
    const d = fineDetail(luma01(img), w, h)
    for (let i = 0; i < d.length; i++) d[i] *= d[i]
    return gaussianBlur(d, w, h, ENERGY_SIGMA)
  }
  const eo = energy(original)
  const ed = energy(decoded)
  for (let i = 0; i < eo.length; i++) eo[i] = Math.sqrt(Math.max(0, eo[i] - ed[i]))
  return eo
}

/** The strength s for which s x `amplitude` best matches (least squares) the missing detail. */
export function fitStrength(missing: Float64Array, amplitude: Float64Array): number {
  let num = 0
  let den = 0
  for (let i = 0; i < amplitude.length; i++) {
    num += missing[i] * amplitude[i]
    den += amplitude[i] * amplitude[i]
  }
  return den > 0 ? num / den : 0
}

/**
 * The sender's measurement: the strength s for which s x textureAmplitude(decoded, power) best matches the missing
 * detail (missingDetail). The encoder sends gain x s.
 */
export function fitTextureStrength(original: RgbImage, decoded: RgbImage, power = 1): number {
  return fitStrength(missingDetail(original, decoded), textureAmplitude(decoded, power))
}

/**
 * Grain of a given amplitude: decoded + strength x amplitude x unit-variance fine-detail noise (white Gaussian noise
 * from the seed, prng.ts, minus its blur at GRAIN_SIGMA), added to R, G and B alike (luma only), then clamped and
 * rounded. Strength 0 returns the picture unchanged.
 */
export function addGrain(decoded: RgbImage, amplitude: Float64Array, strength: number, seed: number): RgbImage {
  if (!(strength > 0)) return decoded
  const { width: w, height: h } = decoded
  const noise = fineDetail(gaussianNoise(hash32((seed >>> 0) ^ 0x7e47a5e1), w * h), w, h)
  let ss = 0
  for (let i = 0; i < noise.length; i++) ss += noise[i] * noise[i]
  const norm = noise.length > 0 && ss > 0 ? 1 / Math.sqrt(ss / noise.length) : 0
  const out = new Uint8Array(decoded.data.length)
  for (let i = 0; i < w * h; i++) {
    const delta = 255 * strength * amplitude[i] * noise[i] * norm
    for (let c = 0; c < 3; c++) out[3 * i + c] = Math.max(0, Math.min(255, Math.round(decoded.data[3 * i + c] + delta)))
  }
  return { width: w, height: h, data: out }
}

/** The station's grain (sets 30, 31): addGrain with textureAmplitude(decoded, power). */
export function synthesizeTexture(decoded: RgbImage, strength: number, seed: number, power = 1): RgbImage {
  return strength > 0 ? addGrain(decoded, textureAmplitude(decoded, power), strength, seed) : decoded
}
