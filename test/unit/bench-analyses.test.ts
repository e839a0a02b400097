// The scene analyses in `gsc bench` (issue 20): which run where, how they aggregate, that the cache key of a run
// without them is the key it had before they existed, and 1-frame runs on KITTI (depth vs LiDAR, Cityscapes
// segmentation agreement) and coco128 (PASCAL mIoU vs semseg_masks) with a lossless codec in the GSC slot, whose
// reconstruction must agree fully with the original.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { NO_ANALYSES, miouFromCounts, planAnalyses } from '../../src/core/bench/analysisMetrics'
import { analysisMeans } from '../../src/core/bench/summarize'
import { fingerprintOf, runBench } from '../../src/core/bench/runBench'
import { assembleResults, writeResults } from '../../src/core/bench/results'
import { openDataset } from '../../src/core/bench/datasets'
import { BENCH_METHOD_VERSION, AGREEMENT_SCORE, MAP_SCORE } from '../../src/core/bench/measurement'
import { SCALES, SCALES_TRIED } from '../../src/core/baselines/fitToSize'
import { IMAGE_METRICS } from '../../src/core/bench/imageMetrics'
import type { GscBenchCodec } from '../../src/core/bench/gscCodec'
import { encodePng, readImage } from '../../src/core/image/rgbImage'
import { planImagesFromTable } from '../../src/core/planner/calibration'
import { haveSharedData, sharedData } from '../fixtures/sharedData'
import { parseAnalyses } from '../../src/cli/commands/bench'

/** A "codec" that sends the PNG: its reconstruction is the original, so every agreement must be perfect. */
function losslessInGscSlot(): GscBenchCodec {
  return {
    async prepare(img) {
      return {
        prepareMs: 1,
        caption: '',
        captionSource: 'test',
        async pack(c: number) {
          const packet = new Uint8Array(await encodePng(img))
          return { packet, quantStep: 1, fitsTarget: true, targetBits: packet.length * 8, channelIndices: [c], modelSet: 1, sections: { header: 0, caption: 0, latents: packet.length * 8, detections: 0, total: packet.length * 8 }, packMs: 1 }
        }
      }
    },
    async decode(packet: Uint8Array) {
      return { image: await readImage(packet), decodeMs: 1, steps: 0 }
    }
  }
}

describe('gsc bench --analyses', () => {
  it('takes auto, none or a list of analyses, and refuses anything else', () => {
    expect(parseAnalyses('auto')).toBe('auto')
    expect(parseAnalyses('none')).toBeUndefined()
    expect(parseAnalyses('depth, segmentation')).toEqual(['depth', 'segmentation'])
    expect(() => parseAnalyses('detection')).toThrow(/--analyses must be auto, none or a list of segmentation, depth/)
    expect(() => parseAnalyses(',')).toThrow(/--analyses/)
  })
})

describe('analysis aggregation', () => {
  it('takes mIoU against ground truth from one confusion matrix over the dataset, not a mean of per-image mIoU', () => {
    // image 1: class 0 IoU 1/2, class 1 IoU 0/1; image 2: class 0 IoU 3/3, class 1 empty.
    const a = { intersection: [1, 0], union: [2, 1] }
    const b = { intersection: [3, 0], union: [3, 0] }
    // summed: class 0 = 4/5, class 1 = 0/1 -> 0.4 (a mean of per-image mIoU would give (0.25 + 1) / 2)
    expect(miouFromCounts([a, b])).toBeCloseTo(0.4, 12)
    expect(miouFromCounts([])).toBeNull()
    const means = analysisMeans([
      { segMiou: 0.25, segCounts: a, segAgreement: 0.5, depthDelta1: 0.8 },
      { segMiou: 1, segCounts: b, segAgreement: 0.7 }
    ])
    expect(means.segMiou).toBeCloseTo(0.4, 12)
    expect(means.segAgreement).toBeCloseTo(0.6, 12)
    // one image without depth: no mean on a subset
    expect(means.depthDelta1).toBeNull()
    expect(analysisMeans([]).segAgreement).toBeNull()
    // an image without a ground-truth mask (coco128 has 100 masks for 128 images) leaves the mIoU to the others,
    // but a codec that did not measure an image gets none
    const partial = analysisMeans([{ segCounts: a, segMiou: 0.25, segAgreement: 0.5 }, { segCounts: b, segMiou: 1, segAgreement: 0.7 }, { segAgreement: 0.9 }])
    expect([partial.segMiou, partial.segAgreement]).toEqual([expect.closeTo(0.4, 12), expect.closeTo(0.7, 12)])
    expect(analysisMeans([{ segCounts: a, segMiou: 0.25 }, undefined]).segMiou).toBeNull()
    expect(analysisMeans([{ segAgreement: 0.5 }]).segMiou).toBeNull()
  })

  it('keeps the cache key of a run without analyses exactly as it was before analyses existed', () => {
    const before = createHash('sha256')
      .update(JSON.stringify({ v: BENCH_METHOD_VERSION, modelFingerprint: 'm', AGREEMENT_SCORE, MAP_SCORE, SCALES, SCALES_TRIED, metrics: IMAGE_METRICS.map((m) => m.key) }))
      .digest('hex')
      .slice(0, 16)
    expect(fingerprintOf('m')).toBe(before)
    expect(fingerprintOf('m', NO_ANALYSES)).toBe(before)
    expect(fingerprintOf('m', { segmentation: 'pascal', segmentationGroundTruth: null, depthLidarDir: null })).not.toBe(before)
    expect(fingerprintOf('m', { segmentation: 'pascal', segmentationGroundTruth: null, depthLidarDir: null })).not.toBe(
      fingerprintOf('m', { segmentation: 'city', segmentationGroundTruth: null, depthLidarDir: null })
    )
  })
})

const KITTI = sharedData('kitti')
const COCO = sharedData('coco128')
const haveKitti = haveSharedData('bench analyses on KITTI', path.join(KITTI, 'depth_velodyne/000000.png'))
const haveCoco = haveSharedData('bench analyses on coco128', path.join(COCO, 'semseg_masks/train2017/000000000030.png'))

describe.skipIf(!haveKitti || !haveCoco)('which analyses run on which dataset', () => {
  it('auto: Cityscapes segmentation and LiDAR depth on KITTI, PASCAL with ground truth on coco128, PASCAL alone on plain folders', () => {
    const kitti = planAnalyses(openDataset(KITTI), 'auto')
    expect(kitti).toEqual({ segmentation: 'city', segmentationGroundTruth: null, depthLidarDir: path.join(KITTI, 'depth_velodyne') })
    expect(planAnalyses(openDataset(COCO), 'auto')).toEqual({ segmentation: 'pascal', segmentationGroundTruth: 'coco-semseg', depthLidarDir: null })
    const plain = planAnalyses(openDataset(path.join(KITTI, 'image_2')), 'auto')
    expect(plain).toEqual({ segmentation: 'pascal', segmentationGroundTruth: null, depthLidarDir: null })
    expect(planAnalyses(openDataset(KITTI), ['segmentation']).depthLidarDir).toBeNull()
    expect(() => planAnalyses(openDataset(COCO), ['depth'])).toThrow(/needs LiDAR depth/)
  })
})

describe.skipIf(!haveKitti || !haveCoco)('bench analyses, 1-frame runs', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gsc-bench-analyses-'))
    for (const sub of ['image_2', 'label_2', 'depth_velodyne']) mkdirSync(path.join(dir, 'kitti', sub), { recursive: true })
    copyFileSync(path.join(KITTI, 'image_2/000000.png'), path.join(dir, 'kitti/image_2/000000.png'))
    copyFileSync(path.join(KITTI, 'label_2/000000.txt'), path.join(dir, 'kitti/label_2/000000.txt'))
    copyFileSync(path.join(KITTI, 'depth_velodyne/000000.png'), path.join(dir, 'kitti/depth_velodyne/000000.png'))
    const id = '000000000030' // PASCAL mIoU about 0.53 against its mask: neither 0 nor 1
    for (const sub of ['images/train2017', 'labels/train2017', 'semseg_masks/train2017']) mkdirSync(path.join(dir, 'coco', sub), { recursive: true })
    copyFileSync(path.join(COCO, `images/train2017/${id}.jpg`), path.join(dir, `coco/images/train2017/${id}.jpg`))
    writeFileSync(path.join(dir, `coco/labels/train2017/${id}.txt`), readFileSync(path.join(COCO, `labels/train2017/${id}.txt`)))
    copyFileSync(path.join(COCO, `semseg_masks/train2017/${id}.png`), path.join(dir, `coco/semseg_masks/train2017/${id}.png`))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('KITTI: depth against LiDAR and agreement with the original; a lossless reconstruction agrees fully', async () => {
    const out = path.join(dir, 'out-kitti')
    const run = await runBench({ data: path.join(dir, 'kitti'), out, channels: [4], baselines: ['webp'], gsc: losslessInGscSlot(), detector: null, modelFingerprint: 'test', analyses: 'auto' })
    const orig = run.originals[0].analysis!
    // the model's own score on frame 000000 (docs/results/depth/kitti-originals.json: delta1 0.826)
    expect(orig.depthDelta1).toBeGreaterThan(0.78)
    expect(orig.depthDelta1).toBeLessThan(0.87)
    expect(orig.depthAbsRel).toBeGreaterThan(0)
    const g = run.records[0].gsc.analysis!
    expect(g.segAgreement).toBe(1)
    expect(g.depthAgreeDelta1).toBe(1)
    expect(g.depthAgreeAbsRel).toBeLessThan(1e-6)
    expect(g.depthDelta1).toBeCloseTo(orig.depthDelta1!, 12)
    const w = run.records[0].baselines.webp!
    expect(w.reached).toBe(true)
    const wa = w.metrics!.analysis!
    for (const k of ['segAgreement', 'depthAgreeDelta1', 'depthDelta1'] as const) {
      expect(wa[k]).toBeGreaterThan(0)
      expect(wa[k]).toBeLessThanOrEqual(1)
    }
    expect(run.analyses?.segmentation).toBe('city')

    const results = assembleResults({ command: 'test', runs: [run], channels: [4], baselines: ['webp'], detector: 'none', haveDetector: false, limit: null, wallS: 1 })
    const s = results.summaries[0]
    expect(s.perC[0].gsc.segAgreement).toBe(1)
    expect(s.perC[0].best.depthDelta1?.codec).toBe('webp')
    expect(s.originalAnalysis?.depthDelta1).toBeCloseTo(orig.depthDelta1!, 12)
    await writeResults(out, results)
    const report = readFileSync(path.join(out, 'report.md'), 'utf8')
    expect(report).toContain('### Scene analyses: GSC vs the best baseline at equal bytes')
    expect(report).toMatch(/depth δ1 against \*\*KITTI LiDAR\*\*.*640×192.*median scaling/)
    expect(report).toMatch(/segmentation agreement: mIoU .*\*\*original's\*\* labels.*1024×512/)
    expect(report).not.toContain('seg. mIoU vs GT') // no segmentation ground truth on KITTI
    expect(existsSync(path.join(out, 'kitti-depth-delta1.svg')) && existsSync(path.join(out, 'kitti-seg-agreement.png'))).toBe(true)
    expect(existsSync(path.join(out, 'kitti-seg-miou.svg'))).toBe(false)
    expect(report).toContain('](kitti-depth-delta1.svg)')
    // the planner can take depth or segmentation as V from this table
    const depthV = planImagesFromTable(results.calibration, { mode: 'per-image' }, { depth: 1 })
    expect(depthV[0].candidates[0].disagreement).toBe(0)
    // cached: the same run again measures nothing; without analyses it is another cache key
    expect((await runBench({ data: path.join(dir, 'kitti'), out, channels: [4], baselines: ['webp'], gsc: losslessInGscSlot(), detector: null, modelFingerprint: 'test', analyses: 'auto' })).cached).toBe(1)
  }, 300_000)

  it('coco128: PASCAL mIoU against semseg_masks equals the original\'s for a lossless reconstruction', async () => {
    const out = path.join(dir, 'out-coco')
    const run = await runBench({ data: path.join(dir, 'coco'), out, channels: [2], baselines: [], gsc: losslessInGscSlot(), detector: null, modelFingerprint: 'test', analyses: 'auto' })
    const orig = run.originals[0].analysis!
    expect(orig.segMiou).toBeGreaterThan(0.3)
    expect(orig.segMiou).toBeLessThan(0.8)
    expect(orig.depthDelta1).toBeUndefined()
    const g = run.records[0].gsc.analysis!
    expect(g.segAgreement).toBe(1)
    expect(g.segMiou).toBe(orig.segMiou)
    expect(g.segCounts!.intersection).toHaveLength(21)
    const results = assembleResults({ command: 'test', runs: [run], channels: [2], baselines: [], detector: 'none', haveDetector: false, limit: null, wallS: 1 })
    expect(results.summaries[0].perC[0].gsc.segMiou).toBeCloseTo(orig.segMiou!, 12)
  }, 300_000)
})
