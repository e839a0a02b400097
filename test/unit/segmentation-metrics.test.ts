// mIoU, class mappings and the letterbox geometry of the segmentation analysis (pure functions, no model).
import { describe, expect, it } from 'vitest'
import { labelsToImageSize, letterboxSegmentationInput } from '../../src/core/analysis/segmentation'
import { IGNORE_LABEL, classColours, cocoPanopticToPascal, toSharedClasses } from '../../src/core/analysis/segmentationClasses'
import { ConfusionMatrix, meanIou } from '../../src/core/analysis/segmentationMetrics'
import { GscError } from '../../src/core/util/errors'

const u8 = (a: number[]) => Uint8Array.from(a)

describe('meanIou', () => {
  it('is TP / (TP + FP + FN) per class, averaged over the classes present', () => {
    // class 0: TP 1, FN 1 -> 1/2; class 1: TP 2, FP 1 -> 2/3; class 2 absent from both -> left out
    const r = meanIou(u8([0, 0, 1, 1]), u8([0, 1, 1, 1]), 3)
    expect(r.perClass[0]).toBeCloseTo(1 / 2, 12)
    expect(r.perClass[1]).toBeCloseTo(2 / 3, 12)
    expect(r.perClass[2]).toBeNaN()
    expect(r.miou).toBeCloseTo(7 / 12, 12)
    expect(r.pixelAccuracy).toBeCloseTo(3 / 4, 12)
    expect(r.pixels).toBe(4)
  })

  it('gives 1 for identical maps and 0 when no label agrees', () => {
    const a = u8([0, 1, 2, 2, 1, 0])
    expect(meanIou(a, a, 3).miou).toBe(1)
    expect(meanIou(u8([0, 0, 1, 1]), u8([1, 1, 0, 0]), 2).miou).toBe(0)
  })

  it('counts a class only the prediction has as IoU 0', () => {
    // reference all 0; prediction has one pixel of class 1: class 0 IoU 3/4, class 1 IoU 0 -> 3/8
    expect(meanIou(u8([0, 0, 0, 0]), u8([0, 0, 0, 1]), 2).miou).toBeCloseTo(3 / 8, 12)
  })

  it('skips reference pixels with the ignore label', () => {
    const r = meanIou(u8([0, IGNORE_LABEL, 1, IGNORE_LABEL]), u8([0, 1, 1, 0]), 2)
    expect(r.miou).toBe(1)
    expect(r.pixels).toBe(2)
    expect(meanIou(u8([IGNORE_LABEL]), u8([0]), 2).miou).toBeNaN()
  })

  it('accumulates one matrix over images (not a mean of per-image mIoU)', () => {
    const m = new ConfusionMatrix(2)
    m.add(u8([0, 0, 0, 0]), u8([0, 0, 0, 0])) // per image mIoU 1
    m.add(u8([1, 1]), u8([0, 0])) // per image mIoU 0
    // pooled: class 0 TP 4, FP 2 -> 4/6; class 1 TP 0, FN 2 -> 0; mIoU 1/3 (a mean of per-image values would be 1/2)
    expect(m.result().miou).toBeCloseTo(1 / 3, 12)
  })

  it('refuses maps of different sizes and labels outside the classes', () => {
    expect(() => meanIou(u8([0, 1]), u8([0]), 2)).toThrow(GscError)
    expect(() => meanIou(u8([0, 2]), u8([0, 1]), 2)).toThrow(/label 2 is outside the 2 classes/)
    expect(() => meanIou(u8([0, 1]), u8([0, 3]), 2)).toThrow(/label 3/)
    expect(() => new ConfusionMatrix(0)).toThrow(GscError)
  })
})

describe('class mappings', () => {
  it('maps COCO panoptic ids to PASCAL VOC classes, other labelled categories to background, unlabelled to ignore', () => {
    // person 1 -> 15, car 3 -> 7, truck 8 -> background, couch 63 -> sofa 18, tv 72 -> 20, sky 187 -> background, 0 -> ignore
    expect([...cocoPanopticToPascal(u8([1, 3, 8, 63, 72, 187, 0]))]).toEqual([15, 7, 0, 18, 20, 0, IGNORE_LABEL])
  })

  it('maps both models onto the shared classes (rider counts as person, truck as other)', () => {
    // Cityscapes: road 0, person 11, rider 12, car 13, truck 14, bus 15, train 16, motorcycle 17, bicycle 18
    expect([...toSharedClasses(u8([0, 11, 12, 13, 14, 15, 16, 17, 18, IGNORE_LABEL]), 'city')]).toEqual([0, 1, 1, 3, 0, 5, 6, 4, 2, IGNORE_LABEL])
    // PASCAL: background 0, bicycle 2, bird 3, bus 6, car 7, motorbike 14, person 15, train 19
    expect([...toSharedClasses(u8([0, 2, 3, 6, 7, 14, 15, 19]), 'pascal')]).toEqual([0, 2, 0, 5, 3, 4, 1, 6])
  })

  it('colours classes with the benchmarks\' own palettes', () => {
    const voc = classColours('pascal')
    expect(voc[0]).toEqual([0, 0, 0])
    expect(voc[1]).toEqual([128, 0, 0])
    expect(voc[15]).toEqual([192, 128, 128]) // person
    expect(classColours('city')[0]).toEqual([128, 64, 128]) // road
    expect(classColours('city')).toHaveLength(20)
  })
})

describe('letterbox geometry', () => {
  it('centres the image with mean-colour bars and maps labels back by nearest neighbour', async () => {
    const img = { width: 4, height: 2, data: new Uint8Array(24).fill(255) }
    const { planar, content } = await letterboxSegmentationInput(img, 4, 4)
    expect(content).toEqual({ x: 0, y: 1, width: 4, height: 2 })
    expect(planar[0]).toBeCloseTo(0.485, 6) // bar (row 0), R plane
    expect(planar[16 + 4]).toBe(1) // G plane, row 1: image
    expect(planar[2 * 16 + 12]).toBeCloseTo(0.406, 6) // B plane, row 3: bar
    // model labels: row r holds value 10 r + column; the image's rows are model rows 1 and 2
    const model = Uint8Array.from({ length: 16 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4))
    expect([...labelsToImageSize(model, 4, content, 4, 2)]).toEqual([10, 11, 12, 13, 20, 21, 22, 23])
    // twice the size: each model pixel covers 2x2 image pixels
    expect([...labelsToImageSize(model, 4, content, 8, 4)].slice(0, 8)).toEqual([10, 10, 11, 11, 12, 12, 13, 13])
  })
})
