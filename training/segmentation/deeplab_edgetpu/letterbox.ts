// The EdgeTPU-DeepLab input for an image: letterboxed into 513x513 (or another size) like the engine's ESPNetv2 input (aspect kept,
// centred, sharp's linear kernel when the size changes), bars of pixel value 128, which the tflite input quantisation
// (scale 1/128, zero point 128) reads as 0.0. Gives the uint8 pixels (HWC, what the tflite graph takes) and the
// planar float input of the converted ONNX graphs (pixel / 255, 'image' [1,3,513,513]).
import { resizeImage, type RgbImage } from '../../../src/core/image/rgbImage'
import type { ContentBox } from '../../../src/core/analysis/segmentation'

export const DEEPLAB_INPUT_SIZE = 513
const PAD_PIXEL = 128

export interface DeeplabInput {
  /** height x width x 3 uint8, row-major RGB. */
  pixels: Uint8Array
  /** 3 x height x width float32, pixel / 255. */
  planar: Float32Array
  content: ContentBox
}

/** Letterboxed into width x height (default the tflite graph's 513x513; other sizes for graphs converted with --size). */
export async function deeplabInput(img: RgbImage, width = DEEPLAB_INPUT_SIZE, height = width): Promise<DeeplabInput> {
  const scale = Math.min(width / img.width, height / img.height)
  const cw = Math.min(width, Math.max(1, Math.round(img.width * scale)))
  const ch = Math.min(height, Math.max(1, Math.round(img.height * scale)))
  const content = { x: Math.floor((width - cw) / 2), y: Math.floor((height - ch) / 2), width: cw, height: ch }
  const src = cw === img.width && ch === img.height ? img : await resizeImage(img, cw, ch, 'linear')
  const pixels = new Uint8Array(width * height * 3).fill(PAD_PIXEL)
  for (let y = 0; y < ch; y++) pixels.set(src.data.subarray(3 * y * cw, 3 * (y + 1) * cw), 3 * ((content.y + y) * width + content.x))
  return { pixels, planar: planarFromPixels(pixels), content }
}

/** The ONNX graphs' input from HWC uint8 pixels: planar float32, pixel / 255. */
export function planarFromPixels(pixels: Uint8Array): Float32Array {
  if (pixels.length % 3) throw new Error(`HWC RGB pixels must be a multiple of 3 bytes, got ${pixels.length}`)
  const plane = pixels.length / 3
  const planar = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) planar[c * plane + i] = pixels[3 * i + c] / 255
  return planar
}
