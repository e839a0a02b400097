// RGB images in memory (8-bit, interleaved) and their conversion to/from files via sharp.
import sharp from 'sharp'
import { writeFile } from 'node:fs/promises'
import { GscError } from '../util/errors'

export interface RgbImage {
  width: number
  height: number
  /** RGB interleaved, 3 * width * height octets, row-major. */
  data: Uint8Array
}

/** The GSC header stores width/height in 14+ bits; the codec refuses anything larger. */
export const MAX_IMAGE_SIDE = 16384

export function createImage(width: number, height: number, fill = 0): RgbImage {
  assertSize(width, height)
  const data = new Uint8Array(3 * width * height)
  if (fill) data.fill(fill)
  return { width, height, data }
}

export function assertSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new GscError(`image size must be positive integers, got ${width}x${height}`)
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE)
    throw new GscError(`image is ${width}x${height}; the GSC header allows at most ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE}`)
}

export function assertRgbImage(img: RgbImage): void {
  assertSize(img.width, img.height)
  if (img.data.length !== 3 * img.width * img.height)
    throw new GscError(`image buffer holds ${img.data.length} octets, expected ${3 * img.width * img.height} for ${img.width}x${img.height} RGB`)
}

/**
 * Reads PNG, JPEG, WebP, TIFF (anything sharp decodes) into 8-bit RGB.
 * Alpha is dropped, greyscale is expanded, EXIF orientation is applied.
 * The size is checked against the header caps before decoding the pixels.
 */
export async function readImage(input: string | Buffer | Uint8Array): Promise<RgbImage> {
  const src = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const what = typeof input === 'string' ? input : 'image buffer'
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>
  try {
    meta = await sharp(src, { limitInputPixels: false }).metadata()
  } catch (e) {
    throw new GscError(`cannot read ${what}: ${(e as Error).message.split('\n')[0]}`)
  }
  if (meta.width && meta.height) {
    const swap = (meta.orientation ?? 1) >= 5
    const w = swap ? meta.height : meta.width
    const h = swap ? meta.width : meta.height
    assertSize(w, h)
  }
  try {
    const { data, info } = await sharp(src, { limitInputPixels: false })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels, expected 3`)
    assertSize(info.width, info.height)
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
  } catch (e) {
    if (e instanceof GscError) throw e
    throw new GscError(`cannot decode ${what}: ${(e as Error).message.split('\n')[0]}`)
  }
}

function rawInput(img: RgbImage) {
  assertRgbImage(img)
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 }
  })
}

export async function encodePng(img: RgbImage): Promise<Buffer> {
  return rawInput(img).png({ compressionLevel: 6 }).toBuffer()
}

export async function writePng(img: RgbImage, path: string): Promise<void> {
  await writeFile(path, await encodePng(img))
}

/** Greyscale (one value per pixel) to a viewable PNG. */
export async function encodeGreyPng(values: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(values.buffer, values.byteOffset, values.byteLength), { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer()
}

/** Resizes with sharp (Lanczos3 by default, 'cubic' for bicubic, 'nearest', ...). */
export async function resizeImage(img: RgbImage, width: number, height: number, kernel: 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3' = 'lanczos3'): Promise<RgbImage> {
  assertSize(width, height)
  const data = await rawInput(img).resize(width, height, { fit: 'fill', kernel }).raw().toBuffer()
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

/** Smallest multiple of m that is >= n. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m
}

/** Pads right/bottom to multiples of `multiple` by replicating the last column/row (no new edges for the codec to learn). */
export function padToMultiple(img: RgbImage, multiple = 16): RgbImage {
  const W = roundUp(img.width, multiple)
  const H = roundUp(img.height, multiple)
  if (W === img.width && H === img.height) return img
  const out = new Uint8Array(3 * W * H)
  const rowIn = 3 * img.width
  for (let y = 0; y < H; y++) {
    const sy = Math.min(y, img.height - 1)
    const dst = 3 * W * y
    out.set(img.data.subarray(sy * rowIn, sy * rowIn + rowIn), dst)
    const lr = img.data[sy * rowIn + rowIn - 3]
    const lg = img.data[sy * rowIn + rowIn - 2]
    const lb = img.data[sy * rowIn + rowIn - 1]
    for (let x = img.width; x < W; x++) {
      out[dst + 3 * x] = lr
      out[dst + 3 * x + 1] = lg
      out[dst + 3 * x + 2] = lb
    }
  }
  return { width: W, height: H, data: out }
}

/** The top-left width x height region (undoes padToMultiple). */
export function cropImage(img: RgbImage, width: number, height: number, left = 0, top = 0): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height)
    throw new GscError(`crop ${width}x${height}+${left}+${top} lies outside a ${img.width}x${img.height} image`)
  if (left === 0 && top === 0 && width === img.width && height === img.height) return img
  const out = new Uint8Array(3 * width * height)
  for (let y = 0; y < height; y++) {
    const src = 3 * ((top + y) * img.width + left)
    out.set(img.data.subarray(src, src + 3 * width), 3 * width * y)
  }
  return { width, height, data: out }
}

/** BT.601 luma in 0..255 as floats (the plane SSIM and channel selection look at). */
export function luma(img: RgbImage): Float64Array {
  const n = img.width * img.height
  const out = new Float64Array(n)
  const d = img.data
  for (let i = 0; i < n; i++) out[i] = 0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2]
  return out
}

/**
 * Planar float tensor [3, H, W] in 0..1 (what the ONNX codec models take), from interleaved RGB.
 */
export function toPlanarFloat(img: RgbImage): Float32Array {
  const n = img.width * img.height
  const out = new Float32Array(3 * n)
  const d = img.data
  for (let i = 0; i < n; i++) {
    out[i] = d[3 * i] / 255
    out[n + i] = d[3 * i + 1] / 255
    out[2 * n + i] = d[3 * i + 2] / 255
  }
  return out
}

/** Inverse of toPlanarFloat: clamps to 0..1 and rounds to the nearest 8-bit level. */
export function fromPlanarFloat(planar: Float32Array | Float64Array, width: number, height: number): RgbImage {
  const n = width * height
  if (planar.length < 3 * n) throw new GscError(`planar tensor has ${planar.length} values, need ${3 * n}`)
  const out = new Uint8Array(3 * n)
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const v = planar[c * n + i]
      out[3 * i + c] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0
    }
  }
  return { width, height, data: out }
}
