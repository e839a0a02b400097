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
 * The step rule: the finest step in `steps` (finest first) whose packet (as measured by `packetBits`)
 * fits `budgetBits`; if none fits, the coarsest. Packet size falls as the step grows, so the search
 * is a binary search (about log2(8) = 3 trial encodings); `tried` lists every trial.
 */
export async function chooseStep(
  packetBits: (step: number) => Promise<number> | number,
  budgetBits: number,
  steps: readonly number[] = QUANT_STEPS
): Promise<{ step: number; bits: number; fits: boolean; tried: { step: number; bits: number }[] }> {
  if (steps.length === 0) throw new GscError('no quantisation steps to choose from')
  const tried: { step: number; bits: number }[] = []
  const memo = new Map<number, number>()
  const measure = async (i: number) => {
    let b = memo.get(i)
    if (b === undefined) {
      b = await packetBits(steps[i])
      memo.set(i, b)
      tried.push({ step: steps[i], bits: b })
    }
    return b
  }
  // invariant: every index < lo does not fit; every index >= hi fits (hi = length: none known to fit)
  let lo = 0
  let hi = steps.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((await measure(mid)) <= budgetBits) hi = mid
    else lo = mid + 1
  }
  tried.sort((a, b) => a.step - b.step)
  if (hi < steps.length) return { step: steps[hi], bits: await measure(hi), fits: true, tried }
  const last = steps.length - 1
  return { step: steps[last], bits: await measure(last), fits: false, tried }
}
