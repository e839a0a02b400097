// Mobile PyDNet through the engine (real onnxruntime session on resources/models/pydnet_mobile.onnx): the raw output
// matches the numpy tflite interpreter's reference on a synthetic pattern (committed by
// training/depth/export_pydnet.py), depth maps agree with themselves, and on a KITTI original the map scores against
// the LiDAR depth as docs/results/depth/README.md reports.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEPTH_INPUT_HEIGHT, DEPTH_INPUT_WIDTH, DEPTH_OUTPUT_HEIGHT, DEPTH_OUTPUT_WIDTH, depthAgreement, depthMap, depthMapMetrics, runDepthModel } from '../../src/core/analysis/depth'
import { readLidarDepthPng } from '../../src/core/analysis/depthLidar'
import { GscError } from '../../src/core/util/errors'
import { readImage, toPlanarFloat, type RgbImage } from '../../src/core/image/rgbImage'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const REFERENCE = resolve(import.meta.dirname, '..', '..', 'training', 'depth', 'parity', 'pattern_640x192_reference.f32')
const KITTI = sharedData('kitti')
const haveKitti = haveSharedData('depth model: KITTI cases', join(KITTI, 'image_2', '000000.png'), join(KITTI, 'depth_velodyne', '000000.png'))
// Frame 000000 in docs/results/depth/kitti-originals.json (training/depth/kitti_depth_eval.ts): delta1 0.8261, AbsRel 0.1260.
const DELTA1_000000 = 0.8261
const ABSREL_000000 = 0.126

/** The synthetic 640x192 image of training/depth/export_pydnet.py pattern_rgb(), integer for integer. */
function pattern(): RgbImage {
  const w = DEPTH_INPUT_WIDTH
  const h = DEPTH_INPUT_HEIGHT
  const data = new Uint8Array(3 * w * h)
  let s = 0
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const p = Math.floor(i / 3)
    const x = p % w
    const y = Math.floor(p / w)
    data[i] = (Math.floor((y * 160) / (h - 1)) + Math.floor((x * 64) / (w - 1)) + 40 * (i % 3) + (s >>> 27)) & 255
  }
  return { width: w, height: h, data }
}

describe('depth model', () => {
  it('matches the tflite reference within 1e-3 relative on the committed pattern', async () => {
    const buf = readFileSync(REFERENCE)
    const ref = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
    expect(ref.length).toBe(DEPTH_OUTPUT_WIDTH * DEPTH_OUTPUT_HEIGHT)
    const out = await runDepthModel(toPlanarFloat(pattern()))
    let worst = 0
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(out[i] - ref[i]) / Math.abs(ref[i]))
    expect(worst).toBeLessThan(1e-3)
  })

  it('gives a positive relative inverse depth map that agrees perfectly with itself and less with another image', async () => {
    const img = pattern()
    const a = await depthMap(img)
    expect([a.width, a.height, a.sourceWidth, a.sourceHeight]).toEqual([320, 96, 640, 192])
    expect(a.inverseDepth.every((v) => v > 0)).toBe(true)
    const self = depthAgreement(a, a)
    expect(self.delta1).toBe(1)
    expect(self.absRel).toBeLessThan(1e-6)
    const flipped: RgbImage = { ...img, data: img.data.map((v) => 255 - v) }
    const other = depthAgreement(a, await depthMap(flipped))
    expect(other.delta1).toBeLessThan(1)
    expect(other.absRel).toBeGreaterThan(1e-3)
  })

  it('refuses a wrongly sized input tensor and too small images with a GscError', async () => {
    await expect(runDepthModel(new Float32Array(10))).rejects.toBeInstanceOf(GscError)
    await expect(depthMap({ width: 1, height: 5, data: new Uint8Array(15) })).rejects.toBeInstanceOf(GscError)
  })

  it.skipIf(!haveKitti)('scores KITTI 000000 against its LiDAR depth as the report states', async () => {
    const img = await readImage(join(KITTI, 'image_2', '000000.png'))
    const lidar = await readLidarDepthPng(join(KITTI, 'depth_velodyne', '000000.png'))
    const m = depthMapMetrics(await depthMap(img), lidar.depth)
    expect(m.delta1).toBeCloseTo(DELTA1_000000, 2)
    expect(m.absRel).toBeCloseTo(ABSREL_000000, 2)
  })
})
