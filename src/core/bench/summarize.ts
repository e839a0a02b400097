// Per dataset and C: means over images, mAP@0.5 against ground truth, best baseline at equal bits, the goal verdict.
import { meanAveragePrecision50, type MapImage } from '../analysis/map'
import type { BaselineId } from '../baselines/codecs'
import { ANALYSIS_METRICS, miouFromCounts, type AnalysisKey, type AnalysisValues, type SegmentationCounts } from './analysisMetrics'
import { pairedIntervals, pairedMeanIntervals } from './confidence'
import { IMAGE_METRICS, isBetter, type ImageMetricKey } from './imageMetrics'
import type {
  AnalysisMeans,
  BaselineSummary,
  BestBaseline,
  CSummary,
  CodecSummary,
  ComparedKey,
  ComparisonIntervals,
  DatasetRun,
  DatasetSummary,
  GoalVerdict,
  ImageMetricMeans,
  ImageCRecord,
  OriginalRecord,
  ReconstructionMetrics,
  StoredDetection
} from './types'

const COMPARED: { key: ComparedKey; better: 'higher' | 'lower' }[] = [...IMAGE_METRICS, ...ANALYSIS_METRICS, { key: 'f1', better: 'higher' }]
const IMAGE_KEYS = new Set<ComparedKey>(IMAGE_METRICS.map((m) => m.key))

/** How many packets name each model set, where they name more than one (set 32's sender sends set 28's packet where
 *  its sharpening would cost detections); nothing otherwise, and nothing for records that do not say. */
function packetSetsOf(recs: readonly ImageCRecord[]): { packetSets?: Record<string, number> } {
  const counts: Record<string, number> = {}
  for (const r of recs) if (r.gsc.modelSet !== undefined) counts[r.gsc.modelSet] = (counts[r.gsc.modelSet] ?? 0) + 1
  return Object.keys(counts).length > 1 ? { packetSets: counts } : {}
}

/** A baseline that reached at least this share of the images (but not all) is compared with GSC on those images. */
export const PAIRED_MIN_SHARE = 0.9

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
export function median(xs: number[]): number | null {
  if (!xs.length) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function mapOf(originals: Map<string, OriginalRecord>, preds: { image: string; m: { detections: StoredDetection[] | null } | null }[]): number | null {
  const perImage: MapImage[] = []
  for (const p of preds) {
    const o = originals.get(p.image)
    if (!o?.groundTruth || !p.m?.detections) return null
    perImage.push({ predictions: p.m.detections, groundTruth: o.groundTruth })
  }
  if (!perImage.some((x) => x.groundTruth.length > 0)) return null
  return meanAveragePrecision50(perImage).map50
}

/**
 * Each analysis metric over a codec's reconstructions: the mean over images, or for mIoU against ground truth one
 * confusion matrix over the dataset (summed intersections and unions) of the images that have a ground-truth mask
 * (coco128: 100 of 128; the same images for every codec, since the data decides which). null unless every image
 * has the value (the mIoU: unless the codec was measured on every image), so that a codec is never ranked on a subset
 * it happened to measure.
 */
export function analysisMeans(values: (AnalysisValues | undefined)[]): AnalysisMeans {
  const out = {} as AnalysisMeans
  for (const m of ANALYSIS_METRICS) {
    if (m.aggregate === 'one confusion matrix over the dataset') {
      const counts = values.flatMap((v) => (v?.segCounts ? [v.segCounts] : []))
      out[m.key] = values.length > 0 && values.every((v) => v !== undefined) && counts.length > 0 ? miouFromCounts(counts) : null
    } else out[m.key] = values.length > 0 && values.every((v) => v?.[m.key] !== undefined) ? mean(values.map((v) => v![m.key]!)) : null
  }
  return out
}

function codecSummary(
  items: { image: string; bytes: number; bpp: number; m: ReconstructionMetrics | null; enc: number | null; dec: number | null }[],
  images: number,
  originals: Map<string, OriginalRecord>,
  labelled: boolean,
  complete: boolean
): CodecSummary {
  const withM = items.filter((i) => i.m)
  const agree = withM.filter((i) => i.m!.agreement)
  const metricMeans = Object.fromEntries(IMAGE_METRICS.map((m) => [m.key, mean(withM.map((i) => i.m![m.key]))])) as ImageMetricMeans
  return {
    n: withM.length,
    images,
    meanBytes: mean(items.map((i) => i.bytes)),
    meanBpp: mean(items.map((i) => i.bpp)),
    ...metricMeans,
    ...analysisMeans(withM.map((i) => i.m!.analysis)),
    precision: mean(agree.map((i) => i.m!.agreement!.precision)),
    recall: mean(agree.map((i) => i.m!.agreement!.recall)),
    f1: agree.length === withM.length ? mean(agree.map((i) => i.m!.agreement!.f1)) : null,
    map50: labelled && complete ? mapOf(originals, items.map((i) => ({ image: i.image, m: i.m }))) : null,
    medianEncodeMs: median(items.flatMap((i) => (i.enc === null ? [] : [i.enc]))),
    medianDecodeMs: median(items.flatMap((i) => (i.dec === null ? [] : [i.dec])))
  }
}

export function summarizeDataset(run: DatasetRun, channels: number[], baselines: BaselineId[], haveDetector: boolean): DatasetSummary {
  const originals = new Map(run.originals.map((o) => [o.image, o]))
  const images = run.originals.length
  const labelled = run.dataset.labelled
  const originalMap50 =
    labelled && haveDetector ? mapOf(originals, run.originals.map((o) => ({ image: o.image, m: { detections: o.detections } }))) : null
  const perC = channels.map((c): CSummary => {
    const recs = run.records.filter((r) => r.c === c)
    const gscItems = recs.map((r) => ({ image: r.image, bytes: r.gsc.bytes, bpp: r.gsc.bpp, m: r.gsc as ReconstructionMetrics, enc: r.gsc.encodeMs, dec: r.gsc.decodeMs }))
    const gsc = {
      ...codecSummary(gscItems, images, originals, labelled, recs.length === images),
      fitsTarget: recs.filter((r) => r.gsc.fitsTarget).length,
      ...packetSetsOf(recs),
      medianPackMs: median(recs.map((r) => r.gsc.packMs)),
      peakRssMiB: Math.max(0, ...recs.map((r) => r.peakRssMiB)),
      sections: {
        header: mean(recs.map((r) => r.gsc.sections.header)),
        caption: mean(recs.map((r) => r.gsc.sections.caption)),
        latents: mean(recs.map((r) => r.gsc.sections.latents)),
        detections: mean(recs.map((r) => r.gsc.sections.detections))
      }
    }
    const bs = baselines.map((b): BaselineSummary => {
      const ms = recs.map((r) => ({ image: r.image, b: r.baselines[b] })).filter((x) => x.b)
      const reached = ms.filter((x) => x.b!.reached && x.b!.metrics)
      const complete = reached.length === images && images > 0
      const un = ms.filter((x) => !x.b!.reached && !x.b!.error)
      const reachedSet = new Set(reached.map((x) => x.image))
      const gscThere = codecSummary(gscItems.filter((i) => reachedSet.has(i.image)), images, originals, false, false)
      return {
        codec: b,
        complete,
        smallestUnreachedBytes: un.length ? Math.min(...un.map((x) => x.b!.smallestBytes)) : null,
        gscOnReached: Object.fromEntries(COMPARED.map((k) => [k.key, gscThere[k.key] ?? null])) as Record<ComparedKey, number | null>,
        errors: [...new Set(ms.flatMap((x) => (x.b!.error ? [x.b!.error] : [])))],
        ...codecSummary(
          reached.map((x) => ({ image: x.image, bytes: x.b!.bytes, bpp: x.b!.bpp!, m: x.b!.metrics, enc: x.b!.encodeMs, dec: x.b!.decodeMs })),
          images,
          originals,
          labelled,
          complete
        )
      }
    })
    const pool = comparisonPool(gsc, bs)
    const best = Object.fromEntries(COMPARED.map((k) => [k.key, bestBaseline(pool, k.key, k.better)])) as Record<ComparedKey, BestBaseline | null>
    if (!haveDetector) best.f1 = null
    const intervals = Object.fromEntries(COMPARED.map((k) => [k.key, comparisonIntervals(recs, k.key, best[k.key])])) as Record<ComparedKey, ComparisonIntervals | null>
    return { c, gsc, baselines: bs, best, intervals, goal: verdict(gsc, bs, haveDetector) }
  })
  const analysed = run.records.flatMap((r) => [r.gsc.analysisMs, ...Object.values(r.baselines).map((b) => b?.metrics?.analysisMs)]).filter((x): x is number => x !== undefined)
  return {
    name: run.dataset.name,
    images,
    labelled,
    originalMap50,
    originalAnalysis: analysisMeans(run.originals.map((o) => o.analysis)),
    medianAnalysisMs: median(analysed),
    perC
  }
}

/** One image's value of a compared metric (null: not measured there). */
function valueOf(m: ReconstructionMetrics, k: ComparedKey): number | null {
  if (k === 'f1') return m.agreement?.f1 ?? null
  if (IMAGE_KEYS.has(k)) return m[k as ImageMetricKey] ?? null
  return m.analysis?.[k as AnalysisKey] ?? null
}

/**
 * 95 % intervals of GSC against the best baseline on one metric, paired over the images the baseline reached (the
 * images its mean and GSC's `best.gsc` are over). mIoU against ground truth is one confusion matrix over the images,
 * so each bootstrap resample re-pools the resampled images' counts; every other metric is a mean over images.
 */
function comparisonIntervals(recs: ImageCRecord[], k: ComparedKey, best: BestBaseline | null): ComparisonIntervals | null {
  if (!best) return null
  const reached = recs.flatMap((r) => {
    const b = r.baselines[best.codec]
    return b?.reached && b.metrics ? [{ gsc: r.gsc as ReconstructionMetrics, baseline: b.metrics }] : []
  })
  const paired =
    k === 'segMiou'
      ? pairedIntervals<SegmentationCounts>(
          reached.map((p) => ({ gsc: p.gsc.analysis?.segCounts, baseline: p.baseline.analysis?.segCounts })),
          miouFromCounts
        )
      : pairedMeanIntervals(reached.map((p) => ({ gsc: valueOf(p.gsc, k), baseline: valueOf(p.baseline, k) })))
  return paired && { codec: best.codec, ...paired }
}

/**
 * "At every C, GSC beats the best baseline at equal bits on detection F1 and on MS-SSIM." Best baseline = the
 * highest mean among baselines that reached the GSC packet size on every image; where none did, among those that
 * reached at least 90 % of the images, each compared with GSC's mean over the same images. Beating = strictly
 * higher mean. Where no baseline reaches that many images there is nothing to compare with: not counted as met.
 */
export function verdict(gsc: CodecSummary, bs: BaselineSummary[], haveDetector: boolean): GoalVerdict {
  const pool = comparisonPool(gsc, bs)
  const bestF1 = haveDetector ? bestBaseline(pool, 'f1', 'higher') : null
  const bestMsssim = bestBaseline(pool, 'msssim', 'higher')
  const none = bs.length === 0 ? 'no baselines run' : 'no baseline fits'
  const f1: GoalVerdict['f1'] = !haveDetector || gsc.f1 === null ? 'no detector' : !bestF1 ? none : bestF1.gsc > bestF1.value ? 'met' : 'not met'
  const msssim: GoalVerdict['msssim'] = !bestMsssim ? none : bestMsssim.gsc > bestMsssim.value ? 'met' : 'not met'
  return { f1, msssim, met: f1 === 'met' && msssim === 'met', bestF1, bestMsssim }
}

/** The baselines GSC is compared with: those that reached every image; where none did, those that reached >= 90 %. */
export function comparisonPool(gsc: CodecSummary, bs: BaselineSummary[]): BaselineSummary[] {
  const complete = bs.filter((b) => b.complete)
  return complete.length ? complete : bs.filter((b) => b.n >= Math.ceil(PAIRED_MIN_SHARE * gsc.images) && b.n > 0)
}

/** The best baseline of `pool` on one metric: the highest mean, or the lowest for a lower-is-better metric (ΔE00, blockiness). */
export function bestBaseline(pool: BaselineSummary[], k: ComparedKey, better: 'higher' | 'lower'): BestBaseline | null {
  return pool
    .filter((b) => b[k] !== null && b[k] !== undefined && b.gscOnReached[k] !== null && b.gscOnReached[k] !== undefined)
    .reduce<BestBaseline | null>((acc, b) => (!acc || isBetter({ better }, b[k]!, acc.value) ? { codec: b.codec, value: b[k]!, gsc: b.gscOnReached[k]!, images: b.n } : acc), null)
}
