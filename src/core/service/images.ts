// Image helpers for the interface: PNG data URLs, PSNR, a WebP baseline at the packet's size.
import sharp from 'sharp'
import type { RgbImage } from '../util/image'

export async function pngDataUrl(img: RgbImage): Promise<string> {
  const buf = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 3 })
    .toBuffer()
  return `data:image/png;base64,${buf.toString('base64')}`
}

export async function decodeToRgb(bytes: Buffer, width?: number, height?: number): Promise<RgbImage> {
  let s = sharp(bytes).removeAlpha().toColourspace('srgb')
  if (width && height) s = s.resize(width, height, { fit: 'fill' })
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

export function psnr(a: RgbImage, b: RgbImage): number {
  if (a.width !== b.width || a.height !== b.height) return NaN
  let sum = 0
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i]
    sum += d * d
  }
  const mse = sum / a.data.length
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse)
}

/**
 * The best WebP that fits in `bytes` octets: at <0.01 bpp even quality 1 does not fit at full size,
 * so the image is shrunk until it does and scaled back up for display (what a naive sender could do).
 */
export async function webpBaseline(original: RgbImage, bytes: number): Promise<{ image: RgbImage; bits: number; scale: number } | null> {
  const raw = sharp(Buffer.from(original.data), { raw: { width: original.width, height: original.height, channels: 3 } })
  for (const scale of [1, 0.5, 0.25, 0.125, 0.0625, 0.03125]) {
    const w = Math.max(8, Math.round(original.width * scale))
    const h = Math.max(8, Math.round(original.height * scale))
    const small = await raw.clone().resize(w, h, { fit: 'fill' }).raw().toBuffer()
    for (const quality of [50, 20, 5, 1]) {
      const webp = await sharp(small, { raw: { width: w, height: h, channels: 3 } }).webp({ quality, effort: 4 }).toBuffer()
      if (webp.length <= bytes) {
        const back = await sharp(webp).removeAlpha().resize(original.width, original.height, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer()
        return { image: { width: original.width, height: original.height, data: new Uint8Array(back) }, bits: webp.length * 8, scale }
      }
    }
  }
  return null
}
