// Geometry helpers for the planner: Pareto frontier and the lower convex hull of (bits, cost).
import type { PlanCandidate } from './types'

/** Total order used everywhere for ties: fewer bits first, then lower disagreement, then smaller C. */
export function compareByBits(a: PlanCandidate, b: PlanCandidate): number {
  return a.bits - b.bits || a.disagreement - b.disagreement || a.c - b.c
}

/**
 * Candidates not dominated in (bits, disagreement): nobody else has <= bits and <= disagreement with one
 * strictly smaller. Exact duplicates keep only the first in compareByBits order. Sorted by bits.
 */
export function paretoFrontier<T extends PlanCandidate>(candidates: readonly T[]): T[] {
  const sorted = [...candidates].sort(compareByBits)
  const out: T[] = []
  let best = Infinity
  for (const p of sorted) {
    // Sorted by bits then disagreement: p is on the frontier iff it lowers the best disagreement so far.
    if (p.disagreement < best) {
      out.push(p)
      best = p.disagreement
    }
  }
  return out
}

export interface HullPoint<T> {
  item: T
  bits: number
  cost: number
}

/**
 * The part of the lower convex hull of (bits, cost) that starts at the fewest-bits point and descends
 * (every step lowers cost). Walking it step by step is the Lagrangian / marginal-gain path: each step's
 * slope (cost change per bit) is negative and the slopes increase along the path.
 */
export function descendingHull<T extends PlanCandidate>(candidates: readonly T[], cost: (c: T) => number): HullPoint<T>[] {
  // One point per distinct bit count: the cheapest (ties: lower disagreement, smaller C).
  const byBits = new Map<number, HullPoint<T>>()
  for (const item of [...candidates].sort(compareByBits)) {
    const p = { item, bits: item.bits, cost: cost(item) }
    const prev = byBits.get(p.bits)
    if (!prev || p.cost < prev.cost) byBits.set(p.bits, p)
  }
  const pts = [...byBits.values()].sort((a, b) => a.bits - b.bits)
  const hull: HullPoint<T>[] = []
  for (const p of pts) {
    // Only points that lower the cost can be worth more bits.
    if (hull.length > 0 && p.cost >= hull[hull.length - 1].cost) continue
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]
      const b = hull[hull.length - 1]
      // Drop b if it lies above the segment a -> p. Collinear points stay: smaller steps fit budgets better.
      const cross = (b.bits - a.bits) * (p.cost - a.cost) - (b.cost - a.cost) * (p.bits - a.bits)
      if (cross < 0) hull.pop()
      else break
    }
    hull.push(p)
  }
  return hull
}
