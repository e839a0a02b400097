// Uniform scalar quantization of latent channels, and the rule that picks the step for a bit target.
import { GscError } from '../util/errors'

/**
 * Steps the generator was trained to be conditioned on (training/configs: cond_quant_steps).
 * The encoder only ever chooses one of these, so the station never sees a precision the model has not.
 */
export const QUANT_STEPS = [1, 2, 4, 8] as const

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
 * The step rule: the finest step in QUANT_STEPS whose packet (as measured by `packetBits`) fits
 * `budgetBits`; if none fits, the coarsest. The chosen step travels in the GSC header.
 */
export async function chooseStep(
  packetBits: (step: number) => Promise<number> | number,
  budgetBits: number,
  steps: readonly number[] = QUANT_STEPS
): Promise<{ step: number; bits: number; fits: boolean; tried: { step: number; bits: number }[] }> {
  const tried: { step: number; bits: number }[] = []
  for (const step of steps) {
    const bits = await packetBits(step)
    tried.push({ step, bits })
    if (bits <= budgetBits) return { step, bits, fits: true, tried }
  }
  const last = tried[tried.length - 1]
  return { step: last.step, bits: last.bits, fits: false, tried }
}
