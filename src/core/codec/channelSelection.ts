// Which C of the 320 latent channels to send: the ones that on their own most raise the SSIM of the image's
// structure. See scoreChannelPatterns for exactly what is compared (set 1: scoreChannels, set 3: the preview's patterns).
import { RGB_TO_YCBCR } from '../image/ycbcr'
import { GscError } from '../util/errors'
import type { RgbImage } from '../image/rgbImage'

/** Latent grid factor: one latent value per 16x16 pixel block. */
export const LATENT_FACTOR = 16

/** One latent channel's place in g_a's transform: colour plane (0 Y, 1 Cb, 2 Cr) and DCT frequency (u vertical, v horizontal). */
export interface ChannelBasis {
  plane: number
  u: number
  v: number
}

/** Samples per side of a latent block in the structure planes: each 16x16 block is seen as 4x4 means. */
const SUB = 4
const PER_BLOCK = LATENT_FACTOR / SUB
const SEL_C1 = 0.01 ** 2
const SEL_C2 = 0.03 ** 2

/**
 * The image's structure: full-range BT.601 Y, Cb + 0.5, Cr + 0.5 planes (values 0..1) of the padded
 * image, each averaged over 4x4 pixels. Returned per plane, block-major: plane[b * 16 + j] is sample j
 * (row-major 4x4) of latent block b (row-major over the lh x lw grid).
 */
export function structurePlanes(padded: RgbImage): { planes: Float64Array[]; lw: number; lh: number } {
  if (padded.width % LATENT_FACTOR || padded.height % LATENT_FACTOR) throw new GscError('structure planes need an image padded to multiples of 16')
  const lw = padded.width / LATENT_FACTOR
  const lh = padded.height / LATENT_FACTOR
  const planes = [0, 1, 2].map(() => new Float64Array(lw * lh * PER_BLOCK * PER_BLOCK))
  const d = padded.data
  const inv = 1 / (255 * SUB * SUB)
  const [[yr, yg, yb], [br, bg, bb], [rr, rg, rb]] = RGB_TO_YCBCR
  for (let py = 0; py < padded.height; py++) {
    const by = Math.floor(py / LATENT_FACTOR)
    const sy = Math.floor(py / SUB) % PER_BLOCK
    for (let px = 0; px < padded.width; px++) {
      const o = 3 * (py * padded.width + px)
      const r = d[o]
      const g = d[o + 1]
      const b = d[o + 2]
      const at = (by * lw + Math.floor(px / LATENT_FACTOR)) * PER_BLOCK * PER_BLOCK + sy * PER_BLOCK + (Math.floor(px / SUB) % PER_BLOCK)
      planes[0][at] += (yr * r + yg * g + yb * b) * inv
      planes[1][at] += (br * r + bg * g + bb * b) * inv
      planes[2][at] += (rr * r + rg * g + rb * b) * inv
    }
  }
  for (const p of [planes[1], planes[2]]) for (let i = 0; i < p.length; i++) p[i] += 0.5
  return { planes, lw, lh }
}

/** Orthonormal 16x16 DCT-II basis image (u, v) averaged over 4x4 pixels: 16 values, row-major. */
export function basisPattern(u: number, v: number): Float64Array {
  const cos1 = (f: number, m: number) => Math.sqrt((f === 0 ? 1 : 2) / LATENT_FACTOR) * Math.cos(((2 * m + 1) * f * Math.PI) / (2 * LATENT_FACTOR))
  const out = new Float64Array(PER_BLOCK * PER_BLOCK)
  for (let m = 0; m < LATENT_FACTOR; m++)
    for (let k = 0; k < LATENT_FACTOR; k++) out[Math.floor(m / SUB) * PER_BLOCK + Math.floor(k / SUB)] += (cos1(u, m) * cos1(v, k)) / (SUB * SUB)
  return out
}

/** Sums over windows of 2x2 blocks (one block where the grid has a single row or column), stride one block. */
function windowSums(a: Float64Array, lh: number, lw: number): Float64Array {
  const wh = lh > 1 ? lh - 1 : 1
  const ww = lw > 1 ? lw - 1 : 1
  const out = new Float64Array(wh * ww)
  for (let y = 0; y < wh; y++)
    for (let x = 0; x < ww; x++) {
      let s = 0
      for (let dy = 0; dy < Math.min(2, lh); dy++) for (let dx = 0; dx < Math.min(2, lw); dx++) s += a[(y + dy) * lw + x + dx]
      out[y * ww + x] = s
    }
  return out
}

/** Mean over windows of SSIM from window sums (population statistics over n samples). */
function meanSsim(sx: Float64Array, sxx: Float64Array, sy: Float64Array, syy: Float64Array, sxy: Float64Array, n: number): number {
  let total = 0
  for (let i = 0; i < sx.length; i++) {
    const mx = sx[i] / n
    const my = sy[i] / n
    const vx = sxx[i] / n - mx * mx
    const vy = syy[i] / n - my * my
    const cov = sxy[i] / n - mx * my
    total += ((2 * mx * my + SEL_C1) * (2 * cov + SEL_C2)) / ((mx * mx + my * my + SEL_C1) * (vx + vy + SEL_C2))
  }
  return total / sx.length
}

/** Per channel, per colour plane (0 Y, 1 Cb, 2 Cr): 16 values, the channel's 4x4 pattern (row-major) per unit of y / scale. */
export type ChannelPatterns = ReadonlyArray<ReadonlyArray<ArrayLike<number>>>

/** Set 1's patterns: channel k's DCT basis pattern in its own plane, zeros in the other two. */
export function dctPatterns(layout: readonly ChannelBasis[]): Float64Array[][] {
  return layout.map((b) => [0, 1, 2].map((p) => (p === b.plane ? basisPattern(b.u, b.v) : new Float64Array(PER_BLOCK * PER_BLOCK))))
}

/**
 * Score of every channel from its per-plane patterns (set 3's rule 'ssim-gain-preview', training/latent/channel_rule.py;
 * set 1's 'ssim-gain' through dctPatterns): for each plane, the gain in mean local SSIM of the plane's structure
 * (4x4-pixel means, windows of 2x2 blocks, stride one block) when the flat plane at the plane's mean becomes that
 * level plus y_k / scale times the channel's pattern in every block, minus the pattern's image mean; summed over
 * the planes. An all-zero pattern is skipped: its candidate is the flat plane, whose gain is exactly 0.
 * latents = g_a's output before quantisation, channel-major (channels x lh x lw).
 */
export function scoreChannelPatterns(latents: ArrayLike<number>, patterns: ChannelPatterns, scale: number, structure: ReturnType<typeof structurePlanes>): Float64Array {
  const { planes, lh, lw } = structure
  const nb = lh * lw
  const K = patterns.length
  if (latents.length !== K * nb) throw new GscError(`latents hold ${latents.length} values, expected ${K}x${lh}x${lw}`)
  const S = PER_BLOCK * PER_BLOCK
  for (let k = 0; k < K; k++)
    if (patterns[k].length !== planes.length || patterns[k].some((P) => P.length !== S))
      throw new GscError(`channel ${k}'s selection pattern must be ${planes.length} planes of ${S} values`)
  const nsamp = S * Math.min(2, lh) * Math.min(2, lw)
  // per plane: block sums of the structure and its square, their window sums, the flat plane's SSIM
  const perPlane = planes.map((pl) => {
    const r1 = new Float64Array(nb)
    const r2 = new Float64Array(nb)
    let total = 0
    for (let b = 0; b < nb; b++)
      for (let j = 0; j < S; j++) {
        const v = pl[b * S + j]
        r1[b] += v
        r2[b] += v * v
        total += v
      }
    const m = total / (nb * S)
    const S1 = windowSums(r1, lh, lw)
    const S2 = windowSums(r2, lh, lw)
    const flat1 = S1.map(() => nsamp * m)
    const flat2 = S1.map(() => nsamp * m * m)
    const flatX = S1.map((v) => m * v)
    return { m, S1, S2, flat: meanSsim(S1, S2, flat1, flat2, flatX, nsamp) }
  })
  const scores = new Float64Array(K)
  const c1 = new Float64Array(nb)
  const c2 = new Float64Array(nb)
  const cx = new Float64Array(nb)
  for (let k = 0; k < K; k++) {
    let total = 0
    for (let p = 0; p < planes.length; p++) {
      const P = patterns[k][p]
      let pSum = 0
      let pSq = 0
      let any = false
      for (let j = 0; j < S; j++) {
        pSum += P[j]
        pSq += P[j] * P[j]
        if (P[j] !== 0) any = true
      }
      if (!any) continue
      const pl = planes[p]
      const { m, S1, S2, flat } = perPlane[p]
      let cTotal = 0
      for (let b = 0; b < nb; b++) {
        const a = latents[k * nb + b] / scale
        let proj = 0
        for (let j = 0; j < S; j++) proj += pl[b * S + j] * P[j]
        c1[b] = a * pSum
        c2[b] = a * a * pSq
        cx[b] = a * proj
        cTotal += c1[b]
      }
      const d = m - cTotal / (nb * S)
      const C1s = windowSums(c1, lh, lw)
      const C2s = windowSums(c2, lh, lw)
      const CX = windowSums(cx, lh, lw)
      const cand1 = C1s.map((v) => v + nsamp * d)
      const cand2 = C2s.map((v, i) => v + 2 * d * C1s[i] + nsamp * d * d)
      const candX = CX.map((v, i) => v + d * S1[i])
      total += meanSsim(S1, S2, cand1, cand2, candX, nsamp) - flat
    }
    scores[k] = total
  }
  return scores
}

/**
 * Score of every channel, set 1's rule ('ssim-gain', training/set1/channel_select.py states it in full): how much
 * channel k alone raises the mean local SSIM of its colour plane's structure over a flat plane at the plane's
 * mean, its candidate being that flat level plus y_k / scale times its DCT pattern in every block, minus the
 * pattern's image mean. scoreChannelPatterns with each channel's pattern in its own plane only (the other two
 * planes are skipped, so the scores are exactly those of the one-plane rule).
 */
export function scoreChannels(latents: ArrayLike<number>, layout: readonly ChannelBasis[], scale: number, structure: ReturnType<typeof structurePlanes>): Float64Array {
  return scoreChannelPatterns(latents, dctPatterns(layout), scale, structure)
}

/**
 * Alternative ranking ('energy'): the variance of each channel of g_a's output over the image.
 * Not what the generator was trained with; kept for comparison with the SSIM rule (it ignores how a
 * channel's energy is spread over the picture and compares planes on raw magnitude).
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

/**
 * Scores with a set's always-sent channels above every other (in their listed order), so every C includes them, and
 * the channels it never lists on their own (set 22's thumbnails, which its colour channel carries) below every other.
 */
export function sendFirst(scores: Float64Array, always: readonly number[] | undefined, never: readonly number[] = []): Float64Array {
  for (const c of never) if (c < scores.length) scores[c] = -Infinity
  if (!always?.length) return scores
  let top = 0
  for (const v of scores) if (Number.isFinite(v)) top = Math.max(top, Math.abs(v))
  always.forEach((c, i) => {
    if (c < scores.length) scores[c] = 2 * top + 1 + (always.length - i)
  })
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
