import { describe, expect, it } from 'vitest'
import { bestBaseline, comparisonPool, verdict } from '../../src/core/bench/summarize'
import type { BaselineSummary, CodecSummary } from '../../src/core/bench/types'

const IMAGES = 10
function summary(msssim: number, f1: number, n = IMAGES): CodecSummary {
  return { n, images: IMAGES, meanBytes: 100, meanBpp: 0.004, psnr: 20, msssim, ciede2000: 10, blockiness: 1, lpips: 0.5, falseTexture: 0.2, precision: f1, recall: f1, f1, map50: null, medianEncodeMs: 1, medianDecodeMs: 1 }
}
function baseline(codec: BaselineSummary['codec'], msssim: number, f1: number, n: number, gsc: Partial<BaselineSummary['gscOnReached']> = { msssim: 0.5, f1: 0.2 }): BaselineSummary {
  return { ...summary(msssim, f1, n), codec, complete: n === IMAGES, smallestUnreachedBytes: n === IMAGES ? null : 300, gscOnReached: { psnr: null, msssim: null, ciede2000: null, blockiness: null, lpips: null, f1: null, ...gsc }, errors: [] }
}

describe('bench goal verdict', () => {
  const gsc = summary(0.5, 0.2)

  it('compares with the best complete baseline; a tie is not met', () => {
    const v = verdict(gsc, [baseline('webp', 0.45, 0.1, IMAGES), baseline('jxl', 0.4, 0.2, IMAGES)], true)
    expect(v.bestMsssim).toEqual({ codec: 'webp', value: 0.45, gsc: 0.5, images: IMAGES })
    expect(v.msssim).toBe('met')
    expect(v.bestF1?.codec).toBe('jxl')
    expect(v.f1).toBe('not met') // 0.2 vs 0.2
    expect(v.met).toBe(false)
  })

  it('ignores partial baselines while a complete one exists', () => {
    const v = verdict(gsc, [baseline('webp', 0.9, 0.9, 9, { msssim: 0.1, f1: 0.1 }), baseline('jxl', 0.4, 0.1, IMAGES)], true)
    expect(v.bestMsssim?.codec).toBe('jxl')
    expect(v.met).toBe(true)
  })

  it('without a complete baseline, compares on the images a >= 90 % baseline reached', () => {
    const v = verdict(gsc, [baseline('webp', 0.49, 0.008, 9, { msssim: 0.42, f1: 0.016 }), baseline('jpeg2000', 0.9, 0.9, 5)], true)
    expect(v.bestMsssim).toEqual({ codec: 'webp', value: 0.49, gsc: 0.42, images: 9 })
    expect(v.msssim).toBe('not met')
    expect(v.f1).toBe('met') // 0.016 > 0.008 on the same 9 images
    expect(v.met).toBe(false)
  })

  it('no baseline reaching 90 % of the images is "no baseline fits", not a win', () => {
    const v = verdict(gsc, [baseline('avif', 0.9, 0.9, 0), baseline('jpeg2000', 0.9, 0.9, 5)], true)
    expect(v.msssim).toBe('no baseline fits')
    expect(v.f1).toBe('no baseline fits')
    expect(v.met).toBe(false)
    expect(verdict(gsc, [], true).msssim).toBe('no baselines run')
    expect(verdict(gsc, [baseline('webp', 0.4, 0.1, IMAGES)], false).f1).toBe('no detector')
  })

  it('the best baseline on a lower-is-better metric (ΔE00, blockiness) is the lowest, from the same pool', () => {
    const de = (codec: BaselineSummary['codec'], ciede2000: number, n: number) => ({ ...baseline(codec, 0.4, 0.1, n, { msssim: 0.5, f1: 0.2, ciede2000: 12 }), ciede2000 })
    const bs = [de('webp', 9, IMAGES), de('jxl', 7, IMAGES), de('avif', 11, IMAGES), de('jpeg', 2, 5)]
    expect(bestBaseline(comparisonPool(gsc, bs), 'ciede2000', 'lower')).toEqual({ codec: 'jxl', value: 7, gsc: 12, images: IMAGES })
    expect(bestBaseline(comparisonPool(gsc, bs), 'ciede2000', 'higher')?.codec).toBe('avif')
  })
})
