// The Image view's scene analyses as the API returns them (segmentation and depth of a reconstruction and its
// original, with their agreement); re-exported by api.ts, part of the one typed API.

/** A one-byte-per-pixel map for display: width x height bytes, row-major, zlib-deflated, base64. */
export interface PackedMap {
  width: number
  height: number
  deflated: string
}

export type SegmentationModelId = 'city' | 'pascal'

export interface SegmentationClassInfo {
  index: number
  name: string
  /** The model's display colour (Cityscapes' own colours; the PASCAL VOC colour map). */
  colour: [number, number, number]
  /** Share of the image's pixels with this class on each side (original null without one). */
  originalShare: number | null
  reconstructionShare: number
  /** IoU of the reconstruction's class against the original's; null without an original. */
  iou: number | null
}

/** Segmentation of the reconstruction and of the attached original, and how well the two agree. */
export interface SegmentationView {
  packetId: number
  model: SegmentationModelId
  modelName: string
  /** The resolution the model saw (its input and where the letterboxed image sat in it). */
  evaluation: string
  /** Every class present on either side, largest first (labels index the model's full class list). */
  classes: SegmentationClassInfo[]
  reconstruction: PackedMap
  original: PackedMap | null
  /** Reconstruction against the original's segmentation (the planner's segmentation agreement). */
  agreement: { miou: number; pixelAccuracy: number } | null
  note: string | null
  /** Time the analyses took when first computed (a cached answer keeps its first time). */
  ms: number
}

/** Relative depth of the reconstruction and of the attached original, and how well the two agree. */
export interface DepthView {
  packetId: number
  modelName: string
  /** How the maps were scaled for display (one range for both sides). */
  scaling: string
  /** Relative inverse depth as 0..255 (255 nearest), at the model's output size (stretch to the image). */
  reconstruction: PackedMap
  original: PackedMap | null
  /** Reconstruction against the original's depth, median-scaled (delta1 higher is better, AbsRel and RMSE lower). */
  agreement: { delta1: number; absRel: number; rmse: number } | null
  note: string | null
  ms: number
}
