import { describe, expect, it } from 'vitest'
import { miouFromCounts, type SegmentationCounts } from '../../src/core/bench/analysisMetrics'
import { bootstrapIntervals, excludesZero, meanInterval, pairedIntervals, pairedMeanIntervals } from '../../src/core/bench/confidence'
import { renderReport } from '../../src/core/bench/report'
import { summarizeDataset } from '../../src/core/bench/summarize'
import type { BaselineMeasurement, BenchResults, DatasetRun, DatasetSummary, GscMeasurement, ImageCRecord, ReconstructionMetrics } from '../../src/core/bench/types'

/** n values spread symmetrically around `centre` (a fixed pattern: -1, +1, -0.5, +0.5, ...). */
const symmetric = (n: number, centre: number) => Array.from({ length: n }, (_, i) => centre + (i % 2 ? 1 : -1) * (1 + (i >> 1)) / n)

describe('bootstrap intervals', () => {
  it('a constant sample has a zero-width interval at its value', () => {
    const i = meanInterval([0.42, 0.42, 0.42, 0.42, 0.42])!
    expect(i.estimate).toBeCloseTo(0.42, 12)
    expect(i.lo).toBeCloseTo(0.42, 12)
    expect(i.hi).toBeCloseTo(0.42, 12)
    expect(i.n).toBe(5)
  })

  it('fewer than 2 values: no interval; missing values are dropped', () => {
    expect(meanInterval([])).toBeNull()
    expect(meanInterval([0.3])).toBeNull()
    expect(meanInterval([0.3, null, undefined, Number.NaN])).toBeNull()
    const i = meanInterval([0.2, null, 0.4, undefined])!
    expect(i.n).toBe(2)
    expect(i.estimate).toBeCloseTo(0.3, 12)
    expect(i.lo).toBeGreaterThanOrEqual(0.2)
    expect(i.hi).toBeLessThanOrEqual(0.4)
  })

  it('a symmetric sample: the interval contains its mean, is near-symmetric, and narrows with n', () => {
    const widths = [10, 40, 160].map((n) => {
      const i = meanInterval(symmetric(n, 0.5))!
      expect(i.estimate).toBeCloseTo(0.5, 12)
      expect(i.lo).toBeLessThan(0.5)
      expect(i.hi).toBeGreaterThan(0.5)
      expect(Math.abs(i.hi - 0.5 - (0.5 - i.lo))).toBeLessThan(0.25 * (i.hi - i.lo))
      return i.hi - i.lo
    })
    expect(widths[1]).toBeLessThan(widths[0])
    expect(widths[2]).toBeLessThan(widths[1])
  })

  it('is about ±1.96 standard errors for a large sample', () => {
    const xs = symmetric(400, 0)
    const sd = Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length)
    const i = meanInterval(xs)!
    const half = 1.96 * (sd / Math.sqrt(xs.length))
    expect(i.hi).toBeGreaterThan(0.85 * half)
    expect(i.hi).toBeLessThan(1.15 * half)
    expect(i.lo).toBeLessThan(-0.85 * half)
    expect(i.lo).toBeGreaterThan(-1.15 * half)
  })

  it('is deterministic: the same input gives the same interval', () => {
    const xs = [0.1, 0.7, 0.3, 0.9, 0.2, 0.55, 0.61]
    expect(meanInterval(xs)).toEqual(meanInterval([...xs]))
    const pairs = xs.map((g, k) => ({ gsc: g, baseline: xs[(k + 3) % xs.length] }))
    expect(pairedMeanIntervals(pairs)).toEqual(pairedMeanIntervals(pairs.map((p) => ({ ...p }))))
  })

  it('paired: GSC always 0.1 above the baseline gives a difference of [0.1, 0.1], though each side varies widely', () => {
    const base = [0.2, 0.9, 0.4, 0.65, 0.1, 0.8]
    const p = pairedMeanIntervals(base.map((b) => ({ gsc: b + 0.1, baseline: b })))!
    expect(p.difference.estimate).toBeCloseTo(0.1, 12)
    expect(p.difference.lo).toBeCloseTo(0.1, 12)
    expect(p.difference.hi).toBeCloseTo(0.1, 12)
    expect(excludesZero(p.difference)).toBe(true)
    // the unpaired intervals overlap heavily: only pairing shows the lead
    expect(p.gsc.lo).toBeLessThan(p.baseline.hi)
    expect(p.gsc.hi - p.gsc.lo).toBeGreaterThan(0.2)
  })

  it('paired: a pair with a missing side is dropped; identical codecs give [0, 0], which does not exclude 0', () => {
    const p = pairedMeanIntervals([
      { gsc: 0.5, baseline: 0.5 },
      { gsc: 0.7, baseline: 0.7 },
      { gsc: null, baseline: 0.1 },
      { gsc: 0.9, baseline: undefined },
      { gsc: 0.3, baseline: 0.3 }
    ])!
    expect(p.difference.n).toBe(3)
    expect(p.difference).toMatchObject({ estimate: 0, lo: 0, hi: 0 })
    expect(excludesZero(p.difference)).toBe(false)
    expect(pairedMeanIntervals([{ gsc: 0.5, baseline: 0.4 }])).toBeNull()
  })

  it('paired: a difference of mixed sign has an interval around 0', () => {
    const d = symmetric(30, 0)
    const p = pairedMeanIntervals(d.map((x) => ({ gsc: 0.5 + x, baseline: 0.5 })))!
    expect(p.difference.lo).toBeLessThan(0)
    expect(p.difference.hi).toBeGreaterThan(0)
    expect(excludesZero(p.difference)).toBe(false)
  })

  it('a pooled statistic is re-pooled on each resample (mIoU over summed counts)', () => {
    // image A: class 0 perfect, image B: class 0 half right. Pooled: 3/4 on both sides when codecs agree.
    const a: SegmentationCounts = { intersection: [10], union: [10] }
    const b: SegmentationCounts = { intersection: [5], union: [10] }
    const p = pairedIntervals([{ gsc: a, baseline: b }, { gsc: b, baseline: b }, { gsc: a, baseline: a }], miouFromCounts)!
    expect(p.gsc.estimate).toBeCloseTo(25 / 30, 12)
    expect(p.baseline.estimate).toBeCloseTo(20 / 30, 12)
    expect(p.difference.estimate).toBeCloseTo(5 / 30, 12)
    // resamples range from all-(b,b) (difference 0) to all-(a,b) (difference 0.5)
    expect(p.difference.lo).toBeGreaterThanOrEqual(0)
    expect(p.difference.hi).toBeLessThanOrEqual(0.5)
    expect(p.difference.hi).toBeGreaterThan(p.difference.lo)
  })

  it('a statistic undefined on the whole sample gives no interval', () => {
    expect(bootstrapIntervals([1, 2, 3], [() => null])).toBeNull()
  })
})

// ---- the summaries and the report carry the intervals ----

const IMAGES = 8
function metrics(msssim: number, f1: number, extra: Partial<ReconstructionMetrics> = {}): ReconstructionMetrics {
  return { psnr: 20, msssim, ciede2000: 10, blockiness: 1, lpips: 0.5, falseTexture: 0.2, agreement: { precision: f1, recall: f1, f1 }, detections: null, ...extra }
}
function gscAt(msssim: number, f1: number): GscMeasurement {
  const sections = { header: 100, caption: 100, latents: 600, detections: 0, total: 800 }
  return { ...metrics(msssim, f1), c: 1, bytes: 100, bits: 800, bpp: 0.004, quantStep: 1, targetBits: 800, fitsTarget: true, channelIndices: [0], sections, encodeMs: 1, packMs: 1, decodeMs: 1, steps: 1 }
}
function baselineAt(codec: 'webp' | 'jxl', m: ReconstructionMetrics): BaselineMeasurement {
  return { codec, targetBytes: 100, reached: true, bytes: 99, smallestBytes: 50, bpp: 0.004, scale: 1, codedWidth: 10, codedHeight: 10, knob: 50, encodes: 3, encodeMs: 1, decodeMs: 1, searchMs: 3, metrics: m }
}

/** GSC 0.05 above webp on MS-SSIM on every image; on F1 sometimes above, sometimes below jxl (no clear lead). */
function run(): DatasetRun {
  const records: ImageCRecord[] = Array.from({ length: IMAGES }, (_, k) => {
    const ms = 0.5 + 0.04 * k
    const f1 = k % 2 ? 0.6 : 0.4
    return {
      fingerprint: 'x',
      scene: 's',
      image: `im${k}`,
      c: 1,
      caption: '',
      gsc: gscAt(ms + 0.05, f1),
      baselines: { webp: baselineAt('webp', metrics(ms, 0.1, { ciede2000: 12 })), jxl: baselineAt('jxl', metrics(ms - 0.1, k % 2 ? 0.4 : 0.6, { ciede2000: 9 + (k % 2) * 2 })) },
      peakRssMiB: 100
    }
  })
  return {
    dataset: { name: 'synthetic', root: '/nowhere', layout: 'plain', labelled: false, imagesTotal: IMAGES, imagesUsed: IMAGES },
    originals: records.map((r) => ({ fingerprint: 'x', scene: 's', image: r.image, file: r.image + '.png', width: 10, height: 10, groundTruth: null, detections: null, detectMs: null })),
    records,
    computed: 0,
    cached: IMAGES,
    baselinesReused: 0
  }
}

function resultsOf(s: DatasetSummary): BenchResults {
  return {
    formatVersion: 1,
    command: 'test',
    createdAt: 'now',
    machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', onnxruntime: '1', sharp: '1', loadAverage: [0, 0, 0] },
    git: { commit: null, dirty: null },
    models: { error: 'none' },
    detector: 'test',
    config: { channels: [1], baselines: ['webp', 'jxl'], baselineCodecs: {}, agreementScore: 0.3, mapScore: 0.05, limit: null },
    summaries: [s],
    datasets: [{ ...run(), originals: [], records: [] }],
    calibration: { formatVersion: 1, images: [] },
    timing: { wallS: 1, computed: 0, cached: IMAGES, maxRssMiB: 1 }
  } as unknown as BenchResults
}

describe('packets that name more than one model set (set 32 sends set 28 packets where sharpening costs detections)', () => {
  it('are counted per set in the summary and the report; one set, or records that do not say, add nothing', () => {
    const mixed = run()
    mixed.records.forEach((r, k) => (r.gsc.modelSet = k < 3 ? 28 : 32))
    const c = summarizeDataset(mixed, [1], ['webp', 'jxl'], true).perC[0]
    expect(c.gsc.packetSets).toEqual({ 28: 3, 32: 5 })
    expect(renderReport(resultsOf(summarizeDataset(mixed, [1], ['webp', 'jxl'], true)))).toMatch(/within the step rule's bit target; packets by the model set they name: set 28 3, set 32 5;/)
    const one = run()
    one.records.forEach((r) => (r.gsc.modelSet = 28))
    expect(summarizeDataset(one, [1], ['webp', 'jxl'], true).perC[0].gsc.packetSets).toBeUndefined()
    expect(summarizeDataset(run(), [1], ['webp', 'jxl'], true).perC[0].gsc.packetSets).toBeUndefined()
  })
})

describe('bench summaries and report with intervals', () => {
  const summary = summarizeDataset(run(), [1], ['webp', 'jxl'], true)
  const c = summary.perC[0]

  it('pairs GSC with the best baseline per metric on the same images', () => {
    const ms = c.intervals!.msssim!
    expect(ms.codec).toBe('webp')
    expect(ms.difference.n).toBe(IMAGES)
    expect(ms.difference.estimate).toBeCloseTo(0.05, 12)
    expect(ms.difference.lo).toBeCloseTo(0.05, 12)
    expect(ms.difference.hi).toBeCloseTo(0.05, 12)
    // the same means as the comparison the goal uses
    expect(ms.gsc.estimate).toBeCloseTo(c.best.msssim!.gsc, 12)
    expect(ms.baseline.estimate).toBeCloseTo(c.best.msssim!.value, 12)
    expect(c.goal.msssim).toBe('met')
    const f1 = c.intervals!.f1!
    expect(f1.codec).toBe('jxl')
    expect(f1.difference.estimate).toBeCloseTo(0, 12)
    expect(f1.difference.lo).toBeLessThan(0)
    expect(f1.difference.hi).toBeGreaterThan(0)
    // ΔE00: lower is better, jxl (9 or 11, mean 10) is best; GSC is always 10
    expect(c.intervals!.ciede2000!.codec).toBe('jxl')
    expect(c.intervals!.ciede2000!.difference.estimate).toBeCloseTo(0, 12)
    // no analyses measured: no interval
    expect(c.intervals!.segMiou).toBeNull()
  })

  it('the report shows the differences with intervals, bold where 0 is excluded, and keeps the goal on means', () => {
    const report = renderReport(resultsOf(summary))
    expect(report).toContain('| F1: GSC − best [95 % CI] |')
    expect(report).toContain('| MS-SSIM: GSC − best [95 % CI] |')
    // MS-SSIM: +0.05 on every image -> a zero-width interval at +0.0500, bold; F1: around 0, not bold
    expect(report).toMatch(/\| 0\.6900 \| 0\.6400 \(webp\) \| \*\*\+0\.0500 \[\+0\.0500, \+0\.0500\]\*\* \| not met \| met \|/)
    expect(report).toMatch(/\| 0\.500 \| 0\.500 \(jxl\) \| 0\.000 \[-0\.\d{3}, \+0\.\d{3}\] \| 0\.6900 \|/)
    expect(report).toContain('ΔE00: GSC − best [95 % CI]')
    expect(report).toMatch(/percentile bootstrap over images, 2000 resamples/)
    expect(report).toContain('The goal verdict stays on the means')
    expect(report).toMatch(/Of the \d+ GSC − best-baseline differences in these tables .*, \d+ have a 95 % interval that excludes 0 \(bold\): GSC better in \d+, worse in \d+/)
  })

  it('a report from results written before intervals existed still renders, without them', () => {
    const old = { ...summary, perC: summary.perC.map(({ intervals: _intervals, ...rest }) => rest) }
    const report = renderReport(resultsOf(old))
    expect(report).toMatch(/\| 0\.6900 \| 0\.6400 \(webp\) \| – \| not met \| met \|/)
    expect(report).toContain('No GSC-vs-best-baseline difference has an interval here')
  })
})
