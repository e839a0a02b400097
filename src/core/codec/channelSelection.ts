// Which C of the 320 latent channels to send: the ones whose quantized values look most like
// the image's structure, scored by SSIM. See scoreChannels for exactly what is compared.
import { ssimPlanes } from '../analysis/metrics'
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

/** Min-max scaling to 0..255 (a constant plane maps to all zeros). */
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
  if (span > 0) for (let i = 0; i < n; i++) out[i] = ((src[offset + i] - lo) / span) * 255
  return out
}

export interface ChannelScoreOptions {
  /** SSIM window at latent resolution (default 7: an 11x11 window would not fit small latents). */
  windowSize?: number
  sigma?: number
}

/**
 * Score of every channel: SSIM(norm(q_c), norm(S)) where q_c is channel c's quantized latent
 * (ceil(H/16) x ceil(W/16)), S is structurePlane (block-mean luma), norm is min-max scaling
 * to 0..255, and SSIM uses a Gaussian window (7x7, sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255).
 * A channel that is negatively correlated with luma carries the same structure, so the score is
 * max(SSIM(norm(q_c), norm(S)), SSIM(255 - norm(q_c), norm(S))). A channel quantized to a
 * constant scores (about) 0 and is never preferred to one that carries structure.
 */
export function scoreChannels(
  latents: ArrayLike<number>,
  channels: number,
  h: number,
  w: number,
  structure: Float64Array,
  opts: ChannelScoreOptions = {}
): Float64Array {
  const n = h * w
  if (latents.length !== channels * n) throw new GscError(`latents hold ${latents.length} values, expected ${channels}x${h}x${w}`)
  if (structure.length !== n) throw new GscError('structure plane does not match the latent grid')
  const s = normalizePlane(structure, 0, n)
  const ssimOpts = { windowSize: opts.windowSize ?? 7, sigma: opts.sigma ?? 1.5 }
  const scores = new Float64Array(channels)
  const inv = new Float64Array(n)
  for (let c = 0; c < channels; c++) {
    const q = normalizePlane(latents, c * n, n)
    let constant = true
    for (let i = 0; i < n; i++) {
      inv[i] = 255 - q[i]
      if (q[i] !== 0) constant = false
    }
    if (constant) {
      scores[c] = 0
      continue
    }
    const pos = ssimPlanes(q, s, w, h, ssimOpts).ssim
    const neg = ssimPlanes(inv, s, w, h, ssimOpts).ssim
    scores[c] = Math.max(pos, neg)
  }
  return scores
}

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
