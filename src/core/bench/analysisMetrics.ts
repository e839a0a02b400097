/**
 * The scene analyses `gsc bench` runs beside detection (issue 20): semantic segmentation and monocular depth, each
 * on the original and on every reconstruction. Unlike IMAGE_METRICS they need the original's own analysis (the
 * reference for agreement) and, where a dataset has it, ground truth (coco128 semseg masks, KITTI LiDAR), so which
 * ones run is decided per dataset (planAnalyses). The active analyses and their settings are part of the cache
 * fingerprint; a dataset with none active keeps the fingerprint it had before analyses existed.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { DEPTH_MODEL_ID, depthAgreement, depthMap, depthMapMetrics, type DepthMap } from '../analysis/depth'
import { readLidarDepthPng } from '../analysis/depthLidar'
import { SEGMENTATION_MODEL_IDS, readLabelMap, segmentImage, segmentationAgreement, segmentationInputSize, type SegmentationMap } from '../analysis/segmentation'
import { defaultModelsDir, modelEntry } from '../modelAssets/manifest'
import { cocoPanopticToPascal, type SegmentationDataset } from '../analysis/segmentationClasses'
import { ConfusionMatrix } from '../analysis/segmentationMetrics'
import { GscError } from '../util/errors'
import type { RgbImage } from '../image/rgbImage'
import type { BenchDataset, BenchImage } from './datasets'

export type AnalysisName = 'segmentation' | 'depth'
export const ANALYSIS_NAMES: readonly AnalysisName[] = ['segmentation', 'depth']

/** What runs on one dataset: the segmentation model (null: none), its ground truth, depth against LiDAR. */
export interface AnalysisPlan {
  segmentation: SegmentationDataset | null
  /** Ground-truth label maps for the segmentation model ('pascal' on coco128's semseg_masks). */
  segmentationGroundTruth: 'coco-semseg' | null
  /** Folder of 16-bit LiDAR PNGs named like the images (KITTI depth_velodyne); null: no depth. */
  depthLidarDir: string | null
}

export const NO_ANALYSES: AnalysisPlan = { segmentation: null, segmentationGroundTruth: null, depthLidarDir: null }

/**
 * 'auto': segmentation everywhere (the Cityscapes model on KITTI street scenes, the PASCAL model elsewhere: it
 * serves COCO-like and general photos better and is ~4x faster, docs/results/segmentation), with ground truth
 * where coco128-style semseg_masks exist; depth only where LiDAR exists (it means nothing without a reference
 * scale, and the model is trained on KITTI). A named list forces those analyses (depth still needs LiDAR).
 */
export function planAnalyses(ds: BenchDataset, wanted: 'auto' | readonly AnalysisName[]): AnalysisPlan {
  const names = wanted === 'auto' ? ANALYSIS_NAMES : wanted
  const lidar = path.join(ds.root, 'depth_velodyne')
  const wantDepth = names.includes('depth')
  if (wantDepth && wanted !== 'auto' && !existsSync(lidar)) throw new GscError(`--analyses depth needs LiDAR depth in ${lidar}`)
  const seg: SegmentationDataset | null = names.includes('segmentation') ? (ds.layout === 'kitti' ? 'city' : 'pascal') : null
  return {
    segmentation: seg,
    segmentationGroundTruth: seg === 'pascal' && ds.layout === 'coco-yolo' && existsSync(path.join(ds.root, 'semseg_masks')) ? 'coco-semseg' : null,
    depthLidarDir: wantDepth && existsSync(lidar) ? lidar : null
  }
}

export const hasAnalyses = (p: AnalysisPlan) => p.segmentation !== null || p.depthLidarDir !== null

export interface AnalysisMetric {
  key: AnalysisKey
  analysis: AnalysisName
  label: string
  digits: number
  better: 'higher' | 'lower'
  /** One sentence for the report: what it measures, against which reference, at which resolution. */
  definition: string
  /** How the per-image values become one number per codec and C. */
  aggregate: 'mean over images' | 'one confusion matrix over the dataset'
}

export type AnalysisKey = 'segAgreement' | 'segMiou' | 'depthDelta1' | 'depthAbsRel' | 'depthRmse' | 'depthAgreeDelta1' | 'depthAgreeAbsRel'

const SEG_RES =
  'each image letterboxed into the model input (Cityscapes model 1024×512, PASCAL model 384×384; aspect kept), argmax labels brought back to the image size by nearest neighbour and counted over every image pixel'
const DEPTH_RES = 'mobile PyDNet on the image resized to 640×192, its 320×96 relative inverse depth'

export const ANALYSIS_METRICS: readonly AnalysisMetric[] = [
  {
    key: 'segAgreement',
    analysis: 'segmentation',
    label: 'seg. agreement mIoU',
    digits: 3,
    better: 'higher',
    aggregate: 'mean over images',
    definition: `segmentation agreement: mIoU of the reconstruction's labels against the **original's** labels from the same ESPNetv2 model (IoU per class over the classes present in either map, then their mean); ${SEG_RES}; 1 = the same segmentation.`
  },
  {
    key: 'segMiou',
    analysis: 'segmentation',
    label: 'seg. mIoU vs GT',
    digits: 3,
    better: 'higher',
    aggregate: 'one confusion matrix over the dataset',
    definition: `segmentation mIoU against **ground truth** (coco128 semseg_masks mapped to the 21 PASCAL VOC classes, unlabelled pixels left out; PASCAL model): per-class intersections and unions summed over all images that have a mask (coco128: 100 of its 128), then the mean IoU over classes with a non-empty union (the standard data-set mIoU); ${SEG_RES}.`
  },
  {
    key: 'depthDelta1',
    analysis: 'depth',
    label: 'depth δ1',
    digits: 3,
    better: 'higher',
    aggregate: 'mean over images',
    definition: `depth δ1 against **KITTI LiDAR** (depth_velodyne, sparse single-scan): share of LiDAR pixels with max(pred/gt, gt/pred) < 1.25; ${DEPTH_RES} resized bilinearly to the frame size, per-image median scaling, LiDAR in (1e-3, 80) m inside Garg's crop, prediction clamped to [1e-3, 80] m (the Eigen protocol, docs/results/depth).`
  },
  {
    key: 'depthAbsRel',
    analysis: 'depth',
    label: 'depth AbsRel',
    digits: 3,
    better: 'lower',
    aggregate: 'mean over images',
    definition: 'depth AbsRel against **KITTI LiDAR**: mean |pred − gt| / gt over the same pixels, after the same median scaling.'
  },
  {
    key: 'depthRmse',
    analysis: 'depth',
    label: 'depth RMSE m',
    digits: 2,
    better: 'lower',
    aggregate: 'mean over images',
    definition: 'depth RMSE against **KITTI LiDAR**: √mean (pred − gt)² in metres over the same pixels, after the same median scaling.'
  },
  {
    key: 'depthAgreeDelta1',
    analysis: 'depth',
    label: 'depth agreement δ1',
    digits: 3,
    better: 'higher',
    aggregate: 'mean over images',
    definition: `depth agreement δ1: the **original's** depth map as the reference: δ1 of the reconstruction's depth over all 320×96 pixels of the model's output, the reconstruction median-scaled onto the original; 1 = the same relative depth.`
  },
  {
    key: 'depthAgreeAbsRel',
    analysis: 'depth',
    label: 'depth agreement AbsRel',
    digits: 3,
    better: 'lower',
    aggregate: 'mean over images',
    definition: "depth agreement AbsRel: AbsRel of the reconstruction's depth against the original's over the same 320×96 pixels; 0 = the same."
  }
]

/** Per-class intersections and unions against ground truth: summed over images they give the data-set mIoU. */
export interface SegmentationCounts {
  intersection: number[]
  union: number[]
}

/** The analysis values of one reconstruction (or of the original against ground truth); absent = not measured. */
export type AnalysisValues = Partial<Record<AnalysisKey, number>> & { segCounts?: SegmentationCounts }

/** The original's analyses of one image: the references for agreement, and its own scores against ground truth. */
export interface OriginalAnalysis {
  segmentation: SegmentationMap | null
  segmentationGroundTruth: Uint8Array | null
  depth: DepthMap | null
  lidar: Float32Array | null
  /** The original scored against ground truth (the ceiling for every codec). */
  values: AnalysisValues
}

function countsOf(cm: ConfusionMatrix): SegmentationCounts {
  const k = cm.numClasses
  const intersection: number[] = []
  const union: number[] = []
  for (let c = 0; c < k; c++) {
    let row = 0
    let col = 0
    for (let j = 0; j < k; j++) {
      row += cm.counts[c * k + j]
      col += cm.counts[j * k + c]
    }
    const tp = cm.counts[c * k + c]
    intersection.push(tp)
    union.push(row + col - tp)
  }
  return { intersection, union }
}

/** mIoU from summed counts: mean IoU over classes with a non-empty union; null when none. */
export function miouFromCounts(counts: readonly SegmentationCounts[]): number | null {
  if (!counts.length) return null
  const k = counts[0].intersection.length
  let sum = 0
  let n = 0
  for (let c = 0; c < k; c++) {
    let i = 0
    let u = 0
    for (const x of counts) {
      i += x.intersection[c]
      u += x.union[c]
    }
    if (u > 0) {
      sum += i / u
      n++
    }
  }
  return n ? sum / n : null
}

function scoreAgainstTruth(seg: SegmentationMap | null, truth: Uint8Array | null, depth: DepthMap | null, lidar: Float32Array | null): AnalysisValues {
  const v: AnalysisValues = {}
  if (seg && truth) {
    const cm = new ConfusionMatrix(seg.classes.length).add(truth, seg.labels)
    const r = cm.result()
    v.segCounts = countsOf(cm)
    if (Number.isFinite(r.miou)) v.segMiou = r.miou
  }
  if (depth && lidar) {
    const m = depthMapMetrics(depth, lidar)
    v.depthDelta1 = m.delta1
    v.depthAbsRel = m.absRel
    v.depthRmse = m.rmse
  }
  return v
}

/** Ground truth of one image for the plan: segmentation labels in the model's classes, LiDAR depth in metres. */
async function readTruth(plan: AnalysisPlan, ds: BenchDataset, im: BenchImage, img: RgbImage): Promise<{ seg: Uint8Array | null; lidar: Float32Array | null }> {
  let seg: Uint8Array | null = null
  if (plan.segmentationGroundTruth === 'coco-semseg') {
    // semseg_masks/<split>/<id>.png beside images/<split>/<id>.jpg
    const split = path.basename(path.dirname(im.file))
    const file = [path.join(ds.root, 'semseg_masks', split, `${im.id}.png`), path.join(ds.root, 'semseg_masks', `${im.id}.png`)].find((f) => existsSync(f))
    if (file) {
      const m = await readLabelMap(file)
      if (m.width !== img.width || m.height !== img.height) throw new GscError(`${file} is ${m.width}x${m.height}, the image ${img.width}x${img.height}`)
      seg = cocoPanopticToPascal(m.labels)
    }
  }
  let lidar: Float32Array | null = null
  if (plan.depthLidarDir) {
    const file = path.join(plan.depthLidarDir, `${im.id}.png`)
    if (existsSync(file)) {
      const l = await readLidarDepthPng(file)
      if (l.width !== img.width || l.height !== img.height) throw new GscError(`${file} is ${l.width}x${l.height}, the image ${img.width}x${img.height}`)
      lidar = l.depth
    }
  }
  return { seg, lidar }
}

export async function analyseOriginal(plan: AnalysisPlan, ds: BenchDataset, im: BenchImage, img: RgbImage): Promise<OriginalAnalysis> {
  const truth = await readTruth(plan, ds, im, img)
  const segmentation = plan.segmentation ? await segmentImage(img, { dataset: plan.segmentation }) : null
  const depth = truth.lidar ? await depthMap(img) : null
  return { segmentation, segmentationGroundTruth: truth.seg, depth, lidar: truth.lidar, values: scoreAgainstTruth(segmentation, truth.seg, depth, truth.lidar) }
}

/** Every active analysis of a reconstruction: agreement with the original, and scores against ground truth. */
export async function analyseReconstruction(orig: OriginalAnalysis, recon: RgbImage): Promise<AnalysisValues> {
  const seg = orig.segmentation ? await segmentImage(recon, { dataset: orig.segmentation.dataset }) : null
  const depth = orig.depth ? await depthMap(recon) : null
  const v = scoreAgainstTruth(seg, orig.segmentationGroundTruth, depth, orig.lidar)
  if (seg && orig.segmentation) {
    const a = segmentationAgreement(orig.segmentation, seg).miou
    if (Number.isFinite(a)) v.segAgreement = a
  }
  if (depth && orig.depth) {
    const a = depthAgreement(orig.depth, depth)
    v.depthAgreeDelta1 = a.delta1
    v.depthAgreeAbsRel = a.absRel
  }
  return v
}

/** The plan as it enters the cache fingerprint: models (by hash) and input sizes, which set the evaluation resolution. */
export function analysisFingerprint(plan: AnalysisPlan): unknown {
  if (!hasAnalyses(plan)) return undefined
  const dir = defaultModelsDir()
  return {
    segmentation: plan.segmentation
      ? { model: plan.segmentation, sha256: modelEntry(SEGMENTATION_MODEL_IDS[plan.segmentation], dir).sha256, input: segmentationInputSize(plan.segmentation), gt: plan.segmentationGroundTruth }
      : null,
    depth: plan.depthLidarDir !== null ? modelEntry(DEPTH_MODEL_ID, dir).sha256 : null,
    keys: ANALYSIS_METRICS.map((m) => m.key)
  }
}

/** Which metrics a plan produces (the report shows only these columns). */
export function metricsOf(plan: AnalysisPlan): AnalysisMetric[] {
  return ANALYSIS_METRICS.filter((m) =>
    m.analysis === 'depth' ? plan.depthLidarDir !== null : plan.segmentation !== null && (m.key !== 'segMiou' || plan.segmentationGroundTruth !== null)
  )
}
