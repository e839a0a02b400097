// Which C of the 320 latent channels to send: the ones whose quantized values look most like
// the image's structure, scored by SSIM. See scoreChannels for exactly what is compared.
import { GscError } from '../util/errors'
import { luma, type RgbImage } from '../util/image'

/** Latent grid factor: one latent value per 16x16 pixel block. */
export const LATENT_FACTOR = 16

/**
 * The image's structure at latent resolution: BT.601 luma of the (padded) image averaged over
 * each 16x16 block, giving a ceil(H/16) x ceil(W/16) plane in 0..255.
 */
export function structurePlane(padded: RgbImage): { data: Float64Array; w: number; h: number } {
  const w = Math.ceil(padded.width / LATENT_FACTOR)
  const h = Math.ceil(padded.height / LATENT_FACTOR)
  const y = luma(padded)
  const sum = new Float64Array(w * h)
  const cnt = new Float64Array(w * h)
  for (let py = 0; py < padded.height; py++) {
    const by = Math.floor(py / LATENT_FACTOR)
    for (let px = 0; px < padded.width; px++) {
      const b = by * w + Math.floor(px / LATENT_FACTOR)
      sum[b] += y[py * padded.width + px]
      cnt[b]++
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] /= cnt[i]
  return { data: sum, w, h }
}

/** Min-max scaling to 0..1 (a constant plane, span < 1e-12, maps to all zeros), as training/channel_select.py _norm. */
export function normalizePlane(src: ArrayLike<number>, offset: number, n: number): Float64Array {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < n; i++) {
    const v = src[offset + i]
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  const out = new Float64Array(n)
  const span = hi - lo
  if (span >= 1e-12) for (let i = 0; i < n; i++) out[i] = (src[offset + i] - lo) / span
  return out
}

const SEL_C1 = 0.01 ** 2
const SEL_C2 = 0.03 ** 2

/** SSIM with one window covering the whole plane (population variances), data range 1. */
export function globalSsim(a: Float64Array, b: Float64Array): number {
  const n = a.length
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i]
    mb += b[i]
  }
  ma /= n
  mb /= n
  let va = 0
  let vb = 0
  let cov = 0
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma
    const db = b[i] - mb
    va += da * da
    vb += db * db
    cov += da * db
  }
  va /= n
  vb /= n
  cov /= n
  return ((2 * ma * mb + SEL_C1) * (2 * cov + SEL_C2)) / ((ma * ma + mb * mb + SEL_C1) * (va + vb + SEL_C2))
}

/**
 * Score of every channel, the rule the generator was trained with (training/channel_select.py):
 * S = block-mean BT.601 luma of the edge-padded image over 16x16 blocks (structurePlane), y_c = channel c
 * of g_a's output BEFORE quantisation (ceil(H/16) x ceil(W/16)); both min-max normalised to 0..1
 * (constant -> zeros); score_c = global SSIM(norm(y_c), norm(S)): one window over the whole map,
 * population variances, C1 = 0.01^2, C2 = 0.03^2. Rank: score descending, ties by lower index.
 * (Scoring the unquantised channel keeps the choice independent of the step; at the steps used the
 * quantised and unquantised maps rank alike, and this is what the generator saw in training.)
 */
export function scoreChannels(latents: ArrayLike<number>, channels: number, h: number, w: number, structure: Float64Array): Float64Array {
  const n = h * w
  if (latents.length !== channels * n) throw new GscError(`latents hold ${latents.length} values, expected ${channels}x${h}x${w}`)
  if (structure.length !== n) throw new GscError('structure plane does not match the latent grid')
  const s = normalizePlane(structure, 0, n)
  const scores = new Float64Array(channels)
  for (let c = 0; c < channels; c++) scores[c] = globalSsim(normalizePlane(latents, c * n, n), s)
  return scores
}

/**
 * Alternative ranking ('energy'): the variance of each channel of g_a's output over the image.
 * Not what the generator was trained with; offered because the SSIM-vs-luma rule ranks AC and chroma
 * channels by their resemblance to the luma thumbnail, which they (by construction) do not have,
 * while the energy rule picks the low-frequency luma and the chroma DC that carry most of the picture.
 */
export function energyScores(latents: ArrayLike<number>, channels: number, h: number, w: number): Float64Array {
  const n = h * w
  const out = new Float64Array(channels)
  for (let c = 0; c < channels; c++) {
    let s = 0
    let s2 = 0
    for (let i = 0; i < n; i++) {
      const v = latents[c * n + i]
      s += v
      s2 += v * v
    }
    out[c] = s2 / n - (s / n) ** 2
  }
  return out
}

export type SelectionRule = 'ssim' | 'energy'

/** Indices of the `count` best scores, ties broken by the lower index; returned in ascending index order. */
export function selectTopChannels(scores: ArrayLike<number>, count: number): number[] {
  if (!Number.isInteger(count) || count < 0 || count > scores.length)
    throw new GscError(`cannot select ${count} of ${scores.length} channels`)
  const order = Array.from({ length: scores.length }, (_, i) => i)
  order.sort((a, b) => scores[b] - scores[a] || a - b)
  return order.slice(0, count).sort((a, b) => a - b)
}

/** Channel-major gather: out[k] = latents[indices[k]] (each h*w values). */
export function gatherChannels<T extends Int32Array | Float32Array>(latents: T, indices: number[], n: number): T {
  const Ctor = latents.constructor as { new (len: number): T }
  const out = new Ctor(indices.length * n)
  indices.forEach((c, k) => out.set(latents.subarray(c * n, c * n + n), k * n))
  return out
}
