import { describe, expect, it } from 'vitest'
import { decodeGscPacket, encodeGscPacket, latentShape, type GscPayload } from '../../src/core/bitstream/gscPacket'
import { anchoredPredictAt, fromPredictionResiduals, toPredictionResiduals, uncodedMask } from '../../src/core/bitstream/latentPrediction'
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

/** Three smooth thumbnails (Y, Cb, Cr) and the mosaic cut from them, as set 21's encoder leaves them. */
function thumbnailsAndMosaic(seed: number): { mosaic: Int32Array; planes: Int32Array[] } {
  const planes = [0, 1, 2].map((p) => smoothPlane(seed + p, false))
  const mosaic = new Int32Array(h * w)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = y % 2 === 0 ? (x % 2 === 0 ? 0 : 1) : x % 2 === 0 ? 2 : -1
      if (p >= 0) mosaic[y * w + x] = planes[p][y * w + x]
    }
  return { mosaic, planes }
}

describe("set 21's thumbnails anchored to the mosaic (bitstream §6.3)", () => {
  it('predicts a cell from two thirds of the mosaic neighbours and one third of LOCO-I, exactly as the spec writes it', () => {
    // 3x3 grid, plane Cb (mosaic samples at even row, odd column): cell (1, 1) sees mosaic (0, 1) = 10 and (2, 1) = 14
    const mosaic = Int32Array.from([0, 10, 0, 0, 0, 0, 0, 14, 0])
    const own = Int32Array.from([8, 10, 0, 9, 0, 0, 0, 0, 0])
    // S = 24, n = 2, LOCO-I from left 9, top 10, top-left 8 = 10: floor((96 + 40 + 6) / 12) = 11
    expect(anchoredPredictAt(own, mosaic, 1, 1, 3, 3, 1)).toBe(11)
    expect(anchoredPredictAt(own, mosaic, 0, 1, 3, 3, 1)).toBe(10) // on the lattice: the mosaic's value
    expect(anchoredPredictAt(own, mosaic, 0, 0, 3, 3, 1)).toBe(10) // (0, 0): the neighbours' mean, floor((20 + 1) / 2)
  })

  it('round-trips a set-21 packet with the mosaic anywhere in the list, carrying no lattice cell', () => {
    const { mosaic, planes } = thumbnailsAndMosaic(21)
    for (const idx of [[0, 1, 2, 3], [2, 0, 17]]) {
      const lat = new Int32Array(idx.length * h * w)
      idx.forEach((ch, c) => lat.set(ch === 0 ? mosaic : ch <= 3 ? planes[ch - 1] : smoothPlane(99, false), c * h * w))
      const mask = uncodedMask(21, idx, h, w)!
      const quarter = (h / 2) * (w / 2)
      expect(mask.reduce((a, b) => a + b, 0)).toBe(quarter * (1 + idx.filter((ch) => ch >= 1 && ch <= 3).length))
      const packet = encodeGscPacket(payload(21, idx, lat), { apid: 1, sequenceCount: 0 })
      expect(Array.from(decodeGscPacket(packet).latents)).toEqual(Array.from(lat))
    }
  })

  it('costs less than set 5 coding the same values, and is set 5 where the packet has no mosaic', () => {
    const { mosaic, planes } = thumbnailsAndMosaic(31)
    const lat = new Int32Array(4 * h * w)
    ;[mosaic, ...planes].forEach((v, c) => lat.set(v, c * h * w))
    const set21 = encodeGscPacket(payload(21, [0, 1, 2, 3], lat), { apid: 1, sequenceCount: 0 })
    const set5 = encodeGscPacket(payload(5, [0, 1, 2, 3], lat), { apid: 1, sequenceCount: 0 })
    expect(set21.length).toBeLessThan(0.9 * set5.length)
    const noMosaic = lat.subarray(h * w)
    expect(Array.from(toPredictionResiduals(21, [1, 2, 3], noMosaic, h, w))).toEqual(Array.from(toPredictionResiduals(5, [1, 2, 3], noMosaic, h, w)))
    expect(uncodedMask(21, [1, 2, 3], h, w)).toBeNull()
  })

  it('refuses a thumbnail that differs from the mosaic on its lattice with one line, rather than dropping it', () => {
    const { mosaic, planes } = thumbnailsAndMosaic(41)
    const lat = new Int32Array(2 * h * w)
    lat.set(mosaic, 0)
    lat.set(planes[2], h * w) // Cr: lattice at odd row, even column
    lat[h * w + 3 * w + 4] += 1
    expect(() => encodeGscPacket(payload(21, [0, 3], lat), { apid: 1, sequenceCount: 0 })).toThrow(/channel 1, row 3, column 4: model set 21 carries the mosaic's value -?\d+ there/)
  })
})
