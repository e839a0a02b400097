// Image helpers for the interface: PNG data URLs, decoding attached originals.
import sharp from 'sharp'
import type { RgbImage } from '../image/rgbImage'

export function pngBuffer(img: RgbImage): Promise<Buffer> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 3 })
    .toBuffer()
}

export async function pngDataUrl(img: RgbImage): Promise<string> {
  return `data:image/png;base64,${(await pngBuffer(img)).toString('base64')}`
}

export async function decodeToRgb(bytes: Buffer, width?: number, height?: number): Promise<RgbImage> {
  let s = sharp(bytes).removeAlpha().toColourspace('srgb')
  if (width && height) s = s.resize(width, height, { fit: 'fill' })
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}
