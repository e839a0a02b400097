// Set 22's station-side step (src/core/codec/consistentThumbnail.ts): the decoded picture's thumbnail-window averages
// moved onto the thumbnails the packet carried.
import { describe, expect, it } from 'vitest'
import { makeThumbnailConsistent, type ThumbnailNorm } from '../../src/core/codec/consistentThumbnail'

const lh = 4
const lw = 6
const H = 16 * lh
const W = 16 * lw
const n = W * H
const norm: ThumbnailNorm = { scale: [1000, 2000, 2200], offset: [-480, -1000, -1150], planes: [0, 1, 2] }

/** Smooth planar RGB in 0..1. */
function picture(seed: number): Float32Array {
  const rgb = new Float32Array(3 * n)
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb[c * n + y * W + x] = 0.5 + 0.3 * Math.sin(x / (30 + 3 * c) + seed) * Math.cos(y / (20 + seed) + c)
  return rgb
}

/** The window averages of training/latent/latent_codec.py (hann_average: 32-px Hann, stride 16, edges replicated),
 *  brute force, in g_a's units: what g_a's thumbnail channels would be for this picture. */
function thumbnailsOf(rgb: Float32Array): Float32Array {
  const k = Array.from({ length: 32 }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / 32) ** 2)
  const ksum = k.reduce((a, b) => a + b, 0) ** 2
  const M = [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]
  const out = new Float32Array(3 * lh * lw)
  for (let p = 0; p < 3; p++)
    for (let Y = 0; Y < lh; Y++)
      for (let X = 0; X < lw; X++) {
        let s = 0
        for (let j = 0; j < 32; j++)
          for (let i = 0; i < 32; i++) {
            const y = Math.min(H - 1, Math.max(0, 16 * Y - 8 + j))
            const x = Math.min(W - 1, Math.max(0, 16 * X - 8 + i))
            const v = M[p][0] * rgb[y * W + x] + M[p][1] * rgb[n + y * W + x] + M[p][2] * rgb[2 * n + y * W + x] + (p > 0 ? 0.5 : 0)
            s += k[i] * k[j] * v
          }
        out[p * lh * lw + Y * lw + X] = norm.scale[p] * (s / ksum) + norm.offset[p]
      }
  return out
}

const rms = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length)

describe("set 22's consistent thumbnail (the station's last step)", () => {
  it('leaves a picture whose averages already are the thumbnails as it is', () => {
    const rgb = picture(1)
    const out = Float32Array.from(rgb)
    makeThumbnailConsistent(out, lh, lw, thumbnailsOf(rgb), norm)
    expect(rms(out, rgb)).toBeLessThan(1e-5)
  })

  it("moves a picture's averages onto the sent thumbnails, and only the listed planes'", () => {
    const target = thumbnailsOf(picture(2))
    const rgb = picture(5)
    const before = rms(thumbnailsOf(rgb), target)
    const out = Float32Array.from(rgb)
    makeThumbnailConsistent(out, lh, lw, target, norm)
    expect(rms(thumbnailsOf(out), target)).toBeLessThan(0.2 * before)
    const chroma = Float32Array.from(rgb)
    makeThumbnailConsistent(chroma, lh, lw, target, { ...norm, planes: [1, 2] })
    const m = lh * lw
    expect(rms(thumbnailsOf(chroma).subarray(0, m), thumbnailsOf(rgb).subarray(0, m))).toBeLessThan(1e-3)
    expect(rms(thumbnailsOf(chroma).subarray(m), target.subarray(m))).toBeLessThan(0.2 * before)
  })

  it('refuses sizes that do not match in one line', () => {
    expect(() => makeThumbnailConsistent(new Float32Array(10), lh, lw, new Float32Array(3 * lh * lw), norm)).toThrow(/^consistent thumbnail: 10 pixels and 72 thumbnail values for a 4x6 latent$/)
  })
})
