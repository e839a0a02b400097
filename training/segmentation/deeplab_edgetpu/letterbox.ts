// The EdgeTPU-DeepLab input for an image: letterboxed into 513x513 like the engine's ESPNetv2 input (aspect kept,
// centred, sharp's linear kernel when the size changes), bars of pixel value 128, which the tflite input quantisation
// (scale 1/128, zero point 128) reads as 0.0. Gives the uint8 pixels (HWC, what the tflite graph takes) and the
// planar float input of the converted ONNX graphs (pixel / 255, 'image' [1,3,513,513]).
import { resizeImage, type RgbImage } from '../../../src/core/image/rgbImage'
import type { ContentBox } from '../../../src/core/analysis/segmentation'

export const DEEPLAB_INPUT_SIZE = 513
const PAD_PIXEL = 128

export interface DeeplabInput {
  /** 513 x 513 x 3 uint8, row-major RGB. */
  pixels: Uint8Array
  /** 3 x 513 x 513 float32, pixel / 255. */
  planar: Float32Array
  content: ContentBox
}

export async function deeplabInput(img: RgbImage, size = DEEPLAB_INPUT_SIZE): Promise<DeeplabInput> {
  const scale = Math.min(size / img.width, size / img.height)
  const cw = Math.min(size, Math.max(1, Math.round(img.width * scale)))
  const ch = Math.min(size, Math.max(1, Math.round(img.height * scale)))
  const content = { x: Math.floor((size - cw) / 2), y: Math.floor((size - ch) / 2), width: cw, height: ch }
  const src = cw === img.width && ch === img.height ? img : await resizeImage(img, cw, ch, 'linear')
  const pixels = new Uint8Array(size * size * 3).fill(PAD_PIXEL)
  for (let y = 0; y < ch; y++) pixels.set(src.data.subarray(3 * y * cw, 3 * (y + 1) * cw), 3 * ((content.y + y) * size + content.x))
  return { pixels, planar: planarFromPixels(pixels, size), content }
}

/** The ONNX graphs' input from HWC uint8 pixels: planar float32, pixel / 255. */
export function planarFromPixels(pixels: Uint8Array, size = DEEPLAB_INPUT_SIZE): Float32Array {
  const plane = size * size
  if (pixels.length !== 3 * plane) throw new Error(`expected ${3 * plane} pixel bytes (${size}x${size}x3), got ${pixels.length}`)
  const planar = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) planar[c * plane + i] = pixels[3 * i + c] / 255
  return planar
}
