import { describe, expect, it } from 'vitest'
import { gaussianKernel, msssim, msssimAgainst, msssimReference, psnr, ssim, ssimPlanes, mse } from '../../src/core/analysis/metrics'
import { IMAGE_METRICS } from '../../src/core/bench/imageMetrics'
import type { RgbImage } from '../../src/core/image/rgbImage'
import { img, lcg } from '../fixtures/imageFixtures'

const texture = (() => {
  const r = lcg(7)
  return img(256, 192, (x, y) => 128 + 60 * Math.sin(x / 7) * Math.cos(y / 11) + 40 * (r() - 0.5))
})()

function withNoise(base: RgbImage, amp: number, seed: number): RgbImage {
  const r = lcg(seed)
  return { ...base, data: base.data.map((v) => Math.max(0, Math.min(255, Math.round(v + amp * (r() - 0.5) * 2)))) }
}

describe('psnr / mse', () => {
  it('matches hand-computed values', () => {
    const a = img(4, 4, () => 100)
    const b = img(4, 4, () => 110) // every sample off by 10 -> MSE 100
    expect(mse(a, b)).toBe(100)
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(65025 / 100), 10) // 28.1308 dB
    expect(psnr(a, b)).toBeCloseTo(28.1308, 3)
    const c = img(2, 1, (x) => (x === 0 ? 0 : 255))
    const d = img(2, 1, () => 0) // half the samples off by 255 -> MSE 65025/2 -> 3.0103 dB
    expect(psnr(c, d)).toBeCloseTo(3.0103, 3)
    expect(psnr(a, a)).toBe(Infinity)
  })
  it('rejects size mismatch', () => {
    expect(() => psnr(img(2, 2, () => 0), img(3, 2, () => 0))).toThrow(/differ in size/)
  })
})

describe('ssim', () => {
  it('is 1 for identical images and below 1 otherwise', () => {
    expect(ssim(texture, texture)).toBeCloseTo(1, 12)
    const n = ssim(texture, withNoise(texture, 30, 1))
    expect(n).toBeLessThan(0.95)
    expect(n).toBeGreaterThan(0)
  })
  it('gaussian window is normalised and symmetric', () => {
    const k = gaussianKernel(11, 1.5)
    expect(k.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12)
    expect(k[0]).toBeCloseTo(k[10], 15)
    expect(k[5]).toBeCloseTo(0.266012, 5) // hand value: 1/sum_i exp(-(i-5)^2/4.5)
  })
  it('equals the closed form for constant planes (luminance term only)', () => {
    const w = 16
    const x = new Float64Array(w * w).fill(100)
    const y = new Float64Array(w * w).fill(150)
    const c1 = (0.01 * 255) ** 2
    const expected = (2 * 100 * 150 + c1) / (100 * 100 + 150 * 150 + c1)
    expect(ssimPlanes(x, y, w, w).ssim).toBeCloseTo(expected, 12)
  })
  it('is symmetric', () => {
    const b = withNoise(texture, 20, 3)
    expect(ssim(texture, b)).toBeCloseTo(ssim(b, texture), 12)
  })
})

describe('ms-ssim', () => {
  it('is 1 for identical images and falls monotonically with noise', () => {
    expect(msssim(texture, texture)).toBeCloseTo(1, 12)
    const values = [5, 15, 40, 90].map((a) => msssim(texture, withNoise(texture, a, 11)))
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThan(values[i - 1])
    expect(values[0]).toBeLessThan(1)
  })
  it('gives exactly msssim from a kept reference, for every reconstruction compared with it', () => {
    const ref = msssimReference(texture)
    for (const amp of [0, 10, 60]) expect(msssimAgainst(ref, withNoise(texture, amp, 5))).toBe(msssim(texture, withNoise(texture, amp, 5)))
    const small = img(40, 30, (x, y) => x * 5 + y)
    expect(msssimAgainst(msssimReference(small), withNoise(small, 30, 2))).toBe(msssim(small, withNoise(small, 30, 2)))
    expect(() => msssimAgainst(ref, small)).toThrow(/differ in size/)
  })
  it("the bench's MS-SSIM keeps each original's side and still gives msssim, originals interleaved", async () => {
    const bench = IMAGE_METRICS.find((m) => m.key === 'msssim')!
    const other = withNoise(texture, 25, 9)
    for (const [original, amp] of [[texture, 20], [texture, 50], [other, 20], [texture, 20], [other, 70]] as const) {
      const recon = withNoise(original, amp, 13)
      expect(await bench.compute(original, recon)).toBe(msssim(original, recon))
    }
  })
  it('works on images too small for five scales', () => {
    const small = img(40, 30, (x, y) => x * 5 + y)
    expect(msssim(small, small)).toBeCloseTo(1, 12)
    expect(msssim(small, withNoise(small, 30, 2))).toBeLessThan(1)
  })
})
