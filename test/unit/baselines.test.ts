import { describe, expect, it } from 'vitest'
import { BASELINES, BASELINE_IDS, parseBaselineList } from '../../src/core/baselines/codecs'
import { fitToSize } from '../../src/core/baselines/fitToSize'
import { runTool } from '../../src/core/baselines/tools'
import { readImage, resizeImage } from '../../src/core/image/rgbImage'
import { psnr } from '../../src/core/analysis/metrics'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const KODAK = sharedData('kodak', 'kodim23.png')
const haveData = haveSharedData('baselines tests', KODAK)

describe.skipIf(!haveData)('baseline codecs at a byte budget (real image: Kodak kodim23 at 384x256)', () => {
  const target = 700
  for (const id of BASELINE_IDS) {
    it(`${id} lands at or below ${target} bytes and decodes to the original size`, async () => {
      const full = await readImage(KODAK)
      const img = await resizeImage(full, 384, 256)
      const r = await fitToSize(BASELINES[id], img, target)
      expect(r.reached).toBe(true)
      expect(r.bytes).toBeLessThanOrEqual(target)
      expect(r.bytes).toBeGreaterThan(target * 0.5)
      expect(r.image!.width).toBe(384)
      expect(r.image!.height).toBe(256)
      // a real picture of the scene, not noise or a flat field
      expect(psnr(img, r.image!)).toBeGreaterThan(16)
      // the reported bytes are the file that was decoded, at the coded (downscaled) size
      expect(r.encoded!.length).toBe(r.bytes)
      const coded = await BASELINES[id].decode(r.encoded!)
      expect([coded.width, coded.height]).toEqual([r.codedWidth, r.codedHeight])
    }, 60_000)
  }

  it('reports a size it cannot reach instead of dropping it', async () => {
    const img = await resizeImage(await readImage(KODAK), 384, 256)
    const r = await fitToSize(BASELINES.hevc, img, 60)
    expect(r.reached).toBe(false)
    expect(r.image).toBeNull()
    expect(r.smallestBytes).toBeGreaterThan(60)
    expect(r.bytes).toBe(r.smallestBytes)
  })
})

describe('baseline plumbing', () => {
  it('names the missing binary and its Debian package', async () => {
    await expect(runTool('gsc-no-such-codec-binary', [])).rejects.toThrow(/not installed/)
  })
  it('parses baseline lists', () => {
    expect(parseBaselineList('all')).toEqual(BASELINE_IDS)
    expect(parseBaselineList('jxl,webp')).toEqual(['jxl', 'webp'])
    expect(() => parseBaselineList('png')).toThrow(/unknown baseline 'png'/)
  })
})
