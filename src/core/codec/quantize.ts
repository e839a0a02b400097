// Uniform scalar quantization of latent channels, and the rule that picks the step for a bit target.
import { GscError } from '../util/errors'

/** True when `step` lies within the range of steps the generator was conditioned on in training (manifest trainedQuantSteps). */
export function withinTrainedSteps(step: number, trained: readonly number[]): boolean {
  return trained.length > 0 && step >= Math.min(...trained) && step <= Math.max(...trained)
}

/**
 * Steps the encoder may choose, finest first: powers of two and the halfway values 1.5 x 2^k
 * (all exact multiples of 1/64 on the wire; powers of two take 5 header bits, the others ~20 more).
 * The generator is trained on steps 1..128 (training/configs cond_quant_steps): at 0.004 bpp the
 * lowest-frequency (DC-like) channel that selection usually picks first needs steps of 32..128 to fit.
 */
export const QUANT_STEPS = [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128] as const

/** Round half away from zero: symmetric, and identical on every platform (unlike banker's rounding). */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5)
}

export function quantize(values: Float32Array | Float64Array, step: number): Int32Array {
  if (!(step > 0)) throw new GscError(`quantization step must be > 0, got ${step}`)
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = roundHalfAway(values[i] / step)
  return out
}

export function dequantize(q: Int32Array, step: number): Float32Array {
  const out = new Float32Array(q.length)
  for (let i = 0; i < q.length; i++) out[i] = q[i] * step
  return out
}

/**
 * Target bits per pixel for a packet with C channels, caption and all headers included:
 * 0.004 bpp at C = 1 rising to 0.02 bpp at C = 16 (the issue's targets), geometric in between
 * (C = 2: 0.0060, 4: 0.0089, 8: 0.0134). C = 0 (caption only) shares C = 1's target.
 */
export function targetBpp(channels: number): number {
  const c = Math.max(1, Math.min(16, channels))
  const t = Math.log2(c) / 4
  return 0.004 * (0.02 / 0.004) ** t
}

export function targetBits(channels: number, width: number, height: number): number {
  return Math.floor(targetBpp(channels) * width * height)
}

/**
 * The first of `candidates` (ordered best quality first: finest step first) whose packet fits `budgetBits`; if none
 * fits, `fallback` (default: the last candidate). Packet size does NOT always fall along the list: a smooth predicted
 * channel quantised to a few levels dithers between them where it crosses a rounding threshold, so one step coarser
 * can cost a third more (measured: kodim02, set 5, C = 4 costs 2,624 latent bits at step 192 and 3,512 at 256). A
 * binary search then skips a finer step that fits, so the rule scans from the last candidate towards the first and
 * stops only once one costs more than SCAN_STOP_RATIO x the budget (the dithering moves a packet by tens of percent,
 * not by a factor of two). `tried` lists every trial, in candidate order (the fallback, when separate, first).
 */
export async function finestThatFits<T extends { step: number }>(
  candidates: readonly T[],
  packetBits: (c: T) => Promise<number> | number,
  budgetBits: number,
  fallback: T = candidates[candidates.length - 1]
): Promise<{ choice: T; bits: number; fits: boolean; tried: (T & { bits: number })[] }> {
  if (candidates.length === 0) throw new GscError('no quantisation steps to choose from')
  const bitsOf = new Map<T, number>()
  const measure = async (c: T) => {
    if (!bitsOf.has(c)) bitsOf.set(c, await packetBits(c))
    return bitsOf.get(c)!
  }
  let best: T | null = null
  for (let i = candidates.length - 1; i >= 0; i--) {
    const bits = await measure(candidates[i])
    if (bits <= budgetBits) best = candidates[i]
    else if (i < candidates.length - 1 && bits > SCAN_STOP_RATIO * budgetBits) break
  }
  const choice = best ?? fallback
  const bits = await measure(choice)
  const order = candidates.includes(fallback) ? candidates : [fallback, ...candidates]
  const tried = order.filter((c) => bitsOf.has(c)).map((c) => ({ ...c, bits: bitsOf.get(c)! }))
  return { choice, bits, fits: best !== null, tried }
}

/** The step rule stops scanning finer candidates once one costs this many times the budget. */
export const SCAN_STOP_RATIO = 2
