import { describe, expect, it } from 'vitest'
import { decodeGscPacket, encodeGscPacket, latentShape, type GscPayload } from '../../src/core/bitstream/gscPacket'
import { fromPredictionResiduals, toPredictionResiduals, uncodedMask } from '../../src/core/bitstream/latentPrediction'
import { GscError } from '../../src/core/util/errors'

const W = 768
const H = 512
const { h, w } = latentShape(W, H)

/** A smooth ramp with a 2x2 mosaic of three levels on top (what set 4's channel 0 looks like), plus small noise. */
function smoothPlane(seed: number, mosaic: boolean): Int32Array {
  const out = new Int32Array(h * w)
  let s = seed
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      s = (s * 1103515245 + 12345) >>> 0
      const site = mosaic ? (y % 2 === x % 2 ? 0 : y % 2 === 0 ? 40 : -40) : 0
      out[y * w + x] = Math.round(20 * Math.sin(x / 9) + 15 * Math.cos(y / 7)) + site + ((s >>> 16) % 3) - 1
    }
  return out
}

function payload(modelId: number, channelIndices: number[], latents: Int32Array): GscPayload {
  return {
    header: { formatVersion: 1, width: W, height: H, modelId, latentChannels: 320, channelIndices, quantStep: 32, steps: 0, seed: 7, captionMode: 'none', hasDetections: false },
    caption: '',
    latents,
    detections: [],
  }
}

describe('predictive coding of smooth latent channels (bitstream §6.1)', () => {
  it('is exactly invertible, and leaves channels outside the table untouched', () => {
    const lat = new Int32Array(3 * h * w)
    lat.set(smoothPlane(1, true), 0)
    lat.set(smoothPlane(2, false), h * w)
    lat.set(smoothPlane(3, false), 2 * h * w)
    const idx = [0, 2, 17]
    const res = toPredictionResiduals(4, idx, lat, h, w)
    expect(Array.from(res.subarray(2 * h * w))).toEqual(Array.from(lat.subarray(2 * h * w))) // channel 17: plain values
    expect(res.subarray(0, h * w)).not.toEqual(lat.subarray(0, h * w))
    expect(Array.from(fromPredictionResiduals(4, idx, Int32Array.from(res), h, w))).toEqual(Array.from(lat))
    // another model id: no channel is predicted
    expect(Array.from(toPredictionResiduals(3, idx, lat, h, w))).toEqual(Array.from(lat))
  })

  it('makes a set-4 packet of smooth channels smaller, and round-trips it through the real packet coder', () => {
    const lat = new Int32Array(2 * h * w)
    lat.set(smoothPlane(5, true), 0)
    lat.set(smoothPlane(6, false), h * w)
    const set4 = encodeGscPacket(payload(4, [0, 1], lat), { apid: 1, sequenceCount: 0 })
    const set3 = encodeGscPacket(payload(3, [0, 1], lat), { apid: 1, sequenceCount: 0 })
    expect(Array.from(decodeGscPacket(set4).latents)).toEqual(Array.from(lat))
    expect(Array.from(decodeGscPacket(set3).latents)).toEqual(Array.from(lat))
    // the mosaic predicted on its own sub-lattice: well under the plain coding's size
    expect(set4.length).toBeLessThan(0.75 * set3.length)
  })

  it('refuses residuals or decoded values outside Int32 with one line', () => {
    const lat = new Int32Array(h * w)
    lat[0] = 2 ** 31 - 1
    lat[1] = -(2 ** 31)
    expect(() => toPredictionResiduals(4, [1], lat, h, w)).toThrow(GscError)
    const res = new Int32Array(h * w)
    res[0] = 2 ** 31 - 1
    res[1] = 5
    expect(() => fromPredictionResiduals(4, [1], res, h, w)).toThrow(/corrupt latent payload/)
  })
})

/** Set 5's mosaic: Y, Cb, Cr on (even, even), (even, odd), (odd, even); the (odd, odd) cells empty. */
function mosaic3Plane(seed: number): Int32Array {
  const out = smoothPlane(seed, true)
  for (let y = 1; y < h; y += 2) for (let x = 1; x < w; x += 2) out[y * w + x] = 0
  return out
}

describe("set 5's empty mosaic cells are not carried (bitstream §6.2)", () => {
  it('round-trips a set-5 packet, with the mosaic at any position in the channel list', () => {
    for (const idx of [[0, 1], [17, 0]]) {
      const lat = new Int32Array(2 * h * w)
      const at = idx.indexOf(0)
      lat.set(mosaic3Plane(7), at * h * w)
      lat.set(smoothPlane(8, false), (1 - at) * h * w)
      const mask = uncodedMask(5, idx, h, w)!
      expect(mask.reduce((a, b) => a + b, 0)).toBe(Math.floor(h / 2) * Math.floor(w / 2))
      expect(mask[at * h * w + 1 * w + 1]).toBe(1)
      expect(mask[at * h * w + 0 * w + 1]).toBe(0)
      const packet = encodeGscPacket(payload(5, idx, lat), { apid: 1, sequenceCount: 0 })
      expect(Array.from(decodeGscPacket(packet).latents)).toEqual(Array.from(lat))
    }
    expect(uncodedMask(5, [1, 2, 3], h, w)).toBeNull()
    expect(uncodedMask(4, [0], h, w)).toBeNull()
  })

  it('costs less than coding the empty cells as zeros (the same values under set 4)', () => {
    const lat = mosaic3Plane(9)
    const set5 = encodeGscPacket(payload(5, [0], lat), { apid: 1, sequenceCount: 0 })
    const set4 = encodeGscPacket(payload(4, [0], lat), { apid: 1, sequenceCount: 0 })
    expect(Array.from(decodeGscPacket(set4).latents)).toEqual(Array.from(lat))
    expect(set5.length).toBeLessThan(set4.length)
  })

  it('refuses a non-zero value in an empty cell with one line, rather than dropping it', () => {
    const lat = mosaic3Plane(10)
    lat[1 * w + 3] = 4
    expect(() => encodeGscPacket(payload(5, [0], lat), { apid: 1, sequenceCount: 0 })).toThrow(/row 1, column 3: this model set's layout leaves that position empty/)
  })
})
