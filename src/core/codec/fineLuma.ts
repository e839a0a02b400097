// Set 28's luma plane (docs/bitstream.md 6.4, colourThumbnail.ts lumaFactor): the sender's luma seen through an 8-px
// Hann window at stride 4 (four samples per latent cell side), in the units of g_a's Y thumbnail, instead of the
// thumbnail itself. Why: at C = 4-16 the structure a person and MS-SSIM see lies between 1/16 and 1/4 scale, which
// the 1/16 thumbnail cannot hold and the learned channels carry at a far higher price (measured in
// docs/bench/latent-codec/ship-rule-set28.md). The wavelet coder spends on the fine bands only where the step allows,
// so at C = 1 the plane costs about what the thumbnail did. The decoder's networks still take the 1/16 thumbnail: the
// station computes it from this plane (coarseLumaThumbnail), then moves the picture's luma onto the plane itself.
import { luma, type RgbImage } from '../image/rgbImage'
import { addUpsampled, windowAverages, type ThumbnailNorm } from './consistentThumbnail'

const CELL = 16

/** The padded image's luma (BT.601, 0..1) through a (32 / factor)-px Hann window at stride 16 / factor, in g_a's units. */
export function fineLumaPlane(padded: RgbImage, factor: number, norm: ThumbnailNorm): Float64Array {
  const y = luma(padded)
  for (let i = 0; i < y.length; i++) y[i] /= 255
  const plane = windowAverages(y, padded.width, padded.height, CELL / factor)
  for (let i = 0; i < plane.length; i++) plane[i] = norm.scale[0] * plane[i] + norm.offset[0]
  return plane
}

/** The lh x lw Y thumbnail the networks take, from the fine plane: drawn at full size (bilinear) and seen through the
 *  thumbnail's own 32-px window. Units pass through (both steps keep a constant). */
export function coarseLumaThumbnail(fine: ArrayLike<number>, lh: number, lw: number, factor: number): Float64Array {
  const W = lw * CELL
  const H = lh * CELL
  const full = new Float64Array(W * H)
  addUpsampled(full, W, H, fine, CELL / factor)
  return windowAverages(full, W, H, CELL)
}

/** What the luma plane (factor x lh by factor x lw) adds to the networks' Y thumbnail (lh x lw) at 1/4 scale: the plane
 *  drawn at 4lh x 4lw (itself at factor 4, bilinear at 2) minus the thumbnail drawn there, the input of a decoder that
 *  takes it (set 29; training/latent/fine_luma_wire.py luma_detail). Zeros at factor 1. */
export function lumaDetail(fine: ArrayLike<number>, thumbnail: ArrayLike<number>, lh: number, lw: number, factor: number): Float32Array {
  const W = 4 * lw
  const H = 4 * lh
  if (factor === 1) return new Float32Array(W * H)
  const detail = new Float64Array(W * H)
  if (factor === 4) detail.set(fine)
  else addUpsampled(detail, W, H, fine, 4 / factor)
  addUpsampled(detail, W, H, Float64Array.from(thumbnail, (v) => -v), 4)
  return Float32Array.from(detail)
}
