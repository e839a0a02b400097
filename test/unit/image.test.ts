import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { cropImage, encodePng, fromPlanarFloat, padToMultiple, readImage, toPlanarFloat, writePng, type RgbImage } from '../../src/core/image/rgbImage'
import { GscError } from '../../src/core/util/errors'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const KODAK = sharedData('kodak')
const haveKodak = haveSharedData('Kodak pixel MD5 test', KODAK)
const tmp = mkdtempSync(path.join(tmpdir(), 'gsc-image-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function ramp(w: number, h: number): RgbImage {
  const data = new Uint8Array(3 * w * h)
  for (let i = 0; i < w * h; i++) {
    data[3 * i] = (i * 7) & 255
    data[3 * i + 1] = (i * 13) & 255
    data[3 * i + 2] = (i * 29) & 255
  }
  return { width: w, height: h, data }
}

describe('readImage', () => {
  it.skipIf(!haveKodak)('decodes Kodak PNGs to the published pixel MD5', async () => {
    const lines = readFileSync(path.join(KODAK, 'PIXEL_MD5'), 'utf8').trim().split('\n').slice(0, 3)
    for (const line of lines) {
      const [md5, file, size] = line.split(/\s+/)
      const img = await readImage(path.join(KODAK, file))
      expect(`${img.width}x${img.height}`).toBe(size)
      expect(createHash('md5').update(img.data).digest('hex')).toBe(md5)
    }
  })

  it('reads PNG, JPEG, WebP, TIFF, greyscale and RGBA as 8-bit RGB', async () => {
    const src = ramp(37, 23)
    const raw = sharp(Buffer.from(src.data), { raw: { width: 37, height: 23, channels: 3 } })
    const png = await readImage(await raw.clone().png().toBuffer())
    expect(png).toEqual({ width: 37, height: 23, data: src.data })
    const tiff = await readImage(await raw.clone().tiff({ compression: 'lzw' }).toBuffer())
    expect(Buffer.from(tiff.data).equals(Buffer.from(src.data))).toBe(true)
    const webp = await readImage(await raw.clone().webp({ lossless: true }).toBuffer())
    expect(Buffer.from(webp.data).equals(Buffer.from(src.data))).toBe(true)
    const jpeg = await readImage(await raw.clone().jpeg({ quality: 90 }).toBuffer())
    expect([jpeg.width, jpeg.height, jpeg.data.length]).toEqual([37, 23, 37 * 23 * 3])
    const grey = await readImage(await sharp(Buffer.alloc(20 * 10, 77), { raw: { width: 20, height: 10, channels: 1 } }).png().toBuffer())
    expect(grey.data.length).toBe(600)
    expect(grey.data.every((v) => v === 77)).toBe(true)
    const rgba = await readImage(await sharp(Buffer.alloc(4 * 5 * 5, 200), { raw: { width: 5, height: 5, channels: 4 } }).png().toBuffer())
    expect(rgba.data.length).toBe(75)
  })

  it('refuses images beyond the 16384 header cap and undecodable input with a GscError', async () => {
    const wide = await sharp({ create: { width: 16385, height: 2, channels: 3, background: '#000' } }).png().toBuffer()
    await expect(readImage(wide)).rejects.toThrow(/at most 16384x16384/)
    await expect(readImage(Buffer.from('not an image'))).rejects.toBeInstanceOf(GscError)
    await expect(readImage(path.join(tmp, 'missing.png'))).rejects.toBeInstanceOf(GscError)
  })
})

describe('padding and cropping', () => {
  it('pads odd sizes to multiples of 16 by edge replication and crops back exactly', () => {
    const img = ramp(37, 23)
    const p = padToMultiple(img, 16)
    expect([p.width, p.height]).toEqual([48, 32])
    // last column replicated to the right, last row replicated downwards
    const px = (im: RgbImage, x: number, y: number) => Array.from(im.data.subarray(3 * (y * im.width + x), 3 * (y * im.width + x) + 3))
    expect(px(p, 47, 5)).toEqual(px(img, 36, 5))
    expect(px(p, 10, 31)).toEqual(px(img, 10, 22))
    expect(px(p, 47, 31)).toEqual(px(img, 36, 22))
    expect(cropImage(p, 37, 23)).toEqual(img)
    expect(padToMultiple(ramp(32, 16))).toEqual(ramp(32, 16))
    expect(() => cropImage(img, 40, 23)).toThrow(GscError)
  })
  it('planar float conversion round-trips', () => {
    const img = ramp(9, 7)
    expect(fromPlanarFloat(toPlanarFloat(img), 9, 7)).toEqual(img)
  })
  it('writes a PNG that reads back identically', async () => {
    const img = ramp(19, 11)
    const file = path.join(tmp, 'x.png')
    await writePng(img, file)
    expect(await readImage(file)).toEqual(img)
    expect((await encodePng(img)).subarray(1, 4).toString()).toBe('PNG')
  })
})
