// Rate-aware rounding of the colour mosaic (src/core/codec/predictiveQuantize.ts) and the step rule's fallback.
import { describe, expect, it } from 'vitest'
import { decodeGscPacket, encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { toPredictionResiduals } from '../../src/core/bitstream/latentPrediction'
import { quantizeChannels, roundingTolerances } from '../../src/core/codec/predictiveQuantize'
import { finestThatFits, quantize } from '../../src/core/codec/quantize'

const H = 8
const W = 12

/** A mosaic-like plane that hovers around a rounding threshold (0.5 steps) with a little noise; its (odd, odd) cells
 *  are empty, as set 5's mosaic leaves them. */
function hoveringPlane(seed: number): Float32Array {
  const v = new Float32Array(H * W)
  let s = seed
  for (let i = 0; i < v.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    const [y, x] = [Math.floor(i / W), i % W]
    v[i] = y % 2 === 1 && x % 2 === 1 ? 0 : 0.5 + ((s >>> 8) / 2 ** 24 - 0.5) * 0.3 + x * 0.01 // 0.35 .. 0.76
  }
  return v
}

const nonZero = (a: Int32Array) => a.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)

describe('predicted-channel rounding', () => {
  it('plain rounding at tolerance 0.5, and on the channels a set does not predict', () => {
    const v = hoveringPlane(1)
    expect(quantizeChannels(v, 1, 5, [0], H, W, 0.5)).toEqual(quantize(v, 1))
    expect(quantizeChannels(v, 1, 5, [7], H, W, 0.7)).toEqual(quantize(v, 1)) // channel 7 is learned: not predicted
    expect(quantizeChannels(v, 1, 5, [1], H, W, 0.7)).toEqual(quantize(v, 1)) // the full Y thumbnail: plain rounding
    expect(quantizeChannels(v, 1, 1, [0], H, W, 0.7)).toEqual(quantize(v, 1)) // set 1 predicts nothing
    expect(roundingTolerances(1)).toEqual([0.5])
    expect(roundingTolerances(5)[0]).toBe(0.5)
  })

  it('a value hovering at a threshold follows the prediction: fewer non-zero residuals, each value within the tolerance', () => {
    const v = hoveringPlane(2)
    const plain = quantize(v, 1)
    const snapped = quantizeChannels(v, 1, 5, [0], H, W, 0.7)
    for (let i = 0; i < v.length; i++) expect(Math.abs(snapped[i] - v[i])).toBeLessThanOrEqual(0.7)
    const residualsPlain = nonZero(toPredictionResiduals(5, [0], plain, H, W))
    const residualsSnapped = nonZero(toPredictionResiduals(5, [0], snapped, H, W))
    expect(residualsSnapped).toBeLessThan(residualsPlain / 2)
  })

  it('the wire carries the chosen integers exactly, in fewer octets', () => {
    const v = new Float32Array(2 * H * W)
    v.set(hoveringPlane(3).map((x) => x * 3), 0)
    v.set(hoveringPlane(4).map((x) => x * 3), H * W)
    const header = { formatVersion: 1, width: W * 16, height: H * 16, modelId: 5, latentChannels: 320, channelIndices: [0, 2], steps: 0, seed: 0, hasDetections: false, quantStep: 3, captionMode: 'none' as const }
    const packet = (latents: Int32Array) => encodeGscPacket({ header, caption: '', latents, detections: [] }, { apid: 1, sequenceCount: 0 })
    const snapped = quantizeChannels(v, 3, 5, [0, 2], H, W, 0.7)
    expect(decodeGscPacket(packet(snapped)).latents).toEqual(snapped)
    expect(packet(snapped).length).toBeLessThan(packet(quantize(v, 3)).length)
  })

  it('refuses a tolerance outside [0.5, 1)', () => {
    expect(() => quantizeChannels(hoveringPlane(5), 1, 5, [0], H, W, 1)).toThrow(/rounding tolerance/)
    expect(() => quantizeChannels(hoveringPlane(5), 1, 5, [0], H, W, 0.4)).toThrow(/rounding tolerance/)
  })
})

describe('the step rule over (step, tolerance) candidates', () => {
  const cands = [8, 16, 32].flatMap((step) => [0.5, 0.7].map((t) => ({ step, t })))
  const bits = (c: { step: number; t: number }) => 1000 / c.step - (c.t > 0.5 ? 10 : 0)

  it('takes the finest step, then the smallest tolerance, that fits', async () => {
    expect((await finestThatFits(cands, bits, 60)).choice).toEqual({ step: 16, t: 0.7 }) // 62.5 at 0.5 does not fit
    expect((await finestThatFits(cands, bits, 63)).choice).toEqual({ step: 16, t: 0.5 })
  })

  it('falls back to the given candidate when none fits, and says so', async () => {
    const r = await finestThatFits(cands, bits, 1, cands[4])
    expect(r).toMatchObject({ choice: { step: 32, t: 0.5 }, fits: false, bits: 31.25 })
    expect(r.tried.map((t) => `${t.step}/${t.t}`)).toContain('32/0.5')
  })
})

describe("set 21: thumbnails anchored to the mosaic (docs/bitstream.md 6.3)", () => {
  it("copies the mosaic's levels onto each thumbnail's own lattice, rounded plainly there at every tolerance, and only with the mosaic sent", () => {
    const mosaic = hoveringPlane(5)
    const thumbs = [hoveringPlane(6), hoveringPlane(7), hoveringPlane(8)]
    // the thumbnails' samples on their lattices are the mosaic's (what g_a gives), elsewhere their own values
    const lattice = [[0, 0], [0, 1], [1, 0]]
    thumbs.forEach((t, p) => {
      for (let i = 0; i < H * W; i++) if (Math.floor(i / W) % 2 === lattice[p][0] && (i % W) % 2 === lattice[p][1]) t[i] = mosaic[i]
    })
    const values = new Float32Array(4 * H * W)
    ;[mosaic, ...thumbs].forEach((v, c) => values.set(v, c * H * W))
    for (const tolerance of [0.5, 0.7]) {
      const q = quantizeChannels(values, 1, 21, [0, 1, 2, 3], H, W, tolerance)
      const m = q.subarray(0, H * W)
      thumbs.forEach((t, p) => {
        const plain = quantize(t, 1)
        const got = q.subarray((p + 1) * H * W, (p + 2) * H * W)
        for (let i = 0; i < H * W; i++) {
          const on = Math.floor(i / W) % 2 === lattice[p][0] && (i % W) % 2 === lattice[p][1]
          expect(got[i], `plane ${p}, cell ${i}`).toBe(plain[i]) // a snapped mosaic sample would leave a dotted grid
          if (on) expect(m[i]).toBe(plain[i])
        }
      })
      // the packet coder accepts it (its lattice cells are not carried) and gives it back
      const lat = Int32Array.from(q)
      const packet = encodeGscPacket({ header: { formatVersion: 1, width: 16 * W, height: 16 * H, modelId: 21, latentChannels: 320, channelIndices: [0, 1, 2, 3], quantStep: 1, steps: 0, seed: 0, captionMode: 'none', hasDetections: false }, caption: '', latents: lat, detections: [] }, { apid: 1, sequenceCount: 0 })
      expect(Array.from(decodeGscPacket(packet).latents)).toEqual(Array.from(lat))
    }
    // with only the Cb thumbnail sent, the mosaic's Y and Cr samples still follow the prediction, its Cb samples not
    const two = new Float32Array(2 * H * W)
    two.set(mosaic, 0)
    two.set(thumbs[1], H * W)
    const q2 = quantizeChannels(two, 1, 21, [0, 2], H, W, 0.7)
    const plainMosaic = quantize(mosaic, 1)
    let snapped = 0
    for (let i = 0; i < H * W; i++) {
      const [y, x] = [Math.floor(i / W), i % W]
      if (y % 2 === 0 && x % 2 === 1) expect(q2[i], `Cb cell ${i}`).toBe(plainMosaic[i])
      else if (q2[i] !== plainMosaic[i]) snapped++
    }
    expect(snapped).toBeGreaterThan(0)
    // the step rule's last resort (snapAnchored): every mosaic sample follows the prediction, and the thumbnails copy it
    const all = quantizeChannels(values, 1, 21, [0, 1, 2, 3], H, W, 0.7, true)
    const snappedMosaic = quantizeChannels(mosaic, 1, 5, [0], H, W, 0.7)
    expect(Array.from(all.subarray(0, H * W))).toEqual(Array.from(snappedMosaic))
    expect(Array.from(all.subarray(0, H * W))).not.toEqual(Array.from(plainMosaic))
    for (let i = 0; i < H * W; i++) if (Math.floor(i / W) % 2 === 0 && (i % W) % 2 === 1) expect(all[2 * H * W + i], `Cb cell ${i}`).toBe(snappedMosaic[i])
    // without the mosaic a thumbnail is rounded plainly
    expect(quantizeChannels(thumbs[0], 1, 21, [1], H, W, 0.7)).toEqual(quantize(thumbs[0], 1))
  })
})
