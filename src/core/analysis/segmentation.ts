// Semantic segmentation at the station: ESPNetv2 (s = 2.0) converted by training/segmentation/export_espnetv2.py
// from the EdgeNets checkpoints, run from resources/models/espnetv2_<dataset>_<W>x<H>.onnx (see the manifest entries
// for source, licence and PyTorch parity). 'city' (Cityscapes, 19 classes + background, input 1024x512) is the
// default; 'pascal' (PASCAL VOC, background + 20 classes, input 384x384) covers COCO-like scenes.
//
// Evaluation resolution: the image is letterboxed into the model's fixed input (aspect kept, centred; bars of the
// ImageNet mean colour, i.e. zero after the graph's normalisation; sharp's linear kernel when the size changes), the
// graph gives the argmax label at every input pixel, and the content box is brought back to the image's own size
// by nearest neighbour. Masks and mIoU are therefore counted over the image's pixels.
import * as ort from 'onnxruntime-node'
import sharp, { type OutputInfo } from 'sharp'
import { resolve } from 'node:path'
import { defaultModelsDir, modelEntry, verifyModel, type ExecutionProvider } from '../modelAssets/manifest'
import { GscError, describeError } from '../util/errors'
import { assertRgbImage, resizeImage, type RgbImage } from '../image/rgbImage'
import { analysisSessionOptions } from '../modelAssets/sessionOptions'
import { classNames, type SegmentationDataset } from './segmentationClasses'
import { meanIou, type MiouResult } from './segmentationMetrics'

export const SEGMENTATION_MODEL_IDS: Record<SegmentationDataset, string> = { city: 'espnetv2_city', pascal: 'espnetv2_pascal' }
/** onnxruntime intra-op threads for the segmentation sessions (see openSession). */
export const SEGMENTATION_INTRA_OP_THREADS = 1
/** ImageNet mean in 0..1: the letterbox bars (zero after the graph's own normalisation). */
const PAD_RGB01 = [0.485, 0.456, 0.406]

export interface SegmentationOptions {
  /** Which model: 'city' (default) or 'pascal'. */
  dataset?: SegmentationDataset
  executionProvider?: ExecutionProvider
  /** Models directory (default: resources/models). */
  dir?: string
}

/** Where the image sits in the model input: content box of w x h at (x, y). */
export interface ContentBox {
  x: number
  y: number
  width: number
  height: number
}

export interface SegmentationMap {
  dataset: SegmentationDataset
  classes: readonly string[]
  /** The image's size; labels has one class index per image pixel, row-major. */
  width: number
  height: number
  labels: Uint8Array
  /** Model input size and where the image sat in it (the resolution the model actually saw). */
  inputWidth: number
  inputHeight: number
  content: ContentBox
}

const sessions = new Map<string, Promise<ort.InferenceSession>>()

/** The model's fixed input size [width, height], from its manifest entry. */
export function segmentationInputSize(dataset: SegmentationDataset = 'city', dir?: string): [number, number] {
  const shape = modelEntry(SEGMENTATION_MODEL_IDS[dataset], resolve(dir ?? defaultModelsDir())).inputs[0]?.shape
  const [h, w] = [shape?.[2], shape?.[3]]
  if (typeof w !== 'number' || typeof h !== 'number') throw new GscError(`segmentation model '${SEGMENTATION_MODEL_IDS[dataset]}' has no fixed input size in the manifest`, 'ENOMODEL')
  return [w, h]
}

function openSession(dataset: SegmentationDataset, opts: SegmentationOptions): Promise<ort.InferenceSession> {
  const id = SEGMENTATION_MODEL_IDS[dataset]
  const dir = resolve(opts.dir ?? defaultModelsDir())
  const provider = opts.executionProvider ?? 'cpu'
  const key = `${dir}|${provider}|${modelEntry(id, dir).sha256}`
  let p = sessions.get(key)
  if (!p) {
    const v = verifyModel(id, dir)
    if (!v.ok) return Promise.reject(new GscError(v.error ?? `segmentation model '${id}' failed verification`, 'EMODELHASH'))
    // One intra-op thread: on the shared 2-core station the graph ran faster with one than with two (median wall time
    // in 4 of 5 interleaved comparisons, CPU time in all 5; docs/bench/analyses.md, session options).
    p = ort.InferenceSession.create(v.path, analysisSessionOptions(provider, SEGMENTATION_INTRA_OP_THREADS)).catch((err) => {
      sessions.delete(key)
      throw new GscError(`cannot load the segmentation model '${id}' with the ${provider} provider: ${describeError(err)}`, 'ENOMODEL')
    })
    sessions.set(key, p)
  }
  return p
}

/**
 * The graph's argmax labels for a planar RGB tensor [3, H, W] in 0..1 at the model's input size: H x W class
 * indices, row-major. Exposed for parity checks against the PyTorch module.
 */
export async function runSegmentationModel(planar: Float32Array, opts: SegmentationOptions = {}): Promise<Uint8Array> {
  const dataset = opts.dataset ?? 'city'
  const [w, h] = segmentationInputSize(dataset, opts.dir)
  if (planar.length !== 3 * w * h) throw new GscError(`segmentation model input must hold ${3 * w * h} values (3x${h}x${w}); got ${planar.length}`)
  const session = await openSession(dataset, opts)
  let out: ort.InferenceSession.OnnxValueMapType
  try {
    out = await session.run({ image: new ort.Tensor('float32', planar, [1, 3, h, w]) })
  } catch (err) {
    throw new GscError(`segmentation model failed: ${describeError(err)}`, 'EMODEL')
  }
  const labels = Uint8Array.from(out.labels.data as Uint8Array)
  for (const t of Object.values(out)) t.dispose?.()
  return labels
}

/** The letterboxed model input for an image, and where the image sits in it. */
export async function letterboxSegmentationInput(img: RgbImage, inputWidth: number, inputHeight: number): Promise<{ planar: Float32Array; content: ContentBox }> {
  const scale = Math.min(inputWidth / img.width, inputHeight / img.height)
  const cw = Math.min(inputWidth, Math.max(1, Math.round(img.width * scale)))
  const ch = Math.min(inputHeight, Math.max(1, Math.round(img.height * scale)))
  const content = { x: Math.floor((inputWidth - cw) / 2), y: Math.floor((inputHeight - ch) / 2), width: cw, height: ch }
  const src = cw === img.width && ch === img.height ? img : await resizeImage(img, cw, ch, 'linear')
  const plane = inputWidth * inputHeight
  const planar = new Float32Array(3 * plane)
  for (let c = 0; c < 3; c++) planar.fill(PAD_RGB01[c], c * plane, (c + 1) * plane)
  for (let y = 0; y < ch; y++) {
    const row = (content.y + y) * inputWidth + content.x
    for (let x = 0; x < cw; x++) {
      const s = 3 * (y * cw + x)
      planar[row + x] = src.data[s] / 255
      planar[plane + row + x] = src.data[s + 1] / 255
      planar[2 * plane + row + x] = src.data[s + 2] / 255
    }
  }
  return { planar, content }
}

/** Nearest-neighbour copy of the content box of a model-size label map to width x height. */
export function labelsToImageSize(modelLabels: Uint8Array, inputWidth: number, content: ContentBox, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height)
  const xs = new Int32Array(width)
  for (let x = 0; x < width; x++) xs[x] = content.x + Math.min(content.width - 1, Math.floor(((x + 0.5) * content.width) / width))
  for (let y = 0; y < height; y++) {
    const sy = content.y + Math.min(content.height - 1, Math.floor(((y + 0.5) * content.height) / height))
    const src = sy * inputWidth
    const dst = y * width
    for (let x = 0; x < width; x++) out[dst + x] = modelLabels[src + xs[x]]
  }
  return out
}

/** Per-pixel class labels of an RGB image (at least 2x2), at the image's own size. */
export async function segmentImage(img: RgbImage, opts: SegmentationOptions = {}): Promise<SegmentationMap> {
  assertRgbImage(img)
  if (img.width < 2 || img.height < 2) throw new GscError(`segmentation needs an image of at least 2x2 pixels; got ${img.width}x${img.height}`)
  const dataset = opts.dataset ?? 'city'
  const [iw, ih] = segmentationInputSize(dataset, opts.dir)
  const { planar, content } = await letterboxSegmentationInput(img, iw, ih)
  const modelLabels = await runSegmentationModel(planar, { ...opts, dataset })
  return {
    dataset,
    classes: classNames(dataset),
    width: img.width,
    height: img.height,
    labels: labelsToImageSize(modelLabels, iw, content, img.width, img.height),
    inputWidth: iw,
    inputHeight: ih,
    content
  }
}

/** 1 where the map has class `classIndex`, else 0 (one mask per class). */
export function classMask(map: SegmentationMap, classIndex: number): Uint8Array {
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= map.classes.length)
    throw new GscError(`class ${classIndex} is not one of the ${map.classes.length} classes of the ${map.dataset} model`)
  const out = new Uint8Array(map.labels.length)
  for (let i = 0; i < out.length; i++) out[i] = map.labels[i] === classIndex ? 1 : 0
  return out
}

/** Fraction of the image's pixels per class, by class name (classes with no pixel left out). */
export function classFractions(map: SegmentationMap): Record<string, number> {
  const counts = new Float64Array(map.classes.length)
  for (const l of map.labels) counts[l]++
  const out: Record<string, number> = {}
  counts.forEach((c, i) => {
    if (c > 0) out[map.classes[i]] = c / map.labels.length
  })
  return out
}

/**
 * Agreement of a reconstruction's segmentation with the original's (the planner's V for segmentation): mIoU with
 * the original's labels as the reference, over every pixel of the image and every class present in either map.
 */
export function segmentationAgreement(original: SegmentationMap, reconstruction: SegmentationMap): MiouResult {
  if (original.dataset !== reconstruction.dataset) throw new GscError(`segmentations come from different models: ${original.dataset} and ${reconstruction.dataset}`)
  if (original.width !== reconstruction.width || original.height !== reconstruction.height)
    throw new GscError(`segmentations differ in size: ${original.width}x${original.height} and ${reconstruction.width}x${reconstruction.height}`)
  return meanIou(original.labels, reconstruction.labels, original.classes.length)
}

/**
 * mIoU of a segmentation against ground truth of the image's size given in the model's class indices (255 =
 * unlabelled, left out); e.g. coco128's semseg_masks through cocoPanopticToPascal for the 'pascal' model.
 */
export function segmentationMiou(map: SegmentationMap, groundTruth: Uint8Array): MiouResult {
  if (groundTruth.length !== map.labels.length) throw new GscError(`ground truth has ${groundTruth.length} pixels, the segmentation ${map.width}x${map.height}`)
  return meanIou(groundTruth, map.labels, map.classes.length)
}

/** A label map stored as an image (e.g. a single-channel PNG of class ids): the first channel, one byte per pixel. */
export async function readLabelMap(path: string): Promise<{ width: number; height: number; labels: Uint8Array }> {
  let decoded: { data: Buffer; info: OutputInfo }
  try {
    decoded = await sharp(path).raw().toBuffer({ resolveWithObject: true })
  } catch (err) {
    throw new GscError(`cannot read the label map ${path}: ${describeError(err)}`)
  }
  const { data, info } = decoded
  const labels = new Uint8Array(info.width * info.height)
  for (let i = 0; i < labels.length; i++) labels[i] = data[i * info.channels]
  return { width: info.width, height: info.height, labels }
}
