// ESPNetv2 segmentation through the engine (real onnxruntime sessions on resources/models/espnetv2_*.onnx): the
// graph's labels against PyTorch's on a fixed input per model, and the analysis on a real KITTI frame.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  classFractions,
  classMask,
  readLabelMap,
  runSegmentationModel,
  segmentationAgreement,
  segmentationInputSize,
  segmentImage
} from '../../src/core/analysis/segmentation'
import type { SegmentationDataset } from '../../src/core/analysis/segmentationClasses'
import { GscError } from '../../src/core/util/errors'
import { readImage, resizeImage, type RgbImage } from '../../src/core/image/rgbImage'

const ROOT = resolve(import.meta.dirname, '..', '..')
const DATA = resolve(ROOT, '..', 'shared', 'data')
const REFERENCE = join(ROOT, 'training', 'segmentation', 'reference')
const KITTI_FRAME = join(DATA, 'kitti', 'image_2', '000003.png')
const haveData = existsSync(KITTI_FRAME) && existsSync(join(DATA, 'kodak', 'kodim23.png'))
if (!haveData) console.warn(`segmentation.test: real-image cases SKIPPED — ${DATA} is missing (shared data not beside the checkout)`)

/** Centre crop to at most w x h, centre pad with the ImageNet mean colour: crop_pad of export_espnetv2.py. */
function cropPad(img: RgbImage, w: number, h: number): Float32Array {
  const cw = Math.min(w, img.width)
  const ch = Math.min(h, img.height)
  const left = Math.floor((img.width - cw) / 2)
  const top = Math.floor((img.height - ch) / 2)
  const x0 = Math.floor((w - cw) / 2)
  const y0 = Math.floor((h - ch) / 2)
  const pad = [124, 116, 104]
  const plane = w * h
  const out = new Float32Array(3 * plane)
  for (let c = 0; c < 3; c++) out.fill(pad[c] / 255, c * plane, (c + 1) * plane)
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++)
      for (let c = 0; c < 3; c++) out[c * plane + (y0 + y) * w + x0 + x] = img.data[3 * ((top + y) * img.width + left + x) + c] / 255
  return out
}

const PARITY: [SegmentationDataset, string, string][] = [
  ['city', KITTI_FRAME, 'city_crop_000003_labels.png'],
  ['pascal', join(DATA, 'kodak', 'kodim23.png'), 'pascal_crop_kodim23_labels.png']
]

describe('segmentation model parity', () => {
  for (const [dataset, source, reference] of PARITY)
    it.skipIf(!haveData)(`${dataset}: argmax labels agree with PyTorch on at least 99.5 % of pixels`, async () => {
      const [w, h] = segmentationInputSize(dataset)
      const labels = await runSegmentationModel(cropPad(await readImage(source), w, h), { dataset })
      // PyTorch labels (training/segmentation/espnetv2.py, float32, F.adaptive_avg_pool2d) of the same crop/pad,
      // written by `/usr/bin/python3 training/segmentation/export_espnetv2.py`
      const ref = await readLabelMap(join(REFERENCE, reference))
      expect(ref.width * ref.height).toBe(labels.length)
      let equal = 0
      for (let i = 0; i < labels.length; i++) if (labels[i] === ref.labels[i]) equal++
      expect(equal / labels.length).toBeGreaterThanOrEqual(0.995)
      // and the reference is not trivial: several classes cover real parts of the frame
      expect(new Set(ref.labels).size).toBeGreaterThanOrEqual(dataset === 'city' ? 6 : 2)
    })

  it('refuses an input of the wrong size', async () => {
    await expect(runSegmentationModel(new Float32Array(12))).rejects.toThrow(/must hold .* values/)
  })
})

describe('segmentImage on a KITTI frame', () => {
  it.skipIf(!haveData)('labels every pixel, finds road, cars and vegetation, and agrees fully with itself', async () => {
    const img = await readImage(KITTI_FRAME)
    const map = await segmentImage(img)
    expect(map.labels).toHaveLength(img.width * img.height)
    expect(map.content.width).toBe(1024) // KITTI's ~3.3:1 frame fills the input's width
    const frac = classFractions(map)
    expect(frac.road).toBeGreaterThan(0.1)
    expect(frac.car).toBeGreaterThan(0.005)
    expect(frac.vegetation ?? 0).toBeGreaterThan(0.02)
    const road = classMask(map, 0)
    expect(road.reduce((s, v) => s + v, 0) / road.length).toBeCloseTo(frac.road, 12)
    // the road is below the horizon: the bottom row has more road than the top row
    const rowRoad = (y: number) => road.subarray(y * img.width, (y + 1) * img.width).reduce((s, v) => s + v, 0)
    expect(rowRoad(img.height - 1)).toBeGreaterThan(rowRoad(0))
    expect(segmentationAgreement(map, map).miou).toBe(1)
    expect(() => classMask(map, 20)).toThrow(GscError)
  })

  it.skipIf(!haveData)('agreement falls when the frame is degraded, and more for a stronger degradation', async () => {
    const img = await readImage(KITTI_FRAME)
    const degrade = async (f: number) => resizeImage(await resizeImage(img, Math.round(img.width / f), Math.round(img.height / f), 'linear'), img.width, img.height, 'linear')
    const original = await segmentImage(img)
    const mild = segmentationAgreement(original, await segmentImage(await degrade(2)))
    const strong = segmentationAgreement(original, await segmentImage(await degrade(16)))
    expect(mild.miou).toBeLessThan(1)
    expect(strong.miou).toBeLessThan(mild.miou)
    expect(strong.miou).toBeGreaterThan(0)
  })

  it('refuses maps of different models or sizes', async () => {
    const a = { dataset: 'city' as const, classes: [], width: 2, height: 2, labels: new Uint8Array(4), inputWidth: 2, inputHeight: 2, content: { x: 0, y: 0, width: 2, height: 2 } }
    expect(() => segmentationAgreement(a, { ...a, dataset: 'pascal' })).toThrow(/different models/)
    expect(() => segmentationAgreement(a, { ...a, width: 4, labels: new Uint8Array(8) })).toThrow(/differ in size/)
  })
})
