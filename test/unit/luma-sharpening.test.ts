// Set 32's station step (src/core/codec/lumaSharpening.ts): an unsharp mask on the luma, added to R, G and B alike.
import { describe, expect, it } from 'vitest'
import { sharpenLuma } from '../../src/core/codec/lumaSharpening'

const W = 48
const H = 32
const n = W * H
/** Planar RGB with a vertical edge at x = 24: dark reddish on the left, light bluish on the right. */
function edgePicture(): Float32Array {
  const rgb = new Float32Array(3 * n)
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x
      const t = 1 / (1 + Math.exp(-(x - 23.5) / 1.5)) // a soft edge, as the decoder draws them
      rgb[i] = 0.3 + 0.3 * t
      rgb[n + i] = 0.2 + 0.5 * t
      rgb[2 * n + i] = 0.1 + 0.7 * t
    }
  return rgb
}
const luma = (rgb: Float32Array, i: number) => 0.299 * rgb[i] + 0.587 * rgb[n + i] + 0.114 * rgb[2 * n + i]

describe('luma sharpening (set 32)', () => {
  it('steepens an edge where it stands, with the same change on R, G and B', () => {
    const before = edgePicture()
    const after = Float32Array.from(before)
    sharpenLuma(after, W, H, { sigma: 1.5, amount: 1 })
    const row = 16 * W
    const slope = (p: Float32Array) => luma(p, row + 24) - luma(p, row + 23)
    expect(slope(after)).toBeGreaterThan(1.1 * slope(before))
    // the edge stays where it was: the luma is still symmetric about x = 23.5 and at its midpoint there
    const mid = (luma(before, row + 23) + luma(before, row + 24)) / 2
    expect((luma(after, row + 23) + luma(after, row + 24)) / 2).toBeCloseTo(mid, 3)
    for (let x = 0; x < W; x++) {
      const i = row + x
      expect(after[i] - before[i]).toBeCloseTo(after[n + i] - before[n + i], 6)
      expect(after[i] - before[i]).toBeCloseTo(after[2 * n + i] - before[2 * n + i], 6)
    }
    // far from the edge nothing changes
    expect(after[row + 2]).toBeCloseTo(before[row + 2], 5)
    expect(after[row + W - 3]).toBeCloseTo(before[row + W - 3], 5)
  })

  it('leaves a flat picture and amount 0 alone, and keeps the mean', () => {
    const flat = new Float32Array(3 * n).fill(0.4)
    sharpenLuma(flat, W, H, { sigma: 1.5, amount: 1 })
    expect(Math.max(...flat.map((v) => Math.abs(v - 0.4)))).toBeLessThan(1e-6)
    const pic = edgePicture()
    const kept = Float32Array.from(pic)
    sharpenLuma(kept, W, H, { sigma: 1.5, amount: 0 })
    expect(Array.from(kept)).toEqual(Array.from(pic))
    sharpenLuma(kept, W, H, { sigma: 1.5, amount: 1 })
    const mean = (p: Float32Array) => p.reduce((s, v) => s + v, 0) / p.length
    expect(mean(kept)).toBeCloseTo(mean(pic), 3)
  })

  it('refuses a picture of the wrong size in one line', () => {
    expect(() => sharpenLuma(new Float32Array(10), W, H, { sigma: 1.5, amount: 1 })).toThrow(/^luma sharpening: 10 values for a 48x32 picture$/)
  })
})
