// What `gsc bench` measures and stores: the cache files, a dataset's run, its summaries and results.json.
// Types only: every bench module takes its shapes from here, so none imports back into another for a type.
import type { BaselineId } from '../baselines/codecs'
import type { CalibrationTable } from '../planner/calibration'
import type { AnalysisKey, AnalysisPlan, AnalysisValues } from './analysisMetrics'
import type { BenchDataset, GroundTruthBox } from './datasets'
import type { ImageMetricKey, ImageMetricValues } from './imageMetrics'
import type { MachineInfo, modelHashes } from './machine'

export interface Agreement {
  precision: number
  recall: number
  f1: number
}

/** Detection kept for mAP, pixels, rounded. */
export interface StoredDetection {
  classId: number
  score: number
  box: [number, number, number, number]
}

/** The IMAGE_METRICS values (psnr, msssim, ciede2000, blockiness, ...) plus detection results. */
export interface ReconstructionMetrics extends ImageMetricValues {
  /** Detections on the reconstruction vs on the original (score >= AGREEMENT_SCORE, IoU 0.5); null without a detector. */
  agreement: Agreement | null
  /** Detections on the reconstruction (score >= MAP_SCORE), for mAP against ground truth. */
  detections: StoredDetection[] | null
  /** Segmentation and depth (ANALYSIS_METRICS) where the dataset's analysis plan runs them; absent otherwise. */
  analysis?: AnalysisValues
  /** Wall time of those analyses on this reconstruction, ms. */
  analysisMs?: number
}

export interface GscMeasurement extends ReconstructionMetrics {
  c: number
  bytes: number
  bits: number
  bpp: number
  quantStep: number
  targetBits: number
  fitsTarget: boolean
  channelIndices: number[]
  /** The model set the packet names (set 32's sender may send set 28's packet, sharpenChoice.ts); absent in records
   *  written before it was kept. */
  modelSet?: number
  sections: { header: number; caption: number; latents: number; detections: number; total: number }
  /** prepare (caption, detector for caption, g_a, ranking: shared by all C) + pack for this C. */
  encodeMs: number
  packMs: number
  decodeMs: number
  steps: number
}

export interface BaselineMeasurement {
  codec: BaselineId
  targetBytes: number
  reached: boolean
  bytes: number
  smallestBytes: number
  bpp: number | null
  scale: number | null
  codedWidth: number | null
  codedHeight: number | null
  knob: number | null
  encodes: number
  encodeMs: number | null
  decodeMs: number | null
  /** Wall time of the whole size search (all trial encodes), ms. */
  searchMs: number
  metrics: ReconstructionMetrics | null
  error?: string
}

export interface OriginalRecord {
  fingerprint: string
  scene: string
  image: string
  file: string
  width: number
  height: number
  groundTruth: GroundTruthBox[] | null
  detections: StoredDetection[] | null
  detectMs: number | null
  /** The original scored against ground truth by the active analyses (segmentation mIoU, depth vs LiDAR): the ceiling. */
  analysis?: AnalysisValues
}

export interface ImageCRecord {
  fingerprint: string
  scene: string
  image: string
  c: number
  caption: string
  gsc: GscMeasurement
  baselines: Partial<Record<BaselineId, BaselineMeasurement>>
  /** fingerprintOf(baseline fingerprint) when the baselines were measured; lets a later model set reuse them. */
  baselineFingerprint?: string
  /** Peak RSS of the bench process while this image and C were measured, MiB. */
  peakRssMiB: number
}

export interface DatasetRun {
  dataset: { name: string; root: string; layout: BenchDataset['layout']; labelled: boolean; imagesTotal: number; imagesUsed: number; every?: number }
  /** Which analyses ran on this dataset (absent in results from before analyses existed). */
  analyses?: AnalysisPlan
  originals: OriginalRecord[]
  records: ImageCRecord[]
  /** Units (image x C) computed in this run vs taken from the cache. */
  computed: number
  cached: number
  /** Baseline fits taken from a record of other GSC models (same budget, same baseline fingerprint). */
  baselinesReused: number
}

/** Every metric a baseline can be compared with GSC on: the image metrics, the analyses and detection F1. */
export type ComparedKey = ImageMetricKey | AnalysisKey | 'f1'

/** Per analysis metric, GSC's or a codec's aggregate (ANALYSIS_METRICS' aggregate); null where not measured. */
export type AnalysisMeans = Record<AnalysisKey, number | null>

/** Means over images of each IMAGE_METRICS value (psnr, msssim, ciede2000, blockiness, ...). */
export type ImageMetricMeans = Record<ImageMetricKey, number | null>

export interface CodecSummary extends ImageMetricMeans, Partial<AnalysisMeans> {
  /** Images with a reconstruction (for a baseline: where it reached the size). */
  n: number
  images: number
  meanBytes: number | null
  meanBpp: number | null
  precision: number | null
  recall: number | null
  f1: number | null
  /** mAP@0.5 of detections on the reconstructions against ground truth; null without labels, or when incomplete. */
  map50: number | null
  medianEncodeMs: number | null
  medianDecodeMs: number | null
}

export interface BaselineSummary extends CodecSummary {
  codec: BaselineId
  complete: boolean
  /** Smallest file the codec produced for any image at this C when it could not reach the size. */
  smallestUnreachedBytes: number | null
  /** GSC's means over the images this codec reached (the paired comparison when it did not reach them all). */
  gscOnReached: Partial<Record<ComparedKey, number | null>>
  errors: string[]
}

/** The best baseline on one metric, and GSC's mean over the same images (all of them, or the ones the baseline reached). */
export interface BestBaseline {
  codec: BaselineId
  value: number
  gsc: number
  images: number
}

/** A statistic with its 95 % interval (confidence.ts): `estimate` on all `n` images, [lo, hi] the interval. */
export interface Interval {
  estimate: number
  lo: number
  hi: number
  n: number
}

/** GSC against one baseline on the same images: each side's statistic and the paired difference GSC minus baseline. */
export interface PairedIntervals {
  gsc: Interval
  baseline: Interval
  difference: Interval
}

/** The intervals of one metric's comparison of GSC with its best baseline (BestBaseline), on the images both have. */
export interface ComparisonIntervals extends PairedIntervals {
  codec: BaselineId
}

export interface GoalVerdict {
  /** 'no baseline fits': baselines ran but none reached the size on at least 90 % of the images; not counted as met. */
  f1: 'met' | 'not met' | 'no baseline fits' | 'no baselines run' | 'no detector'
  msssim: 'met' | 'not met' | 'no baseline fits' | 'no baselines run'
  met: boolean
  bestF1: BestBaseline | null
  bestMsssim: BestBaseline | null
}

export interface CSummary {
  c: number
  gsc: CodecSummary & {
    fitsTarget: number
    /** Packets per model set they name, where a run's packets name more than one (set 32's sender); else absent. */
    packetSets?: Record<string, number>
    medianPackMs: number | null
    peakRssMiB: number
    /** Mean bits per packet section (header includes the CCSDS primary header and CRC). */
    sections: { header: number | null; caption: number | null; latents: number | null; detections: number | null }
  }
  baselines: BaselineSummary[]
  /** Per metric, the best baseline (highest or lowest mean, by the metric's direction) chosen as for the goal. */
  best: Record<ComparedKey, BestBaseline | null>
  /** Per metric, 95 % intervals of GSC, of `best`'s baseline and of their paired difference; null where `best` is null
   * or fewer than 2 images pair up. Absent in results written before intervals existed. */
  intervals?: Record<ComparedKey, ComparisonIntervals | null>
  goal: GoalVerdict
}

export interface DatasetSummary {
  name: string
  images: number
  labelled: boolean
  /** mAP@0.5 of the detector on the original images: the ceiling for every codec. */
  originalMap50: number | null
  /** The analyses on the original images against ground truth (segmentation mIoU, depth vs LiDAR): the ceiling. */
  originalAnalysis?: Partial<AnalysisMeans>
  /** Median wall time of the analyses per reconstruction, ms (null when none ran). */
  medianAnalysisMs?: number | null
  perC: CSummary[]
}

export interface BenchResults {
  formatVersion: 1
  command: string
  createdAt: string
  machine: MachineInfo
  git: { commit: string | null; dirty: boolean | null }
  models: ReturnType<typeof modelHashes>
  detector: string
  config: {
    channels: number[]
    baselines: BaselineId[]
    baselineCodecs: Record<string, { label: string; container: string; knob: string }>
    agreementScore: number
    mapScore: number
    limit: number | null
  }
  summaries: DatasetSummary[]
  /** Every measured image and C (detections on reconstructions are left in the cache files to keep this small). */
  datasets: (Omit<DatasetRun, 'records' | 'originals'> & { originals: unknown[]; records: unknown[] })[]
  /** Planner input: bits and detection disagreement per image and C, and per scene means (gsc plan --table). */
  calibration: CalibrationTable
  timing: { wallS: number; computed: number; cached: number; maxRssMiB: number }
}
