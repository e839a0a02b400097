// Latent quantisation and the bit budget (src/core/codec/quantize.ts).
import { describe, expect, it } from 'vitest'
import { chooseStep, dequantize, quantize, roundHalfAway, targetBits, targetBpp } from '../../src/core/codec/quantize'

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
})
