// The Image view's scene analyses in the engine (analysisHandlers.ts) with the real ESPNetv2 and PyDNet sessions:
// maps of the image's size packed for display, agreement of a reconstruction with an identical original (exactly 1),
// answers kept by image hash, and one clear line when a model file is missing.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import type { Reconstruction } from '../../src/shared/api'
import { defaultModelsDir } from '../../src/core/modelAssets/manifest'
import { AnalysisDomain } from '../../src/core/service/analysisHandlers'
import { depthForDisplay } from '../../src/core/service/analysisDisplay'
import { DecodeCache, decodeKey } from '../../src/core/service/decodeCache'
import type { EngineContext } from '../../src/core/service/engineContext'
import { pngBuffer } from '../../src/core/service/images'
import type { RgbImage } from '../../src/core/image/rgbImage'

/** A street-like test scene: sky, a building block, road, with some texture so the models see structure. */
function scene(width: number, height: number, shift = 0): RgbImage {
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x)
      const t = ((x * 7 + y * 13 + shift) % 17) - 8
      const [r, g, b] = y < height * 0.35 ? [120, 170, 230] : y < height * 0.65 && x > width * 0.3 ? [110 + t, 95 + t, 90 + t] : [80 + t, 80 + t, 85 + t]
      data.set([r, g, b], i)
    }
  return { width, height, data }
}

async function engineWith(rec: RgbImage, original: RgbImage | null, modelsDir?: string) {
  const decodes = new DecodeCache()
  decodes.keep(decodeKey({ kind: 'reconstruction', packetId: 1 }, null), { rec: { packetId: 1, image: '', uncertainty: null } as unknown as Reconstruction, image: rec })
  const png = original ? await pngBuffer(original) : null
  const engine = {
    opts: { dbFile: ':memory:', frontDoor: 'serve', modelsDir },
    decodes,
    log: { get: async (id: number) => (id === 1 ? { sha256: 'f'.repeat(64) } : null) },
    ui: { getOriginal: () => (png ? { name: 'orig.png', bytes: png } : null), getSettings: () => ({ executionProvider: 'cpu' }) }
  } as unknown as EngineContext
  return new AnalysisDomain(engine, async () => {
    throw new Error('no decode in this test')
  })
}

const unpack = (m: { width: number; height: number; deflated: string }) => new Uint8Array(inflateSync(Buffer.from(m.deflated, 'base64')))

describe('scene analyses for the Image view', () => {
  const img = scene(256, 128)
  const tmp = mkdtempSync(join(tmpdir(), 'gsc-analysis-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  it('segments reconstruction and original at the image size; identical images agree exactly; answers are kept', async () => {
    const domain = await engineWith(img, { ...img, data: Uint8Array.from(img.data) })
    const seg = await domain.segmentation(1, 'city')
    expect(seg.reconstruction.width).toBe(256)
    expect(seg.reconstruction.height).toBe(128)
    const rec = unpack(seg.reconstruction)
    expect(rec.length).toBe(256 * 128)
    expect(Array.from(unpack(seg.original!))).toEqual(Array.from(rec))
    expect(seg.agreement).toEqual({ miou: 1, pixelAccuracy: 1 })
    const shareSum = seg.classes.reduce((s, c) => s + c.reconstructionShare, 0)
    expect(shareSum).toBeCloseTo(1, 6)
    for (const c of seg.classes) expect(c.iou).toBe(1)
    expect(await domain.segmentation(1, 'city')).toBe(seg)
    const pascal = await domain.segmentation(1, 'pascal')
    expect(pascal.modelName).toBe('ESPNetv2 (PASCAL VOC)')
    expect(pascal).not.toBe(seg)
  })

  it('depth maps on one display range; identical images give delta1 1 and AbsRel 0', async () => {
    const domain = await engineWith(img, { ...img, data: Uint8Array.from(img.data) })
    const d = await domain.depth(1)
    expect([d.reconstruction.width, d.reconstruction.height]).toEqual([320, 96])
    const bytes = unpack(d.reconstruction)
    expect(new Set(bytes).size).toBeGreaterThan(8)
    expect(d.agreement!.delta1).toBe(1)
    expect(d.agreement!.absRel).toBeCloseTo(0, 6)
    expect(Array.from(unpack(d.original!))).toEqual(Array.from(bytes))
    expect(await domain.depth(1)).toBe(d)
  })

  it('without an original: the reconstruction alone, no agreement, and a note saying why', async () => {
    const domain = await engineWith(scene(256, 128, 5), null)
    const seg = await domain.segmentation(1, 'pascal')
    expect(seg.original).toBeNull()
    expect(seg.agreement).toBeNull()
    expect(seg.note).toMatch(/no original attached/)
    for (const c of seg.classes) expect(c.originalShare).toBeNull()
  })

  it('a missing model file is one clear line naming the analysis and the file', async () => {
    copyFileSync(join(defaultModelsDir(), 'manifest.json'), join(tmp, 'manifest.json'))
    const domain = await engineWith(img, null, tmp)
    await expect(domain.segmentation(1, 'city')).rejects.toThrow(/^segmentation with ESPNetv2 \(Cityscapes\) could not run: model file missing: .*espnetv2_city_1024x512\.onnx$/)
    await expect(domain.depth(1)).rejects.toThrow(/^depth with mobile PyDNet \(KITTI, self-supervised\) could not run: model file missing: .*pydnet_mobile\.onnx$/)
  })

  it('depthForDisplay median-scales the reconstruction onto the original before mapping both to one range', () => {
    const orig = { width: 4, height: 1, sourceWidth: 4, sourceHeight: 1, inverseDepth: Float32Array.from([1, 2, 3, 4]) }
    const rec = { ...orig, inverseDepth: Float32Array.from([2, 4, 6, 8]) }
    const shown = depthForDisplay(rec, orig)
    expect(Array.from(shown.reconstruction)).toEqual(Array.from(shown.original!))
    expect(shown.original![0]).toBe(0)
    expect(shown.original![3]).toBe(255)
  })
})
