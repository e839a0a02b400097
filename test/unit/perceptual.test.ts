import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { blockiness, boxDownscale, ciede2000, colourError, colourfulChromaLoss, srgbToLab } from '../../src/core/analysis/perceptual'
import { img, lcg } from '../fixtures/imageFixtures'

/**
 * All 34 test pairs of Sharma, Wu, Dalal, "The CIEDE2000 color-difference formula: implementation notes,
 * supplementary test data, and mathematical observations", Color Res. Appl. 30 (2005), Table 1:
 * L1, a1, b1, L2, a2, b2, ΔE00 (given to 4 decimals).
 */
const SHARMA_2005: [number, number, number, number, number, number, number][] = [
  [50.0, 2.6772, -79.7751, 50.0, 0.0, -82.7485, 2.0425],
  [50.0, 3.1571, -77.2803, 50.0, 0.0, -82.7485, 2.8615],
  [50.0, 2.8361, -74.02, 50.0, 0.0, -82.7485, 3.4412],
  [50.0, -1.3802, -84.2814, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -1.1848, -84.8006, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -0.9009, -85.5211, 50.0, 0.0, -82.7485, 1.0],
  [50.0, 0.0, 0.0, 50.0, -1.0, 2.0, 2.3669],
  [50.0, -1.0, 2.0, 50.0, 0.0, 0.0, 2.3669],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0009, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.001, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0011, 7.2195],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0012, 7.2195],
  [50.0, -0.001, 2.49, 50.0, 0.0009, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.001, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.0011, -2.49, 4.7461],
  [50.0, 2.5, 0.0, 50.0, 0.0, -2.5, 4.3065],
  [50.0, 2.5, 0.0, 73.0, 25.0, -18.0, 27.1492],
  [50.0, 2.5, 0.0, 61.0, -5.0, 29.0, 22.8977],
  [50.0, 2.5, 0.0, 56.0, -27.0, -3.0, 31.903],
  [50.0, 2.5, 0.0, 58.0, 24.0, 15.0, 19.4535],
  [50.0, 2.5, 0.0, 50.0, 3.1736, 0.5854, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2972, 0.0, 1.0],
  [50.0, 2.5, 0.0, 50.0, 1.8634, 0.5757, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2592, 0.335, 1.0],
  [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
  [63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.263],
  [61.2901, 3.7196, -5.3901, 61.4292, 2.248, -4.962, 1.8731],
  [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
  [22.7233, 20.0904, -46.694, 23.0331, 14.973, -42.5619, 2.0373],
  [36.4612, 47.858, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
  [90.8027, -2.0831, 1.441, 91.1528, -1.6435, 0.0447, 1.4441],
  [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
  [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
  [2.0776, 0.0795, -1.135, 0.9033, -0.0636, -0.5514, 0.9082]
]

describe('CIEDE2000', () => {
  it('reproduces the 34 published test pairs of Sharma et al. 2005 to their 4 decimals, both ways round', () => {
    for (const [L1, a1, b1, L2, a2, b2, want] of SHARMA_2005) {
      expect(Math.abs(ciede2000([L1, a1, b1], [L2, a2, b2]) - want), `${[L1, a1, b1]} vs ${[L2, a2, b2]}`).toBeLessThan(5.1e-5)
      expect(Math.abs(ciede2000([L2, a2, b2], [L1, a1, b1]) - want)).toBeLessThan(5.1e-5)
    }
    expect(ciede2000([40, 10, -20], [40, 10, -20])).toBe(0)
  })

  it('converts sRGB D65 to CIELAB (white, black, primaries)', () => {
    const near = (got: number[], want: number[], tol: number) => got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(tol))
    near(srgbToLab(255, 255, 255), [100, 0, 0], 1e-4)
    near(srgbToLab(0, 0, 0), [0, 0, 0], 1e-12)
    // the usual published sRGB primaries in CIELAB (D65)
    near(srgbToLab(255, 0, 0), [53.24, 80.09, 67.2], 0.01)
    near(srgbToLab(0, 255, 0), [87.73, -86.18, 83.18], 0.01)
    near(srgbToLab(0, 0, 255), [32.3, 79.19, -107.86], 0.01)
    // greys are neutral
    const g = srgbToLab(119, 119, 119)
    expect(Math.abs(g[1]) + Math.abs(g[2])).toBeLessThan(1e-3)
  })
})

describe('box downscale by 8', () => {
  it('averages full blocks and the partial blocks at the right and bottom edges over the pixels they have', () => {
    const a = img(21, 10, (x, y, c) => x + 10 * y + 50 * c) // 3 x 2 output; last column 5 px wide, last row 2 px tall
    const d = boxDownscale(a, 8)
    expect([d.width, d.height]).toEqual([3, 2])
    const meanOf = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length
    const range = (lo: number, hi: number) => Array.from({ length: hi - lo }, (_, i) => lo + i)
    const expectBlock = (bx: number, by: number, x0: number, x1: number, y0: number, y1: number) => {
      for (let c = 0; c < 3; c++) {
        const want = meanOf(range(y0, y1).flatMap((y) => range(x0, x1).map((x) => x + 10 * y + 50 * c)))
        expect(d.data[3 * (by * d.width + bx) + c]).toBeCloseTo(want, 12)
      }
    }
    expectBlock(0, 0, 0, 8, 0, 8)
    expectBlock(2, 0, 16, 21, 0, 8)
    expectBlock(1, 1, 8, 16, 8, 10)
    expectBlock(2, 1, 16, 21, 8, 10)
    // a constant image stays constant, whatever the size
    expect(Array.from(boxDownscale(img(9, 17, () => 77)).data).every((v) => v === 77)).toBe(true)
  })
})

describe('colour error (CIEDE2000 at 1/8 scale)', () => {
  it('is 0 for identical images, symmetric, and ignores texture that averages out within 8x8 blocks', () => {
    const r = lcg(3)
    const a = img(48, 40, (x, y, c) => 60 + 2 * x + 3 * y + 40 * c + 30 * (r() - 0.5))
    expect(colourError(a, a)).toBe(0)
    // a checkerboard and its mean grey look the same at 1/8 scale
    const checker = img(32, 32, (x, y) => ((x + y) % 2 ? 100 : 200))
    const grey = img(32, 32, () => 150)
    expect(colourError(checker, grey)).toBeLessThan(1e-9)
    const b = img(48, 40, (x, y, c) => a.data[3 * (y * 48 + x) + c] + (c === 0 ? 20 : 0))
    expect(colourError(a, b)).toBeGreaterThan(2)
    expect(colourError(a, b)).toBeCloseTo(colourError(b, a), 12)
    expect(() => colourError(a, img(8, 8, () => 0))).toThrow(/differ in size/)
  })
})

describe('chroma lost on the most colourful cells', () => {
  it('sees a small red patch fade to grey that mean ΔE00 hardly sees, and does not count colour added', () => {
    // 80 x 80 grey with one red 16 x 16 patch: 4 of 100 cells at 1/8 scale
    const scene = (red: boolean, tint = 0) => img(80, 80, (x, y, c) => (x >= 32 && x < 48 && y >= 32 && y < 48 ? (red ? [200, 30, 30][c] : 100) : 120 + (c === 2 ? tint : 0)))
    const original = scene(true)
    const faded = scene(false)
    expect(colourfulChromaLoss(original, original)).toBe(0)
    const [rl, ra, rb] = srgbToLab(200, 30, 30)
    const redChroma = Math.hypot(ra, rb)
    expect(rl).toBeGreaterThan(0)
    // the cut falls on the grey cells (chroma 0), and ties at the cut count: 4 of 100 lose the red's whole chroma
    expect(colourfulChromaLoss(original, faded)).toBeCloseTo((4 * redChroma) / 100, 6)
    // on a colourful background only the top tenth counts: 4 of 10 cells lose it
    const tinted = (red: boolean) => img(80, 80, (x, y, c) => (x >= 32 && x < 48 && y >= 32 && y < 48 ? (red ? [200, 30, 30][c] : 100) : [110, 120, 130][c] + (x >> 3) + 10 * (y >> 3) * (c === 2 ? 1 : 0)))
    expect(colourfulChromaLoss(tinted(true), tinted(false))).toBeGreaterThan(colourfulChromaLoss(original, faded) * 5)
    expect(colourError(original, faded)).toBeLessThan(colourfulChromaLoss(original, faded) / 2)
    // a grey original given a blue tint loses nothing
    expect(colourfulChromaLoss(faded, scene(false, 40))).toBe(0)
    expect(() => colourfulChromaLoss(original, img(8, 8, () => 0))).toThrow(/differ in size/)
  })
})

describe('blockiness on the 16-pixel grid', () => {
  it('is exactly 1 on a flat image and on one too small to have a grid', () => {
    expect(blockiness(img(64, 48, () => 90))).toBe(1)
    expect(blockiness(img(12, 9, (x) => 10 * x))).toBe(1)
  })

  it('is about 1 on a smooth gradient and on random noise', () => {
    expect(Math.abs(blockiness(img(256, 192, (x, y, c) => 20 + 0.7 * x + 0.4 * y + 10 * c)) - 1)).toBeLessThan(0.15)
    const r = lcg(11)
    expect(Math.abs(blockiness(img(256, 256, () => 255 * r())) - 1)).toBeLessThan(0.1)
  })

  it('is far above 1 on constant 16x16 blocks, and on noise with a visible grid', () => {
    const r = lcg(5)
    const tiles = Array.from({ length: 16 * 12 * 3 }, () => 255 * r())
    const blocks = img(256, 192, (x, y, c) => tiles[3 * (Math.floor(y / 16) * 16 + Math.floor(x / 16)) + c])
    expect(blockiness(blocks)).toBeGreaterThan(1000)
    // the same blocks under texture: the grid still dominates the gradient energy
    const r2 = lcg(9)
    expect(blockiness(img(256, 192, (x, y, c) => tiles[3 * (Math.floor(y / 16) * 16 + Math.floor(x / 16)) + c] * 0.5 + 60 * r2()))).toBeGreaterThan(3)
    // an 8 px checkerboard: every 16-px boundary has an edge, 1 in 15 other positions has one -> exactly 15
    const eight = img(256, 192, (x, y) => ((Math.floor(x / 8) + Math.floor(y / 8)) % 2 ? 80 : 160))
    expect(blockiness(eight)).toBeCloseTo(15, 3)
  })
})

const python = '/usr/bin/python3'
describe.skipIf(!existsSync(python))('training/metrics/perceptual_metrics.py', () => {
  it('gives the same CIEDE2000, colour error and blockiness as perceptual.ts', () => {
    const r = lcg(21)
    const cases = [
      { w: 61, h: 45, f: (x: number, y: number, c: number) => 128 + 90 * Math.sin(x / 9 + c) * Math.cos(y / 7) + 20 * (r() - 0.5) },
      { w: 40, h: 33, f: () => 255 * r() }
    ].map(({ w, h, f }) => {
      const a = img(w, h, f)
      const tiles = Array.from({ length: 64 * 3 }, () => 255 * r())
      const b = img(w, h, (x, y, c) => 0.6 * a.data[3 * (y * w + x) + c] + 0.4 * tiles[3 * ((Math.floor(y / 16) * 8 + Math.floor(x / 16)) % 64) + c])
      return { a, b }
    })
    const input = {
      pairs: SHARMA_2005.map((p) => p.slice(0, 6)),
      images: cases.map(({ a, b }) => ({ width: a.width, height: a.height, a: Array.from(a.data), b: Array.from(b.data) }))
    }
    const out = JSON.parse(execFileSync(python, [resolve('training/metrics/perceptual_metrics.py')], { input: JSON.stringify(input) }).toString()) as {
      ciede2000: number[]
      images: { colourError: number; blockiness: number; colourLoss: number }[]
    }
    SHARMA_2005.forEach(([L1, a1, b1, L2, a2, b2], i) => expect(out.ciede2000[i]).toBeCloseTo(ciede2000([L1, a1, b1], [L2, a2, b2]), 10))
    cases.forEach(({ a, b }, i) => {
      expect(out.images[i].colourError).toBeCloseTo(colourError(a, b), 9)
      expect(out.images[i].blockiness).toBeCloseTo(blockiness(b), 9)
      expect(out.images[i].colourLoss).toBeGreaterThan(0)
    })
  })
})
