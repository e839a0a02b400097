/**
 * Bit-budget planner: per image, min over C of  alpha * V + beta * B  where V = the analyst's disagreement (detection
 * 1 - F1 by default; segmentation, depth or a weighted mix, chosen in calibration.ts) and B = packet bits.
 *
 * Without a link budget every image independently takes its cheapest candidate.
 * With a link budget (rate x pass duration bits, each packet also paying the per-packet overhead):
 *   1. admission: images in priority order get their fewest-bits candidate if it still fits; an image
 *      whose fewest-bits packet exceeds the whole pass, or that no longer fits, is reported as unsent;
 *   2. marginal-gain ascent (Lagrangian on the convex hull): repeatedly take, over all admitted images, the
 *      next step along the image's descending lower convex hull of (bits, cost) with the most negative
 *      cost change per bit, if it fits the bits left; a step that does not fit freezes that image.
 *      This is optimal at hull points (the classic Lagrangian result) up to the last, partially-fitting step;
 *   3. fill: one pass in priority order spends leftover bits on any candidate (hull or not) that lowers
 *      that image's cost and fits.
 * Ties are deterministic: fewer bits wins, then lower disagreement, then smaller C, then earlier image.
 */
import { GscError } from '../util/errors'
import { compareByBits, descendingHull, paretoFrontier, type HullPoint } from './frontier'
import type { ImagePlan, PassFrontierPoint, PlanCandidate, PlanImage, PlanInput, PlanResult, UnsentImage } from './types'

export const PRIMARY_HEADER_BITS = 48

export const PLAN_METHOD =
  'per image argmin of alpha*V + beta*bits (V = the chosen task\'s disagreement, 1-F1 for detection); under a link budget: priority-order admission at the fewest-bits C, ' +
  'then greedy marginal-gain steps on each image\'s lower convex hull (Lagrangian), then a leftover fill pass; ' +
  'ties: fewer bits, then lower disagreement, then smaller C, then earlier image'

function validate(input: PlanInput): void {
  const { alpha, beta, images, link } = input
  if (!Number.isFinite(alpha) || alpha < 0) throw new GscError(`alpha must be a finite number >= 0, got ${alpha}`)
  if (!Number.isFinite(beta) || beta < 0) throw new GscError(`beta must be a finite number >= 0, got ${beta}`)
  if (images.length === 0) throw new GscError('nothing to plan: no images (is the calibration table empty?)')
  for (const img of images) {
    if (img.candidates.length === 0) throw new GscError(`image '${img.id}' has no candidates (no measured C)`)
    for (const c of img.candidates) {
      if (!Number.isFinite(c.bits) || c.bits <= 0) throw new GscError(`image '${img.id}' C=${c.c}: bits must be > 0, got ${c.bits}`)
      if (!Number.isFinite(c.disagreement) || c.disagreement < 0 || c.disagreement > 1)
        throw new GscError(`image '${img.id}' C=${c.c}: disagreement must be in 0..1, got ${c.disagreement}`)
    }
  }
  if (link) {
    if (!Number.isFinite(link.linkBps) || link.linkBps <= 0) throw new GscError(`link rate must be > 0 bit/s, got ${link.linkBps}`)
    if (!Number.isFinite(link.passS) || link.passS <= 0) throw new GscError(`pass duration must be > 0 s, got ${link.passS}`)
    const o = link.overheadBitsPerPacket ?? 0
    if (!Number.isFinite(o) || o < 0) throw new GscError(`overhead per packet must be >= 0 bits, got ${o}`)
  }
}

/** Cheapest candidate; ties go to fewer bits, then lower disagreement, then smaller C. */
function argminCost(cands: readonly PlanCandidate[], cost: (c: PlanCandidate) => number): PlanCandidate {
  let best = cands[0]
  for (const c of cands.slice(1)) {
    const d = cost(c) - cost(best)
    if (d < 0 || (d === 0 && compareByBits(c, best) < 0)) best = c
  }
  return best
}

interface Walker {
  index: number
  hull: HullPoint<PlanCandidate>[]
  at: number
  frozen: boolean
}

/** Next hull step with the most negative slope over all walkers (ties: fewer extra bits, earlier image). */
function bestStep(walkers: Walker[]): Walker | null {
  let best: Walker | null = null
  let bestSlope = 0
  let bestDb = 0
  for (const w of walkers) {
    if (w.frozen || w.at + 1 >= w.hull.length) continue
    const a = w.hull[w.at]
    const b = w.hull[w.at + 1]
    const db = b.bits - a.bits
    const slope = (b.cost - a.cost) / db
    if (slope >= 0) continue
    if (!best || slope < bestSlope || (slope === bestSlope && db < bestDb)) {
      best = w
      bestSlope = slope
      bestDb = db
    }
  }
  return best
}

export function plan(input: PlanInput): PlanResult {
  validate(input)
  const { alpha, beta, images, link } = input
  const cost = (c: PlanCandidate) => alpha * c.disagreement + beta * c.bits
  const overhead = link?.overheadBitsPerPacket ?? 0
  const chosen: (PlanCandidate | null)[] = images.map(() => null)
  const unsent: UnsentImage[] = []
  let bitsAvailableTotal = Infinity
  let left = Infinity

  if (!link) {
    images.forEach((img, i) => (chosen[i] = argminCost(img.candidates, cost)))
  } else {
    bitsAvailableTotal = Math.floor(link.linkBps * link.passS)
    left = bitsAvailableTotal
    // 1. admission at the fewest-bits candidate, in priority order.
    images.forEach((img, i) => {
      const smallest = [...img.candidates].sort(compareByBits)[0]
      const need = smallest.bits + overhead
      if (need > bitsAvailableTotal) unsent.push({ id: img.id, smallestBits: smallest.bits, reason: 'larger than the whole pass' })
      else if (need > left) unsent.push({ id: img.id, smallestBits: smallest.bits, reason: 'pass full' })
      else {
        chosen[i] = smallest
        left -= need
      }
    })
    // 2. marginal-gain ascent along each admitted image's descending hull.
    const walkers: Walker[] = []
    images.forEach((img, index) => {
      if (chosen[index]) walkers.push({ index, hull: descendingHull(img.candidates, cost), at: 0, frozen: false })
    })
    for (;;) {
      const w = bestStep(walkers)
      if (!w) break
      const extra = w.hull[w.at + 1].bits - w.hull[w.at].bits
      if (extra > left) {
        w.frozen = true
        continue
      }
      left -= extra
      w.at += 1
      chosen[w.index] = w.hull[w.at].item
    }
    // 3. leftover fill, priority order.
    images.forEach((img, i) => {
      const cur = chosen[i]
      if (!cur) return
      const affordable = img.candidates.filter((c) => c.bits - cur.bits <= left && cost(c) < cost(cur))
      if (affordable.length === 0) return
      const pick = argminCost(affordable, cost)
      left -= pick.bits - cur.bits
      chosen[i] = pick
    })
  }

  const plans: ImagePlan[] = images.map((img, i) => {
    const pick = chosen[i]
    const un = argminCost(img.candidates, cost)
    return {
      id: img.id,
      chosen: pick ? { ...pick, cost: cost(pick) } : null,
      linkBits: pick ? pick.bits + overhead : 0,
      unconstrained: { ...un, cost: cost(un) },
      frontier: paretoFrontier(img.candidates).map((p) => ({ c: p.c, bits: p.bits, disagreement: p.disagreement, chosen: p === pick }))
    }
  })
  const sent = plans.filter((p) => p.chosen)
  const linkBitsUsed = sent.reduce((s, p) => s + p.linkBits, 0)
  return {
    alpha,
    beta,
    method: PLAN_METHOD,
    images: plans,
    unsent,
    totals: {
      imagesRequested: images.length,
      imagesSent: sent.length,
      linkBitsUsed,
      objective: sent.reduce((s, p) => s + p.chosen!.cost, 0),
      meanDisagreementSent: sent.length ? sent.reduce((s, p) => s + p.chosen!.disagreement, 0) / sent.length : null
    },
    link: link
      ? {
          linkBps: link.linkBps,
          passS: link.passS,
          overheadBitsPerPacket: overhead,
          primaryHeaderBits: PRIMARY_HEADER_BITS,
          bitsAvailableTotal,
          bitsAvailablePerImage: Math.floor(bitsAvailableTotal / images.length),
          bitsLeft: left
        }
      : null,
    passFrontier: passFrontier(images.filter((_, i) => chosen[i] !== null), overhead)
  }
}

/**
 * Trade-off curve of the whole pass: start every sent image at its fewest-bits candidate and take
 * disagreement-only hull steps (beta = 0), steepest first, recording total link bits and mean disagreement.
 */
export function passFrontier(images: PlanImage[], overheadBitsPerPacket = 0): PassFrontierPoint[] {
  if (images.length === 0) return []
  const walkers: Walker[] = images.map((img, index) => ({ index, hull: descendingHull(img.candidates, (c) => c.disagreement), at: 0, frozen: false }))
  let bits = walkers.reduce((s, w) => s + w.hull[0].bits + overheadBitsPerPacket, 0)
  let dis = walkers.reduce((s, w) => s + w.hull[0].item.disagreement, 0)
  const out: PassFrontierPoint[] = [{ totalBits: bits, meanDisagreement: dis / images.length }]
  for (;;) {
    const w = bestStep(walkers)
    if (!w) break
    bits += w.hull[w.at + 1].bits - w.hull[w.at].bits
    dis += w.hull[w.at + 1].item.disagreement - w.hull[w.at].item.disagreement
    w.at += 1
    out.push({ totalBits: bits, meanDisagreement: dis / images.length })
  }
  return out
}
