import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { runBench } from '../../src/core/bench/runBench'
import { assembleResults, writeResults } from '../../src/core/bench/results'
import { openDataset, readGroundTruth } from '../../src/core/bench/datasets'
import type { GscBenchCodec } from '../../src/core/bench/gscCodec'
import { BASELINES } from '../../src/core/baselines/codecs'
import { loadDetector, type Detector } from '../../src/core/analysis/detector'
import { renderSvg, niceTicks } from '../../src/core/bench/plots'
import { planImagesFromTable } from '../../src/core/planner/calibration'
import { plan } from '../../src/core/planner/planner'
import { gscCodecFingerprint } from '../../src/core/bench/gscCodec'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const COCO = sharedData('coco128')
const haveData = haveSharedData('bench harness tests', path.join(COCO, 'images/train2017'))

/**
 * The harness is exercised with a real codec in the GSC slot (JPEG XL at a fixed distance, whose size then
 * sets the baselines' budget), so these tests do not depend on the learned models being trained.
 * `gsc bench` itself always runs the real GSC codec.
 */
function jxlInGscSlot(): GscBenchCodec & { prepared: number } {
  const self = {
    prepared: 0,
    async prepare(img: Parameters<GscBenchCodec['prepare']>[0]) {
      self.prepared++
      return {
        prepareMs: 1,
        caption: 'test caption',
        captionSource: 'test',
        async pack(c: number) {
          const small = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } }).resize(Math.round(img.width / 4), Math.round(img.height / 4)).raw().toBuffer()
          const packet = await BASELINES.jxl.encode({ width: Math.round(img.width / 4), height: Math.round(img.height / 4), data: new Uint8Array(small) }, 12 / c)
          return { packet, quantStep: 1, fitsTarget: true, targetBits: packet.length * 8, channelIndices: [c], modelSet: 1, sections: { header: 0, caption: 0, latents: packet.length * 8, detections: 0, total: packet.length * 8 }, packMs: 1 }
        }
      }
    },
    async decode(packet: Uint8Array) {
      const small = await BASELINES.jxl.decode(packet)
      const data = await sharp(Buffer.from(small.data), { raw: { width: small.width, height: small.height, channels: 3 } }).resize(small.width * 4, small.height * 4, { fit: 'fill' }).raw().toBuffer()
      return { image: { width: small.width * 4, height: small.height * 4, data: new Uint8Array(data) }, decodeMs: 1, steps: 0 }
    }
  }
  return self
}

describe.skipIf(!haveData)('gsc bench harness on 2 real coco128 images', () => {
  let dir: string
  let detector: Detector | null = null
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gsc-bench-test-'))
    // a 2-image COCO/YOLO-layout copy, images shrunk to 256 px wide to keep the test short
    for (const id of ['000000000009', '000000000025']) {
      mkdirSync(path.join(dir, 'data/images/train2017'), { recursive: true })
      mkdirSync(path.join(dir, 'data/labels/train2017'), { recursive: true })
      await sharp(path.join(COCO, 'images/train2017', id + '.jpg')).resize(256, 192, { fit: 'fill' }).png().toFile(path.join(dir, 'data/images/train2017', id + '.png'))
      writeFileSync(path.join(dir, 'data/labels/train2017', id + '.txt'), readFileSync(path.join(COCO, 'labels/train2017', id + '.txt')))
    }
    try {
      detector = await loadDetector()
    } catch (e) {
      console.warn(`bench test runs without a detector: ${(e as Error).message}`)
    }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('finds images and YOLO ground truth', () => {
    const ds = openDataset(path.join(dir, 'data'))
    expect(ds.layout).toBe('coco-yolo')
    expect(ds.images.map((i) => i.id)).toEqual(['000000000009', '000000000025'])
    const gt = readGroundTruth(ds, ds.images[1], 256, 192)
    expect(gt.length).toBeGreaterThan(0)
    for (const g of gt) expect(g.box[2]).toBeGreaterThan(g.box[0])
  })

  it('measures, caches, resumes and writes results, report and plots', async () => {
    const out = path.join(dir, 'out')
    const gsc = jxlInGscSlot()
    const opts = { data: path.join(dir, 'data'), out, channels: [1, 4], baselines: ['webp' as const, 'hevc' as const], gsc, detector, modelFingerprint: 'test', baselineFingerprint: 'detector-a' }
    const run = await runBench(opts)
    expect(run.records).toHaveLength(4)
    expect(run.computed).toBe(4)
    for (const r of run.records) {
      expect(r.gsc.bits).toBe(r.gsc.bytes * 8)
      expect(r.gsc.psnr).toBeGreaterThan(10)
      expect(r.gsc.msssim).toBeGreaterThan(0)
      expect(r.gsc.msssim).toBeLessThanOrEqual(1)
      expect(r.gsc.ciede2000).toBeGreaterThan(0)
      expect(r.gsc.blockiness).toBeGreaterThan(0.5)
      const w = r.baselines.webp!
      expect(w.targetBytes).toBe(r.gsc.bytes)
      if (w.reached) expect(w.bytes).toBeLessThanOrEqual(r.gsc.bytes)
      if (detector) expect(r.gsc.agreement).not.toBeNull()
    }
    expect(gsc.prepared).toBe(2) // once per image, shared by both C

    // second run: everything from the cache; asking for one more baseline computes only that one
    const again = await runBench(opts)
    expect(again.cached).toBe(4)
    expect(again.computed).toBe(0)
    const more = await runBench({ ...opts, baselines: ['webp', 'hevc', 'jxl'] })
    expect(more.computed).toBe(4)
    expect(gsc.prepared).toBe(2)
    expect(more.records[0].baselines.webp).toEqual(run.records[0].baselines.webp)

    // retrained GSC models, same detector: GSC is measured again, baseline fits with an unchanged budget are reused
    const retrained = await runBench({ ...opts, baselines: ['webp', 'hevc', 'jxl'], modelFingerprint: 'test-retrained' })
    expect(retrained.computed).toBe(4)
    expect(retrained.baselinesReused).toBe(12)
    expect(gsc.prepared).toBe(4)
    expect(retrained.records.map((r) => r.baselines)).toEqual(more.records.map((r) => r.baselines))
    // another detector: nothing is reused
    const otherDetector = await runBench({ ...opts, baselines: ['webp'], modelFingerprint: 'test-retrained-2', baselineFingerprint: 'detector-b' })
    expect(otherDetector.baselinesReused).toBe(0)
    expect(otherDetector.records.every((r) => r.baselines.webp?.targetBytes === r.gsc.bytes)).toBe(true)

    const results = assembleResults({ command: 'test', runs: [more], channels: [1, 4], baselines: ['webp', 'hevc', 'jxl'], detector: 'test', haveDetector: detector !== null, limit: null, wallS: 1 })
    const s = results.summaries[0]
    expect(s.perC.map((c) => c.c)).toEqual([1, 4])
    expect(s.perC[0].gsc.n).toBe(2)
    const files = await writeResults(out, results)
    expect(files.some((f) => f.endsWith('report.md'))).toBe(true)
    const report = readFileSync(path.join(out, 'report.md'), 'utf8')
    expect(report).toContain('At every C, GSC beats the best baseline at equal bits on detection F1 and on MS-SSIM')
    expect(report).toMatch(/\| data \| 1 \|/)
    // the perceptual metrics: per-cell columns, their definitions, and the best baseline by the lowest ΔE00
    expect(report).toContain('| ΔE00 ↓ | blockiness ↓ |')
    expect(report).toMatch(/mean CIEDE2000 .* Lower is better\./)
    const webpDe = s.perC[0].baselines.find((b) => b.codec === 'webp')!.ciede2000
    if (s.perC[0].best.ciede2000 && webpDe !== null) expect(s.perC[0].best.ciede2000.value).toBeLessThanOrEqual(webpDe)
    expect(existsSync(path.join(out, 'data-ciede2000.svg')) && existsSync(path.join(out, 'data-blockiness.png'))).toBe(true)
    const png = await sharp(path.join(out, 'data-msssim.png')).metadata()
    expect(png.width).toBeGreaterThan(100)
    // the calibration table feeds the planner
    const imgs = planImagesFromTable(results.calibration, { mode: 'per-image' })
    if (detector) {
      expect(imgs).toHaveLength(2)
      const p = plan({ alpha: 1, beta: 0, images: imgs })
      expect(p.totals.imagesSent).toBe(2)
    }
  }, 300_000)
})

const KITTI = sharedData('kitti')
describe.skipIf(!haveSharedData('KITTI layout test', path.join(KITTI, 'label_2/000021.txt')))('KITTI layout', () => {
  it('maps KITTI classes to COCO ids (Cyclist = bicycle + person, DontCare ignored)', () => {
    const ds = openDataset(KITTI)
    expect(ds.layout).toBe('kitti')
    const img = ds.images.find((i) => i.id === '000021')!
    const gt = readGroundTruth(ds, img, 1242, 375)
    // 000021: 1 Cyclist, 6 Car, 1 Van, 2 DontCare -> 2 + 6 + 1 boxes
    expect(gt).toHaveLength(9)
    expect(gt.filter((g) => g.box[0] === 1056.16).map((g) => g.classId).sort()).toEqual([0, 1])
    expect(gt.filter((g) => g.classId === 2)).toHaveLength(7)
  })
})

describe('plots', () => {
  it('produces nice ticks and a well-formed SVG', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    const svg = renderSvg({ title: 'a <b>', xLabel: 'x', yLabel: 'y', series: [{ name: 'GSC', points: [{ x: 0.01, y: 0.5 }, { x: 0.02, y: 0.7, partial: true }] }] })
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('a &lt;b&gt;')
    expect(svg).toContain('<polyline')
  })
})

describe('bench cache key', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  const manifestDir = (sha: string, sampling: Record<string, number>) => {
    const d = mkdtempSync(path.join(tmpdir(), 'gsc-fp-'))
    dirs.push(d)
    const generator = { stage: 'generator', file: 'generator.onnx', sha256: sha.repeat(64), inputs: [], outputs: [], sampling }
    writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ formatVersion: 1, models: { generator } }))
    return d
  }

  it('changes with the model files and with how the generator is sampled, and only then', () => {
    const shipped = { recommendedSteps: 4, temperature: 0, holdBelowFrequency: 1 }
    const fp = gscCodecFingerprint({ modelsDir: manifestDir('a', shipped) })
    expect(gscCodecFingerprint({ modelsDir: manifestDir('a', { ...shipped }) })).toBe(fp)
    expect(gscCodecFingerprint({ modelsDir: manifestDir('b', shipped) })).not.toBe(fp)
    expect(gscCodecFingerprint({ modelsDir: manifestDir('a', { ...shipped, recommendedSteps: 1 }) })).not.toBe(fp)
    expect(gscCodecFingerprint({ modelsDir: manifestDir('a', { ...shipped, holdBelowFrequency: 0 }) })).not.toBe(fp)
    expect(gscCodecFingerprint({ modelsDir: manifestDir('a', { ...shipped, temperature: 1 }) })).not.toBe(fp)
    expect(gscCodecFingerprint({ modelsDir: manifestDir('a', shipped), steps: 2 })).not.toBe(fp) // gsc bench --steps 2
  })
})
