import { describe, expect, it } from 'vitest'
import { plan, passFrontier } from '../../src/core/planner/planner'
import { descendingHull, paretoFrontier } from '../../src/core/planner/frontier'
import { planArgs } from '../../src/shared/schemas'
import { benchView, parseBenchResults } from '../../src/core/service/calibrationView'
import { buildCalibration, describeObjective, objectiveValue, parseObjective, planImagesFromTable } from '../../src/core/planner/calibration'
import type { PlanImage } from '../../src/core/planner/types'

// Image A: C=1 1000 bits V=0.6, C=2 1500 bits V=0.3, C=4 2500 bits V=0.2, C=8 4000 bits V=0.2 (dominated by C=4)
const A: PlanImage = {
  id: 'A',
  candidates: [
    { c: 1, bits: 1000, disagreement: 0.6 },
    { c: 2, bits: 1500, disagreement: 0.3 },
    { c: 4, bits: 2500, disagreement: 0.2 },
    { c: 8, bits: 4000, disagreement: 0.2 }
  ]
}
// Image B: C=1 800 bits V=0.5, C=2 1200 bits V=0.1
const B: PlanImage = {
  id: 'B',
  candidates: [
    { c: 1, bits: 800, disagreement: 0.5 },
    { c: 2, bits: 1200, disagreement: 0.1 }
  ]
}

const chosenC = (r: ReturnType<typeof plan>) => r.images.map((i) => i.chosen?.c ?? null)

describe('plan without a link budget', () => {
  it('picks the per-image argmin of alpha*V + beta*bits (hand-checked)', () => {
    // alpha=1, beta=0.0005: A costs 1.1, 1.05, 1.45, 2.2 -> C=2; B costs 0.9, 0.7 -> C=2
    const r = plan({ alpha: 1, beta: 0.0005, images: [A, B] })
    expect(chosenC(r)).toEqual([2, 2])
    expect(r.images[0].chosen!.cost).toBeCloseTo(1.05, 12)
    expect(r.totals.objective).toBeCloseTo(1.75, 12)
    expect(r.totals.linkBitsUsed).toBe(2700)
    expect(r.link).toBeNull()
    // beta=0.001: A costs 1.6, 1.8, 2.7 -> C=1; B costs 1.3, 1.3 -> tie -> fewer bits, C=1
    const r2 = plan({ alpha: 1, beta: 0.001, images: [A, B] })
    expect(chosenC(r2)).toEqual([1, 1])
  })

  it('alpha = 0 minimises bits; beta = 0 minimises disagreement with fewer bits winning ties', () => {
    expect(chosenC(plan({ alpha: 0, beta: 1, images: [A, B] }))).toEqual([1, 1])
    // beta = 0: A's C=4 and C=8 tie on V=0.2 -> C=4 (fewer bits)
    expect(chosenC(plan({ alpha: 1, beta: 0, images: [A, B] }))).toEqual([4, 2])
    // both zero: everything costs 0 -> fewest bits
    expect(chosenC(plan({ alpha: 0, beta: 0, images: [A, B] }))).toEqual([1, 1])
  })

  it('breaks an exact tie (same bits, same V) towards the smaller C, and handles a single candidate', () => {
    const T: PlanImage = { id: 'T', candidates: [{ c: 8, bits: 500, disagreement: 0.4 }, { c: 4, bits: 500, disagreement: 0.4 }] }
    expect(chosenC(plan({ alpha: 1, beta: 1, images: [T] }))).toEqual([4])
    const S: PlanImage = { id: 'S', candidates: [{ c: 16, bits: 9000, disagreement: 0.05 }] }
    const r = plan({ alpha: 3, beta: 0.01, images: [S] })
    expect(chosenC(r)).toEqual([16])
    expect(r.images[0].chosen!.cost).toBeCloseTo(3 * 0.05 + 90, 12)
    expect(r.images[0].frontier).toEqual([{ c: 16, bits: 9000, disagreement: 0.05, chosen: true }])
  })

  it('reports the Pareto frontier with the chosen point marked', () => {
    const r = plan({ alpha: 1, beta: 0.0005, images: [A] })
    expect(r.images[0].frontier.map((p) => [p.c, p.chosen])).toEqual([
      [1, false],
      [2, true],
      [4, false]
    ])
  })
})

describe('plan under a link budget', () => {
  it('computes bits available from rate, duration and overhead', () => {
    const r = plan({ alpha: 1, beta: 0, images: [A, B], link: { linkBps: 100, passS: 30.5, overheadBitsPerPacket: 100 } })
    expect(r.link!.bitsAvailableTotal).toBe(3050)
    expect(r.link!.bitsAvailablePerImage).toBe(1525)
    expect(r.link!.primaryHeaderBits).toBe(48)
    expect(r.totals.linkBitsUsed + r.link!.bitsLeft).toBe(3050)
  })

  it('spends a tight budget where the disagreement drops fastest (hand-checked)', () => {
    // beta=0, budget 2700, overhead 0. Start: A@1000 + B@800 = 1800, 900 left.
    // Slopes: A 1->2: -0.3/500 = -6e-4, B 1->2: -0.4/400 = -1e-3 -> B first (400, left 500),
    // then A 1->2 (500, left 0). A 2->4 (1000) does not fit.
    const r = plan({ alpha: 1, beta: 0, images: [A, B], link: { linkBps: 2700, passS: 1 } })
    expect(chosenC(r)).toEqual([2, 2])
    expect(r.link!.bitsLeft).toBe(0)
    expect(r.unsent).toEqual([])
    // 2699 bits: after B's step 500 left, A's step needs 500 -> still fits? no: 2699-1800-400 = 499 -> A stays at C=1
    const r2 = plan({ alpha: 1, beta: 0, images: [A, B], link: { linkBps: 2699, passS: 1 } })
    expect(chosenC(r2)).toEqual([1, 2])
    expect(r2.link!.bitsLeft).toBe(499)
  })

  it('never exceeds the unconstrained choice when the budget is loose', () => {
    const r = plan({ alpha: 1, beta: 0.0005, images: [A, B], link: { linkBps: 1e6, passS: 1 } })
    expect(chosenC(r)).toEqual([2, 2])
  })

  it('reports images that do not fit: larger than the pass, and pass full', () => {
    // budget 1000, overhead 50: A needs 1050 > 1000 -> larger than the whole pass; B needs 850 -> sent; B2 needs 850 -> pass full
    const B2 = { ...B, id: 'B2' }
    const r = plan({ alpha: 1, beta: 0, images: [A, B, B2], link: { linkBps: 1000, passS: 1, overheadBitsPerPacket: 50 } })
    expect(chosenC(r)).toEqual([null, 1, null])
    expect(r.unsent).toEqual([
      { id: 'A', smallestBits: 1000, reason: 'larger than the whole pass' },
      { id: 'B2', smallestBits: 800, reason: 'pass full' }
    ])
    expect(r.totals.imagesSent).toBe(1)
    expect(r.totals.linkBitsUsed).toBe(850)
    expect(r.images[0].linkBits).toBe(0)
  })

  it('infeasible budget: nothing fits', () => {
    const r = plan({ alpha: 1, beta: 1, images: [A, B], link: { linkBps: 10, passS: 1 } })
    expect(chosenC(r)).toEqual([null, null])
    expect(r.unsent.map((u) => u.reason)).toEqual(['larger than the whole pass', 'larger than the whole pass'])
    expect(r.totals.meanDisagreementSent).toBeNull()
  })
})

describe('frontier helpers', () => {
  it('Pareto frontier drops dominated points', () => {
    expect(paretoFrontier(A.candidates).map((p) => p.c)).toEqual([1, 2, 4])
  })

  it('descending hull keeps only convex, cost-lowering points', () => {
    // cost = V: (1000,.6) (1500,.3) (2500,.2) (4000,.2): slopes -6e-4, -1e-4 -> convex; 4000 does not lower cost
    expect(descendingHull(A.candidates, (c) => c.disagreement).map((p) => p.item.c)).toEqual([1, 2, 4])
    // a non-convex middle point is skipped: (0,1) (10,0.95) (20,0) -> 10 lies above the chord
    const pts = [
      { c: 1, bits: 1, disagreement: 1 },
      { c: 2, bits: 11, disagreement: 0.95 },
      { c: 4, bits: 21, disagreement: 0 }
    ]
    expect(descendingHull(pts, (c) => c.disagreement).map((p) => p.item.c)).toEqual([1, 4])
  })

  it('pass frontier walks from fewest bits to lowest disagreement', () => {
    const f = passFrontier([A, B])
    expect(f[0]).toEqual({ totalBits: 1800, meanDisagreement: 0.55 })
    expect(f.map((p) => p.totalBits)).toEqual([1800, 2200, 2700, 3700])
    expect(f[f.length - 1].meanDisagreement).toBeCloseTo(0.15, 12)
  })
})

describe('validation and calibration tables', () => {
  it('rejects bad input with clear errors', () => {
    expect(() => plan({ alpha: 1, beta: 0, images: [] })).toThrow(/no images/)
    expect(() => plan({ alpha: -1, beta: 0, images: [A] })).toThrow(/alpha/)
    expect(() => plan({ alpha: 1, beta: NaN, images: [A] })).toThrow(/beta/)
    expect(() => plan({ alpha: 1, beta: 0, images: [{ id: 'x', candidates: [] }] })).toThrow(/no candidates/)
    expect(() => plan({ alpha: 1, beta: 0, images: [A], link: { linkBps: 0, passS: 1 } })).toThrow(/link rate/)
  })

  it('groups bench rows by scene and plans from the table', () => {
    const t = buildCalibration([
      { image: 'a', scene: 'kodak', c: 1, bits: 1000, disagreement: 0.5 },
      { image: 'b', scene: 'kodak', c: 1, bits: 2000, disagreement: 0.3 },
      { image: 'a', scene: 'kodak', c: 2, bits: 3000, disagreement: 0.1 },
      { image: 'c', scene: 'coco', c: 1, bits: 500, disagreement: null }
    ])
    expect(t.groups).toEqual([
      {
        scene: 'kodak',
        perC: [
          { c: 1, meanBits: 1500, meanDisagreement: 0.4, images: 2, meanV: { detection: 0.4 } },
          { c: 2, meanBits: 3000, meanDisagreement: 0.1, images: 1, meanV: { detection: 0.1 } }
        ]
      }
    ])
    const imgs = planImagesFromTable(t, { mode: 'table', scene: 'kodak', count: 3 })
    expect(imgs).toHaveLength(3)
    expect(imgs[0].candidates).toEqual([{ c: 1, bits: 1500, disagreement: 0.4 }, { c: 2, bits: 3000, disagreement: 0.1 }])
    expect(planImagesFromTable(t, { mode: 'per-image' }).map((i) => i.id)).toEqual(['kodak/a', 'kodak/b'])
    expect(() => planImagesFromTable(t, { mode: 'table', scene: 'mars', count: 1 })).toThrow(/not in the table/)
    expect(() => planImagesFromTable(buildCalibration([]), { mode: 'per-image' })).toThrow(/empty/)
  })
})

describe("the analyst's choice of V", () => {
  // Image a: detection prefers C=2, segmentation C=1 is already as good, depth only at C=4.
  const rows = [
    { image: 'a', scene: 'kitti', c: 1, bits: 1000, disagreement: 0.8, segmentation: 0.2, depth: 0.5 },
    { image: 'a', scene: 'kitti', c: 2, bits: 1100, disagreement: 0.1, segmentation: 0.2, depth: 0.5 },
    { image: 'a', scene: 'kitti', c: 4, bits: 1200, disagreement: 0.1, segmentation: 0.2, depth: 0.0 },
    { image: 'b', scene: 'kodak', c: 1, bits: 900, disagreement: 0.3, segmentation: 0.6 }
  ]
  const t = buildCalibration(rows)
  const chosen = (objective?: Parameters<typeof planImagesFromTable>[2]) =>
    plan({ alpha: 1, beta: 1e-6, images: planImagesFromTable(t, { mode: 'per-image', scene: 'kitti' }, objective) }).images[0].chosen!.c

  it('defaults to detection (the planner as before) and carries every task in the table', () => {
    expect(chosen()).toBe(2)
    expect(t.images[0].candidates[0]).toEqual({ c: 1, bits: 1000, disagreement: 0.8, v: { segmentation: 0.2, depth: 0.5 } })
    expect(t.groups.find((g) => g.scene === 'kitti')!.perC[0].meanV).toEqual({ detection: 0.8, segmentation: 0.2, depth: 0.5 })
  })

  it('plans on segmentation, depth or a weighted mix', () => {
    expect(chosen({ segmentation: 1 })).toBe(1)
    expect(chosen({ depth: 1 })).toBe(4)
    // mix 3:1 detection:depth at C=2 = (0.3 + 0.5) / 4 = 0.2, at C=4 = 0.075: C=4 wins by more than its 100 extra bits cost
    expect(chosen(parseObjective('detection=3,depth=1'))).toBe(4)
    const imgs = planImagesFromTable(t, { mode: 'per-image', scene: 'kitti' }, { detection: 3, depth: 1 })
    expect(imgs[0].candidates.map((k) => k.disagreement)).toEqual([(3 * 0.8 + 0.5) / 4, (3 * 0.1 + 0.5) / 4, (3 * 0.1) / 4])
  })

  it('leaves out images without the chosen task and says when nothing has it', () => {
    expect(planImagesFromTable(t, { mode: 'per-image' }, { depth: 1 }).map((i) => i.id)).toEqual(['kitti/a'])
    expect(planImagesFromTable(t, { mode: 'table', count: 2 }, { segmentation: 1 })[0].candidates.find((k) => k.c === 1)!.disagreement).toBeCloseTo(0.4)
    expect(() => planImagesFromTable(t, { mode: 'per-image', scene: 'kodak' }, { depth: 1 })).toThrow(/no measurement of 1 - depth agreement delta1 for scene 'kodak'/)
  })

  it('parses and describes V, refusing unknown tasks and zero weights', () => {
    expect(parseObjective('segmentation')).toEqual({ segmentation: 1 })
    expect(parseObjective('detection=0.5, depth=1.5')).toEqual({ detection: 0.5, depth: 1.5 })
    expect(describeObjective({ detection: 1, depth: 3 })).toBe('0.25*(1 - detection F1) + 0.75*(1 - depth agreement delta1)')
    expect(() => parseObjective('colour')).toThrow(/one of detection, segmentation, depth/)
    expect(() => parseObjective('depth=-1')).toThrow(/>= 0/)
    expect(() => parseObjective('depth=0')).toThrow(/weight > 0/)
    expect(objectiveValue({ detection: 0.2 }, { detection: 1, depth: 1 })).toBeNull()
  })
})

describe('the planning API: V in the schema and the view', () => {
  it('accepts a typed objective and refuses unknown tasks, negative and all-zero weights', () => {
    const base = { alpha: 1, beta: 0, images: 2 }
    expect(planArgs.safeParse(base).success).toBe(true)
    expect(planArgs.safeParse({ ...base, objective: { depth: 1 } }).success).toBe(true)
    expect(planArgs.safeParse({ ...base, objective: { detection: 0.5, segmentation: 0.5 } }).success).toBe(true)
    expect(planArgs.safeParse({ ...base, objective: { colour: 1 } }).success).toBe(false)
    expect(planArgs.safeParse({ ...base, objective: { depth: -1 } }).success).toBe(false)
    expect(planArgs.safeParse({ ...base, objective: { depth: 0 } }).success).toBe(false)
    expect(planArgs.safeParse({ ...base, objective: {} }).success).toBe(false)
  })

  it('shows the calibration with the chosen V', () => {
    const t = buildCalibration([
      { image: 'a', scene: 'kitti', c: 1, bits: 1000, disagreement: 0.8, depth: 0.5 },
      { image: 'a', scene: 'kitti', c: 2, bits: 2000, disagreement: 0.2, depth: 0.1 }
    ])
    const results = JSON.stringify({ calibration: t })
    expect(parseBenchResults('r.json', results).table.curve.map((p) => p.disagreement)).toEqual([0.8, 0.2])
    expect(benchView('r.json', t, { depth: 1 }).curve.map((p) => p.disagreement)).toEqual([0.5, 0.1])
    // a table without detection opens with the first task it has
    const depthOnly = buildCalibration([{ image: 'a', scene: 'kitti', c: 1, bits: 1000, disagreement: null, depth: 0.3 }])
    expect(parseBenchResults('d.json', JSON.stringify({ calibration: depthOnly })).table.curve[0].disagreement).toBe(0.3)
  })
})
