// The Eigen depth metrics with median scaling (src/core/analysis/depthMetrics.ts) on hand-computed cases.
import { describe, expect, it } from 'vitest'
import { depthMetrics, gargCropMask, inverseToDepth, resizeMapBilinear } from '../../src/core/analysis/depthMetrics'
import { GscError } from '../../src/core/util/errors'

const f32 = (v: number[]) => Float32Array.from(v)

describe('depthMetrics', () => {
  it('gives the hand-computed values for a two-pixel case without scaling', () => {
    // ratios 1 and 2: delta1..3 = 0.5 (2 > 1.25^3 = 1.953); AbsRel (0 + 20/20)/2; RMSE sqrt(400/2); RMSE log ln2/sqrt2
    const m = depthMetrics(f32([10, 40]), f32([10, 20]), 2, 1, { medianScaling: false })
    expect(m.delta1).toBe(0.5)
    expect(m.delta2).toBe(0.5)
    expect(m.delta3).toBe(0.5)
    expect(m.absRel).toBeCloseTo(0.5, 12)
    expect(m.sqRel).toBeCloseTo(400 / 20 / 2, 10)
    expect(m.rmse).toBeCloseTo(Math.sqrt(200), 10)
    expect(m.rmseLog).toBeCloseTo(Math.LN2 / Math.SQRT2, 6)
    expect(m.count).toBe(2)
    expect(m.scale).toBe(1)
  })

  it('removes a global scale by the median and reports the factor', () => {
    const gt = f32([5, 8, 12, 30, 60])
    const pred = f32(Array.from(gt, (v) => v / 7)) // right up to an unknown scale, as relative depth is
    const m = depthMetrics(pred, gt, 5, 1)
    expect(m.delta1).toBe(1)
    expect(m.absRel).toBeLessThan(1e-6)
    expect(m.rmse).toBeLessThan(1e-5)
    expect(m.scale).toBeCloseTo(7, 5)
  })

  it('uses the median of valid pixels only, ignores missing and capped ground truth, and clamps predictions', () => {
    // gt 0 (no LiDAR) and 90 m (over the 80 m cap) are skipped; median scale = median(10,20,40) / median(1,2,4) = 10
    const gt = f32([0, 10, 20, 40, 90])
    const pred = f32([3, 1, 2, 100, 9])
    const m = depthMetrics(pred, gt, 5, 1)
    expect(m.count).toBe(3)
    expect(m.scale).toBeCloseTo(10, 10)
    // the third pixel: 100 * 10 = 1000 m, clamped to 80: |80 - 40| / 40 = 1 -> AbsRel (0 + 0 + 1) / 3
    expect(m.absRel).toBeCloseTo(1 / 3, 10)
    expect(m.delta1).toBeCloseTo(2 / 3, 12)
  })

  it('skips non-positive predictions and refuses maps with nothing to compare or of the wrong size', () => {
    expect(depthMetrics(f32([Infinity, 2]), f32([5, 5]), 2, 1).count).toBe(1)
    expect(() => depthMetrics(f32([1, 1]), f32([0, 0]), 2, 1)).toThrow(GscError)
    expect(() => depthMetrics(f32([1, 1, 1]), f32([5, 5]), 2, 1)).toThrow(/2x1/)
  })

  it('restricts to Garg et al.\'s crop when asked', () => {
    const w = 100
    const h = 50
    const mask = gargCropMask(w, h)
    // rows floor(0.408*50)=20 .. floor(0.992*50)=49 (exclusive), columns 3 .. 96 (exclusive)
    expect(mask.reduce((s, v) => s + v, 0)).toBe((49 - 20) * (96 - 3))
    expect(mask[20 * w + 3]).toBe(1)
    expect(mask[19 * w + 50]).toBe(0)
    expect(mask[30 * w + 96]).toBe(0)
    const gt = new Float32Array(w * h).fill(10)
    const pred = new Float32Array(w * h).fill(10)
    pred[0] = 1000 // outside the crop: ignored with the crop, counted without
    expect(depthMetrics(pred, gt, w, h, { gargCrop: true, medianScaling: false }).absRel).toBe(0)
    expect(depthMetrics(pred, gt, w, h, { medianScaling: false }).absRel).toBeGreaterThan(0)
  })
})

describe('depth map helpers', () => {
  it('resizes bilinearly with half-pixel centres', () => {
    const out = resizeMapBilinear(f32([0, 1, 2, 3]), 2, 2, 4, 4)
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0.25, 0.75, 1])
    expect(Array.from(out.subarray(12, 16))).toEqual([2, 2.25, 2.75, 3])
    expect(() => resizeMapBilinear(f32([0, 1, 2]), 2, 2, 4, 4)).toThrow(GscError)
  })

  it('turns inverse depth into depth, non-positive values into Infinity', () => {
    expect(Array.from(inverseToDepth(f32([0.5, 4, 0, -1])))).toEqual([2, 0.25, Infinity, Infinity])
  })
})
