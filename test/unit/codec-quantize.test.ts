// Latent quantisation and the bit budget (src/core/codec/quantize.ts).
import { describe, expect, it } from 'vitest'
import { dequantize, finestThatFits, QUANT_STEPS, quantize, roundHalfAway, targetBits, targetBpp } from '../../src/core/codec/quantize'

/** The step rule over plain steps: the chosen step, its bits, whether it fits, and the steps tried. */
async function chooseStep(packetBits: (step: number) => number, budget: number, steps: readonly number[] = QUANT_STEPS) {
  const r = await finestThatFits(steps.map((step) => ({ step })), (c) => packetBits(c.step), budget)
  return { step: r.choice.step, bits: r.bits, fits: r.fits, tried: r.tried }
}

describe('quantize', () => {
  it('rounds half away from zero and dequantizes with the step', () => {
    expect([2.5, -2.5, 0.49, -0.5, 1.5].map(roundHalfAway)).toEqual([3, -3, 0, -1, 2])
    const q = quantize(Float32Array.from([0.9, -3.1, 5, 12.2]), 2)
    expect(Array.from(q)).toEqual([0, -2, 3, 6]) // 0.45->0, -1.55->-2, 2.5->3, 6.1->6
    expect(Array.from(dequantize(q, 2))).toEqual([0, -4, 6, 12])
  })
  it('targets 0.004 bpp at C=1 and 0.02 at C=16', () => {
    expect(targetBpp(1)).toBeCloseTo(0.004, 12)
    expect(targetBpp(16)).toBeCloseTo(0.02, 12)
    expect(targetBpp(4)).toBeGreaterThan(targetBpp(2))
    expect(targetBits(1, 768, 512)).toBe(1572)
  })
  it('chooses the finest step that fits', async () => {
    const bits = (s: number) => 1000 / s
    expect((await chooseStep(bits, 300)).step).toBe(4)
    expect((await chooseStep(bits, 200)).step).toBe(6)
    expect((await chooseStep(bits, 300, [1, 2, 4, 8])).step).toBe(4)
    const none = await chooseStep(bits, 5)
    expect(none).toMatchObject({ step: 128, fits: false })
  })
  it('finds a fitting step past a coarser one that does not fit (packet size is not monotone in the step)', async () => {
    // kodim02 with set 5 at C = 4: step 192 fits, 256 does not, 384 does; a binary search picks 384
    const sizes: Record<number, number> = { 96: 5900, 128: 4900, 192: 2900, 256: 3700, 384: 3300, 512: 1800 }
    const choice = await chooseStep((s) => sizes[s], 3517, [96, 128, 192, 256, 384, 512])
    expect(choice).toMatchObject({ step: 192, fits: true })
  })
  it('stops scanning finer steps once one costs over twice the budget', async () => {
    const seen: number[] = []
    await chooseStep((s) => (seen.push(s), 1000 / s), 100)
    expect(Math.min(...seen)).toBe(4) // 1000/4 = 250 > 200 stops the scan; 1..3 are never encoded
  })
})
