// Set 22's station-side step (src/core/codec/consistentThumbnail.ts): the decoded picture's thumbnail-window averages
// moved onto the thumbnails the packet carried.
import { describe, expect, it } from 'vitest'
import { addUpsampled, makeThumbnailConsistent, type ThumbnailNorm } from '../../src/core/codec/consistentThumbnail'
import { coarseLumaThumbnail, fineLumaPlane, lumaDetail } from '../../src/core/codec/fineLuma'

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

/** Plane p's averages through a 2s-px Hann window at stride s (edges replicated), brute force, in g_a's units; s = 16
 *  is training/latent/latent_codec.py's hann_average, what g_a's thumbnail channels would be for this picture. */
function windowsOf(rgb: Float32Array, p: number, s: number): Float32Array {
  const k = Array.from({ length: 2 * s }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / (2 * s)) ** 2)
  const ksum = k.reduce((a, b) => a + b, 0) ** 2
  const M = [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]
  const [ch, cw] = [H / s, W / s]
  const out = new Float32Array(ch * cw)
  for (let Y = 0; Y < ch; Y++)
    for (let X = 0; X < cw; X++) {
      let sum = 0
      for (let j = 0; j < 2 * s; j++)
        for (let i = 0; i < 2 * s; i++) {
          const y = Math.min(H - 1, Math.max(0, s * Y - s / 2 + j))
          const x = Math.min(W - 1, Math.max(0, s * X - s / 2 + i))
          const v = M[p][0] * rgb[y * W + x] + M[p][1] * rgb[n + y * W + x] + M[p][2] * rgb[2 * n + y * W + x] + (p > 0 ? 0.5 : 0)
          sum += k[i] * k[j] * v
        }
      out[Y * cw + X] = norm.scale[p] * (sum / ksum) + norm.offset[p]
    }
  return out
}

/** Y, Cb, Cr as the wire carries them with this luma factor: Y through a (32 / f)-px window at stride 16 / f. */
function thumbnailsOf(rgb: Float32Array, lumaFactor = 1): Float32Array {
  const planes = [windowsOf(rgb, 0, 16 / lumaFactor), windowsOf(rgb, 1, 16), windowsOf(rgb, 2, 16)]
  const out = new Float32Array(planes.reduce((s, p) => s + p.length, 0))
  planes.reduce((at, p) => (out.set(p, at), at + p.length), 0)
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

  it("set 28: moves the picture's luma onto a plane at four times the thumbnail's resolution", () => {
    const target = thumbnailsOf(picture(2), 4)
    const rgb = picture(5)
    const out = Float32Array.from(rgb)
    const luma = 16 * lh * lw
    const before = rms(thumbnailsOf(rgb, 4).subarray(0, luma), target.subarray(0, luma))
    makeThumbnailConsistent(out, lh, lw, target, norm, 4)
    expect(rms(thumbnailsOf(out, 4).subarray(0, luma), target.subarray(0, luma))).toBeLessThan(0.2 * before)
    expect(rms(thumbnailsOf(out, 4).subarray(luma), target.subarray(luma))).toBeLessThan(0.2 * before)
    const same = Float32Array.from(rgb)
    makeThumbnailConsistent(same, lh, lw, thumbnailsOf(rgb, 4), norm, 4)
    expect(rms(same, rgb)).toBeLessThan(1e-5)
  })

  it('refuses sizes that do not match in one line', () => {
    expect(() => makeThumbnailConsistent(new Float32Array(10), lh, lw, new Float32Array(3 * lh * lw), norm)).toThrow(/^consistent thumbnail: 10 pixels and 72 thumbnail values for a 4x6 latent \(luma factor 1\)$/)
    expect(() => makeThumbnailConsistent(new Float32Array(3 * n), lh, lw, new Float32Array(3 * lh * lw), norm, 4)).toThrow(/^consistent thumbnail: 18432 pixels and 72 thumbnail values for a 4x6 latent \(luma factor 4\)$/)
  })
})

describe("set 28's fine luma plane (fineLuma.ts)", () => {
  it("is the luma through an 8-px Hann window at stride 4, and gives back g_a's 1/16 thumbnail within half a grey level", () => {
    const rgb = picture(3)
    const padded = { width: W, height: H, data: new Uint8Array(3 * n) }
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) padded.data[3 * i + c] = Math.round(255 * rgb[c * n + i])
    const quantised = Float32Array.from({ length: 3 * n }, (_, i) => padded.data[3 * (i % n) + Math.floor(i / n)] / 255)
    const fine = fineLumaPlane(padded, 4, norm)
    expect(rms(Float32Array.from(fine), windowsOf(quantised, 0, 4))).toBeLessThan(1e-3)
    // the networks' Y thumbnail from the plane, against g_a's own (here 1000 units = the luma's whole range, so 2 units
    // are half a grey level; the wire's colour steps are 60-1000 units)
    expect(rms(Float32Array.from(coarseLumaThumbnail(fine, lh, lw, 4)), windowsOf(quantised, 0, 16))).toBeLessThan(2)
  })
})

describe("set 29's luma detail (fineLuma.ts lumaDetail, its decoder's input)", () => {
  it('is zero where the plane is the thumbnail (factor 1) or only repeats it, and the plane minus the drawn thumbnail otherwise', () => {
    const thumb = Float64Array.from({ length: lh * lw }, (_, i) => 300 * Math.sin(i) + 50)
    expect(Array.from(lumaDetail(thumb, thumb, lh, lw, 1)).every((v) => v === 0)).toBe(true)
    expect(lumaDetail(thumb, thumb, lh, lw, 1)).toHaveLength(16 * lh * lw)
    // a 4x plane that is the thumbnail drawn bilinear at 1/4 scale adds nothing to it
    const drawn = new Float64Array(16 * lh * lw)
    addUpsampled(drawn, 4 * lw, 4 * lh, thumb, 4)
    expect(Math.max(...Array.from(lumaDetail(drawn, thumb, lh, lw, 4), Math.abs))).toBeLessThan(1e-3)
    // one sample raised by 100 on that plane: the detail is 100 there and 0 elsewhere
    const bumped = Float64Array.from(drawn)
    bumped[4 * lw * 5 + 7] += 100
    const d = lumaDetail(bumped, thumb, lh, lw, 4)
    expect(d[4 * lw * 5 + 7]).toBeCloseTo(100, 3)
    expect(Array.from(d).filter((v) => Math.abs(v) > 1e-3)).toHaveLength(1)
    // a 2x plane is drawn at 1/4 scale first
    const half = new Float64Array(4 * lh * lw)
    addUpsampled(half, 2 * lw, 2 * lh, thumb, 2)
    const d2 = lumaDetail(half, thumb, lh, lw, 2)
    expect(d2).toHaveLength(16 * lh * lw)
    expect(Math.max(...Array.from(d2, Math.abs))).toBeLessThan(0.5 * Math.max(...Array.from(thumb, Math.abs)))
  })
})
