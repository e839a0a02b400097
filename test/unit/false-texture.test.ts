// The bench's false-texture metric (src/core/analysis/falseTexture.ts): detail drawn where the original is flattest.
import { describe, expect, it } from 'vitest'
import { falseTexture } from '../../src/core/analysis/falseTexture'
import { img, lcg } from '../fixtures/imageFixtures'

const W = 96
const H = 64
/** A photograph-like test picture: a smooth sky (top half) over fine texture (bottom half). */
function skyOverTexture(seed = 3) {
  const r = lcg(seed)
  const grain = Float64Array.from({ length: W * H }, () => r())
  return img(W, H, (x, y, c) => (y < H / 2 ? 120 + y + 10 * c + 2 * grain[y * W + x] : 100 + 80 * grain[y * W + x] + 5 * c))
}

describe('false texture', () => {
  it('is 1 for the original itself, near 0 for a flat sky, and high where noise is drawn into the sky', () => {
    const original = skyOverTexture()
    expect(falseTexture(original, original)).toBeCloseTo(1, 12)
    const flatSky = img(W, H, (x, y, c) => (y < H / 2 ? 120 + y + 10 * c : original.data[3 * (y * W + x) + c]))
    expect(falseTexture(original, flatSky)).toBeLessThan(0.2)
    const r = lcg(9)
    const grainedSky = img(W, H, (x, y, c) => original.data[3 * (y * W + x) + c] + (y < H / 2 ? 12 * (r() - 0.5) : 0))
    expect(falseTexture(original, grainedSky)).toBeGreaterThan(5)
    // the same noise in the textured half, where the original has detail of its own, is not counted
    const grainedGround = img(W, H, (x, y, c) => original.data[3 * (y * W + x) + c] + (y >= H / 2 ? 12 * (r() - 0.5) : 0))
    expect(falseTexture(original, grainedGround)).toBeCloseTo(1, 12)
  })

  it('refuses pictures of different sizes in one line, and judges a tiny picture over all its pixels', () => {
    expect(() => falseTexture(skyOverTexture(), img(8, 8, () => 0))).toThrow(/^false texture: original 96x64 and reconstruction 8x8 differ$/)
    const r = lcg(4)
    const tiny = img(10, 10, () => 255 * r())
    expect(falseTexture(tiny, tiny)).toBeCloseTo(1, 12)
    expect(falseTexture(img(2, 2, () => 0), img(2, 2, () => 9))).toBe(1)
  })
})
