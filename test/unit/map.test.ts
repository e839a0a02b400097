import { describe, expect, it } from 'vitest'
import { averagePrecision101, meanAveragePrecision50 } from '../../src/core/analysis/map'
import type { Box } from '../../src/core/analysis/detections'

const p = (classId: number, score: number, box: Box) => ({ classId, score, box })
const g = (classId: number, box: Box) => ({ classId, box })

describe('averagePrecision101', () => {
  it('is 1 for a perfect ranking and 0 without true positives', () => {
    expect(averagePrecision101([true, true], 2)).toBe(1)
    expect(averagePrecision101([false, false], 2)).toBe(0)
    expect(averagePrecision101([], 3)).toBe(0)
  })

  it('interpolates at 101 recall points (hand-checked)', () => {
    // ranking TP, FP, TP with 2 GT: recall 0.5 @ precision 1, recall 1 @ precision 2/3.
    // points r=0..0.50 (51 points) -> 1; r=0.51..1 (50 points) -> 2/3
    expect(averagePrecision101([true, false, true], 2)).toBeCloseTo((51 * 1 + 50 * (2 / 3)) / 101, 12)
    // one TP of 4 GT at rank 1: recall 0.25 -> points 0..0.25 (26) at precision 1
    expect(averagePrecision101([true], 4)).toBeCloseTo(26 / 101, 12)
  })
})

describe('meanAveragePrecision50', () => {
  it('averages classes with ground truth and ignores prediction-only classes', () => {
    const res = meanAveragePrecision50([
      {
        predictions: [p(0, 0.9, [0, 0, 10, 10]), p(1, 0.8, [50, 50, 60, 60]), p(7, 0.99, [0, 0, 5, 5])],
        groundTruth: [g(0, [0, 0, 10, 10]), g(1, [0, 0, 10, 10])]
      },
      { predictions: [p(0, 0.7, [0, 0, 10, 10])], groundTruth: [] }
    ])
    // class 0: TP (0.9) then FP (0.7, other image) -> AP 1; class 1: FP only -> AP 0; class 7: no GT, ignored
    expect(res.perClass.map((c) => [c.classId, c.ap])).toEqual([
      [0, 1],
      [1, 0]
    ])
    expect(res.map50).toBeCloseTo(0.5, 12)
  })

  it('counts each ground-truth box once and needs IoU >= 0.5', () => {
    const res = meanAveragePrecision50([
      {
        predictions: [p(2, 0.9, [0, 0, 10, 10]), p(2, 0.8, [0, 0, 10, 10]), p(2, 0.7, [0, 0, 10, 4])],
        groundTruth: [g(2, [0, 0, 10, 10]), g(2, [0, 0, 10, 4.5])]
      }
    ])
    // 0.9 -> TP (gt0); 0.8 -> IoU 0.45 with gt1 only (gt0 used) -> FP; 0.7 -> IoU(4/4.5)=0.89 with gt1 -> TP
    // recall 0.5 @ P 1, recall 1 @ P 2/3
    expect(res.perClass[0].truePositives).toBe(2)
    expect(res.map50).toBeCloseTo((51 + 50 * (2 / 3)) / 101, 12)
  })
})
