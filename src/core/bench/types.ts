// What `gsc bench` measures and stores (cache files and results.json).
import type { BaselineId } from '../baselines/codecs'
import type { GroundTruthBox } from './datasets'
import type { ImageMetricValues } from './imageMetrics'

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
