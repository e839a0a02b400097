// Sets 30 and 31's texture synthesis (src/core/codec/textureSynthesis.ts): grain only where the decoded picture shows texture,
// finer than the luma plane, repeatable from the seed, at the strength the sender fitted against the original.
import { describe, expect, it } from 'vitest'
import { fitTextureStrength, gaussianBlur, grainPowerOf, synthesizeTexture, textureAmplitude } from '../../src/core/codec/textureSynthesis'
import { luma, type RgbImage } from '../../src/core/image/rgbImage'

const W = 96
const H = 64

/** Left half flat grey, right half a fine-grained pattern (texture the grain should follow). */
function halfTextured(seed = 1): RgbImage {
  let s = seed
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const data = new Uint8Array(3 * W * H)
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const v = x < W / 2 ? 128 : 128 + 60 * Math.sin(x * 1.3) * Math.cos(y * 0.9) + 40 * (r() - 0.5)
      for (let c = 0; c < 3; c++) data[3 * (y * W + x) + c] = Math.round(v + (c - 1) * 10)
    }
  return { width: W, height: H, data }
}

function blurred(img: RgbImage, sigma: number): RgbImage {
  const data = new Uint8Array(img.data.length)
  for (let c = 0; c < 3; c++) {
    const plane = Float64Array.from({ length: W * H }, (_, i) => img.data[3 * i + c])
    const b = gaussianBlur(plane, W, H, sigma)
    for (let i = 0; i < W * H; i++) data[3 * i + c] = Math.round(b[i])
  }
  return { width: W, height: H, data }
}

const delta = (a: RgbImage, b: RgbImage) => Float64Array.from({ length: a.width * a.height }, (_, i) => b.data[3 * i] - a.data[3 * i])
const meanAbs = (d: ArrayLike<number>, keep: (i: number) => boolean) => {
  let s = 0
  let k = 0
  for (let i = 0; i < d.length; i++) if (keep(i)) (s += Math.abs(d[i])), k++
  return s / k
}

describe('texture synthesis (sets 30 and 31)', () => {
  it('blurs with unit gain: a constant plane stays, an impulse spreads symmetrically and keeps its sum', () => {
    const flat = gaussianBlur(new Float64Array(W * H).fill(7), W, H, 3)
    expect(Math.max(...flat.map((v) => Math.abs(v - 7)))).toBeLessThan(1e-9)
    const impulse = new Float64Array(W * H)
    impulse[32 * W + 48] = 1
    const b = gaussianBlur(impulse, W, H, 1.5)
    expect(b.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9)
    expect(b[32 * W + 47]).toBeCloseTo(b[32 * W + 49], 12)
    expect(b[31 * W + 48]).toBeCloseTo(b[33 * W + 48], 12)
  })

  it('draws grain where the picture has texture and none where it is flat, in luma only', () => {
    const img = blurred(halfTextured(), 1)
    const out = synthesizeTexture(img, 2, 7)
    const d = delta(img, out)
    const flatSide = (i: number) => i % W < W / 2 - 12
    const texturedSide = (i: number) => i % W >= W / 2 + 12
    expect(meanAbs(d, flatSide)).toBe(0)
    expect(meanAbs(d, texturedSide)).toBeGreaterThan(1)
    // the same change in R, G and B wherever nothing clips: the colour is the packet's
    for (let i = 0; i < W * H; i++) {
      const [r, g, b] = [0, 1, 2].map((c) => out.data[3 * i + c] - img.data[3 * i + c])
      const clipped = [0, 1, 2].some((c) => out.data[3 * i + c] === 0 || out.data[3 * i + c] === 255)
      if (!clipped) expect(Math.max(Math.abs(r - g), Math.abs(g - b))).toBeLessThanOrEqual(1)
    }
  })

  it('stays off edges: a blurred straight edge gets far less grain than texture of the same band energy', () => {
    // left: a soft vertical edge; right: the textured half as before
    const img = blurred(halfTextured(), 1)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W / 2; x++) for (let c = 0; c < 3; c++) img.data[3 * (y * W + x) + c] = x < W / 4 ? 60 : 200
    const soft = blurred(img, 2)
    const amp = textureAmplitude(soft)
    const atEdge = meanAbs(amp, (i) => Math.abs((i % W) - W / 4) < 3 && Math.floor(i / W) > 12 && Math.floor(i / W) < H - 12)
    const inTexture = meanAbs(amp, (i) => i % W >= W / 2 + 12 && Math.floor(i / W) > 12 && Math.floor(i / W) < H - 12)
    expect(atEdge).toBeLessThan(0.1 * inTexture)
  })

  it('is finer than the luma plane: its local mean is about zero, so the picture\'s window averages stay', () => {
    const img = blurred(halfTextured(), 1)
    const d = delta(img, synthesizeTexture(img, 2, 3))
    const local = gaussianBlur(d, W, H, 4)
    const amp = meanAbs(d, (i) => i % W >= W / 2 + 12)
    expect(meanAbs(local, (i) => i % W >= W / 2 + 12)).toBeLessThan(0.15 * amp)
  })

  it('repeats from the seed: the same seed the same pixels, another seed other grain; strength 0 leaves the picture', () => {
    const img = blurred(halfTextured(), 1)
    const a = synthesizeTexture(img, 1.5, 11)
    expect(Buffer.from(synthesizeTexture(img, 1.5, 11).data).equals(Buffer.from(a.data))).toBe(true)
    expect(Buffer.from(synthesizeTexture(img, 1.5, 12).data).equals(Buffer.from(a.data))).toBe(false)
    expect(synthesizeTexture(img, 0, 11)).toBe(img)
  })

  it('the sender fits no grain to a perfect decode, and more the more detail the decode lost', () => {
    const original = halfTextured()
    expect(fitTextureStrength(original, original)).toBe(0)
    const soft = fitTextureStrength(original, blurred(original, 0.8))
    const softer = fitTextureStrength(original, blurred(original, 1.6))
    expect(soft).toBeGreaterThan(0)
    expect(softer).toBeGreaterThan(soft)
    expect(() => fitTextureStrength(original, { width: 8, height: 8, data: new Uint8Array(192) })).toThrow(/^texture fit: original 96x64 and decoded 8x8 differ$/)
    // at the fitted strength the grain gives back about the fine detail the decode lost (none on the flat side)
    const decoded = blurred(original, 1.2)
    expect(textureAmplitude(decoded).slice(0, 20).every((v) => v < 1e-6)).toBe(true)
    const fineEnergy = (img: RgbImage) => {
      const y = luma(img)
      const b = gaussianBlur(y, W, H, 1.5)
      return meanAbs(y.map((v, i) => (v - b[i]) ** 2), (i) => i % W >= W / 2 + 12)
    }
    const grained = synthesizeTexture(decoded, fitTextureStrength(original, decoded), 5)
    expect(Math.abs(fineEnergy(grained) - fineEnergy(original))).toBeLessThan(0.5 * Math.abs(fineEnergy(decoded) - fineEnergy(original)))
  })

  it("set 31's squared amplitude (over its mean) moves the grain from faint texture to strong", () => {
    // left half faint texture, right half strong: the squared amplitude gives the faint half less, the strong more
    const img = blurred(halfTextured(), 1)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W / 2; x++) for (let c = 0; c < 3; c++) img.data[3 * (y * W + x) + c] = 128 + ((x + y) % 2) * 6 + (c - 1) * 10
    const soft = blurred(img, 0.7)
    const linear = textureAmplitude(soft)
    const squared = textureAmplitude(soft, 2)
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length
    const m = mean(linear)
    expect(Math.max(...squared.map((v, i) => Math.abs(v - linear[i] ** 2 / m)))).toBeLessThan(1e-12)
    const faint = (i: number) => i % W < W / 2 - 12
    const strong = (i: number) => i % W >= W / 2 + 12
    expect(meanAbs(linear, faint)).toBeGreaterThan(0)
    expect(meanAbs(squared, faint) / meanAbs(linear, faint)).toBeLessThan(0.5)
    expect(meanAbs(squared, strong) / meanAbs(linear, strong)).toBeGreaterThan(1.2)
    // the sets' powers; a set without grain has none
    expect([grainPowerOf(30), grainPowerOf(31)]).toEqual([1, 2])
    expect(() => grainPowerOf(28)).toThrow(/^model set 28 draws no grain \(sets with grain: 30, 31\)$/)
    // a flat picture has no texture at any power (no division by its zero mean)
    const flat = { width: W, height: H, data: new Uint8Array(3 * W * H).fill(90) }
    expect(textureAmplitude(flat, 2).every((v) => v < 1e-9)).toBe(true)
  })
})
