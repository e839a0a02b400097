import { describe, expect, it } from 'vitest'
import { detectionAgreement, iou, matchDetections, nonMaxSuppression, pooledAgreement, type Box } from '../../src/core/analysis/detections'

const d = (classId: number, score: number, box: Box) => ({ classId, className: String(classId), score, box })

describe('iou', () => {
  it('matches hand-computed overlaps', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1)
    // 5x10 overlap = 50; union = 100 + 100 - 50 = 150
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12)
    // 2x2 inside 4x4: 4 / 16
    expect(iou([0, 0, 4, 4], [1, 1, 3, 3])).toBeCloseTo(0.25, 12)
    expect(iou([0, 0, 1, 1], [1, 1, 2, 2])).toBe(0) // touching corners
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0) // degenerate
  })
})

describe('nonMaxSuppression', () => {
  it('suppresses overlapping boxes of the same class only, best first', () => {
    const items = [
      d(1, 0.6, [1, 0, 11, 10]), // IoU with the 0.9 box = 90/110 = 0.82 -> dropped
      d(1, 0.9, [0, 0, 10, 10]),
      d(2, 0.7, [0, 0, 10, 10]), // other class -> kept
      d(1, 0.5, [20, 20, 30, 30]), // far away -> kept
      d(1, 0.4, [5, 0, 15, 10]) // IoU with best = 50/150 = 0.33 -> kept at 0.5
    ]
    const kept = nonMaxSuppression(items, 0.5)
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.7, 0.5, 0.4])
    expect(nonMaxSuppression(items, 0.3).map((k) => k.score)).toEqual([0.9, 0.7, 0.5])
    expect(nonMaxSuppression(items, 0.5, 2)).toHaveLength(2)
  })
})

describe('pooledAgreement', () => {
  it('sums counts before dividing, so images empty on both sides weigh nothing', () => {
    const empty = { matched: 0, found: 0, reference: 0 }
    const busy = { matched: 3, found: 4, reference: 6 } // P 0.75, R 0.5
    const miss = { matched: 0, found: 2, reference: 0 } // two false detections
    expect(pooledAgreement([empty, busy]).f1).toBeCloseTo(0.6, 12)
    expect(pooledAgreement([empty, empty, empty, busy]).f1).toBeCloseTo(0.6, 12)
    const a = pooledAgreement([busy, miss])
    expect([a.matched, a.precision, a.recall]).toEqual([3, 0.5, 0.5])
    expect(a.f1).toBeCloseTo(0.5, 12)
  })

  it('is full agreement when no image has a detection, none when nothing matches', () => {
    expect(pooledAgreement([]).f1).toBe(1)
    expect(pooledAgreement([{ matched: 0, found: 0, reference: 0 }]).f1).toBe(1)
    expect(pooledAgreement([{ matched: 0, found: 0, reference: 2 }]).f1).toBe(0)
  })
})

describe('detectionAgreement', () => {
  it('is 1 when both sides are empty and 0 when one side is', () => {
    expect(detectionAgreement([], [])).toEqual({ precision: 1, recall: 1, f1: 1, matched: 0 })
    expect(detectionAgreement([d(0, 1, [0, 0, 1, 1])], []).f1).toBe(0)
    expect(detectionAgreement([], [d(0, 1, [0, 0, 1, 1])]).f1).toBe(0)
  })

  it('matches class-aware at IoU 0.5, greedily by score', () => {
    const ref = [d(0, 0.9, [0, 0, 10, 10]), d(0, 0.8, [20, 0, 30, 10]), d(3, 0.7, [0, 20, 10, 30])]
    const test = [
      d(0, 0.95, [0, 0, 10, 9]), // IoU 0.9 with ref0
      d(0, 0.5, [21, 0, 31, 10]), // IoU 90/110 with ref1
      d(5, 0.9, [0, 20, 10, 30]), // wrong class for ref2
      d(0, 0.4, [0, 0, 10, 10]) // duplicate of ref0, already taken
    ]
    const a = detectionAgreement(ref, test)
    expect(a.matched).toBe(2)
    expect(a.precision).toBeCloseTo(2 / 4, 12)
    expect(a.recall).toBeCloseTo(2 / 3, 12)
    expect(a.f1).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3), 12)
  })

  it('gives the higher-scoring test box the better reference', () => {
    const ref = [d(0, 1, [0, 0, 10, 10])]
    const m = matchDetections(ref, [d(0, 0.3, [0, 0, 10, 10]), d(0, 0.9, [0, 0, 10, 8])])
    expect(m).toEqual([-1, 0])
    // IoU just below threshold does not match: 10x4 box inside 10x10 -> 0.4
    expect(detectionAgreement(ref, [d(0, 1, [0, 0, 10, 4])]).matched).toBe(0)
  })
})
