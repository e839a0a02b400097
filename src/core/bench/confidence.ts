/**
 * 95 % confidence intervals for the bench's per-image statistics, by a deterministic percentile bootstrap over
 * images: BOOTSTRAP_RESAMPLES resamples of the images with replacement (a seeded PRNG, the same seed for every
 * call, so a report re-renders to the same digits), the statistic on each resample, and the 2.5th and 97.5th
 * percentiles of those values. The bootstrap rather than a t interval because the same method then covers
 * statistics that are not means (mIoU pooled over the images) and metrics bounded at 0 or 1 (per-image detection F1
 * is often exactly 0 or 1), without assuming normal errors.
 */
import type { Interval, PairedIntervals } from './types'

export const CONFIDENCE_LEVEL = 0.95
export const BOOTSTRAP_RESAMPLES = 2000
const SEED = 0x9e3779b9

/** mulberry32: a small, fast, seedable PRNG with uniform output in [0, 1); enough for resampling indices. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Linear interpolation between order statistics (R's type 7) of an ascending array. */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p
  const i = Math.floor(h)
  return i + 1 < sorted.length ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i]
}

/**
 * The percentile-bootstrap intervals of several statistics of the same items, all on the same resamples (so that
 * the intervals of a pair and of its difference come from one set of draws). null when there are fewer than 2
 * items or a statistic is undefined on all of them; a resample on which a statistic is undefined is skipped.
 */
export function bootstrapIntervals<T>(items: readonly T[], statistics: readonly ((sample: readonly T[]) => number | null)[]): Interval[] | null {
  const n = items.length
  if (n < 2) return null
  const estimates = statistics.map((s) => s(items))
  if (estimates.some((e) => e === null || !Number.isFinite(e))) return null
  const draws = statistics.map(() => new Float64Array(BOOTSTRAP_RESAMPLES))
  const kept = statistics.map(() => 0)
  const random = prng(SEED)
  const sample: T[] = new Array(n)
  for (let r = 0; r < BOOTSTRAP_RESAMPLES; r++) {
    for (let i = 0; i < n; i++) sample[i] = items[Math.floor(random() * n)]
    statistics.forEach((s, k) => {
      const v = s(sample)
      if (v !== null && Number.isFinite(v)) draws[k][kept[k]++] = v
    })
  }
  const tail = (1 - CONFIDENCE_LEVEL) / 2
  return estimates.map((estimate, k) => {
    const sorted = draws[k].slice(0, kept[k]).sort()
    return { estimate: estimate!, lo: quantile(sorted, tail), hi: quantile(sorted, 1 - tail), n }
  })
}

const isValue = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x)
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

/** The mean of the values present (missing ones dropped) with its 95 % interval; null with fewer than 2 values. */
export function meanInterval(values: readonly (number | null | undefined)[]): Interval | null {
  return bootstrapIntervals(values.filter(isValue), [mean])?.[0] ?? null
}

/**
 * GSC against a baseline on the same images, paired: pairs with a value missing on either side are dropped, each
 * resample draws whole pairs, and the difference is GSC minus baseline of the statistic (for a mean: the mean of
 * the per-image differences). `statistic` defaults to the mean; a pooled statistic (mIoU over the images' summed
 * confusion counts) is re-pooled on each resample. null with fewer than 2 pairs.
 */
export function pairedIntervals<T>(
  pairs: readonly { gsc: T | null | undefined; baseline: T | null | undefined }[],
  statistic: (sample: readonly T[]) => number | null
): PairedIntervals | null {
  const complete = pairs.filter((p): p is { gsc: T; baseline: T } => p.gsc !== null && p.gsc !== undefined && p.baseline !== null && p.baseline !== undefined)
  const side = (s: readonly { gsc: T; baseline: T }[], k: 'gsc' | 'baseline') => statistic(s.map((p) => p[k]))
  const difference = (s: readonly { gsc: T; baseline: T }[]) => {
    const g = side(s, 'gsc')
    const b = side(s, 'baseline')
    return g === null || b === null ? null : g - b
  }
  const out = bootstrapIntervals(complete, [(s) => side(s, 'gsc'), (s) => side(s, 'baseline'), difference])
  return out && { gsc: out[0], baseline: out[1], difference: out[2] }
}

/** pairedIntervals of the mean of per-image numbers (a missing or non-finite value drops that image's pair). */
export function pairedMeanIntervals(pairs: readonly { gsc: number | null | undefined; baseline: number | null | undefined }[]): PairedIntervals | null {
  return pairedIntervals(
    pairs.map((p) => ({ gsc: isValue(p.gsc) ? p.gsc : null, baseline: isValue(p.baseline) ? p.baseline : null })),
    mean
  )
}

/** True when the interval lies entirely above or entirely below 0 (for a difference: a lead the resampling does not erase). */
export const excludesZero = (i: Interval) => i.lo > 0 || i.hi < 0
