// Set 22's transform-coded colour thumbnail (docs/bitstream.md 6.4): the wavelet, the subband layout and steps, the
// coefficient coder, and the packet's refusals.
import { describe, expect, it } from 'vitest'
import { decodeGscPacket, encodeGscPacket, latentShape, type GscPayload } from '../../src/core/bitstream/gscPacket'
import { COLOUR_THUMBNAIL_SETS, subbands, waveletLevels } from '../../src/core/bitstream/colourThumbnail'
import { COLOUR_PLANES, MAX_TEXTURE_EXPONENT, decodeColourThumbnail, encodeColourThumbnail, newColourModels, textureExponentOf, textureStrength } from '../../src/core/bitstream/colourCoder'
import { encodeEG } from '../../src/core/entropy/bitModels'
import { writeHeader } from '../../src/core/bitstream/gscHeader'
import { inspectPacket } from '../../src/core/bitstream/inspect'
import { crc32 } from '../../src/core/bitstream/crc32'
import { writePrimaryHeader } from '../../src/core/bitstream/ccsds'
import { RangeDecoder, RangeEncoder } from '../../src/core/entropy/rangeCoder'
import { forwardWavelet, inverseWavelet } from '../../src/core/codec/wavelet'
import { colourCoefficients, mosaicOf, quantizeColourThumbnail, reconstructColourThumbnail } from '../../src/core/codec/colourThumbnailCodec'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1103515245 + 12345) >>> 0
    return s / 2 ** 32
  }
}

/** A smooth picture-like plane: two slow waves and an edge, plus a little noise. */
function smooth(h: number, w: number, seed: number): Float64Array {
  const r = rng(seed)
  const out = new Float64Array(h * w)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = 300 * Math.sin(x / 7 + seed) + 200 * Math.cos(y / 5) + (x > w / 2 ? 150 : 0) + 20 * r()
  return out
}

describe('the CDF 9/7 wavelet and its subbands (bitstream 6.4)', () => {
  it('inverts exactly (to rounding) at every size, odd and tiny ones included', () => {
    for (const [h, w] of [[32, 48], [9, 13], [1, 1], [7, 40], [68, 120], [8, 8]]) {
      const x = smooth(h, w, h + w)
      const y = Float64Array.from(x)
      forwardWavelet(y, h, w)
      if (waveletLevels(h, w) > 0) expect(y).not.toEqual(x)
      inverseWavelet(y, h, w)
      for (let i = 0; i < x.length; i++) expect(Math.abs(y[i] - x[i])).toBeLessThan(1e-9)
    }
  })

  it('has 2^l synthesis norms at level l, so 2^-l steps give every coefficient the same weight', () => {
    const [h, w] = [128, 192] // big enough that the coarsest bands have an interior
    for (const b of subbands(h, w)) {
      const p = new Float64Array(h * w)
      p[(b.y0 + (b.h >> 1)) * w + b.x0 + (b.w >> 1)] = 1
      inverseWavelet(p, h, w)
      const norm = Math.sqrt(p.reduce((a, v) => a + v * v, 0))
      expect(Math.abs(norm * b.weight - 1), `${b.band}${b.level}`).toBeLessThan(0.08)
    }
  })

  it('tiles the plane: every cell in exactly one subband; levels halve while both sides are >= 8, at most 4', () => {
    expect([waveletLevels(32, 48), waveletLevels(7, 100), waveletLevels(8, 8), waveletLevels(200, 300)]).toEqual([3, 0, 1, 4])
    for (const [h, w] of [[32, 48], [9, 13], [3, 5], [68, 120]]) {
      const seen = new Uint8Array(h * w)
      for (const b of subbands(h, w)) for (let y = b.y0; y < b.y0 + b.h; y++) for (let x = b.x0; x < b.x0 + b.w; x++) seen[y * w + x]++
      expect(seen.every((v) => v === 1)).toBe(true)
    }
  })
})

const W = 768
const H = 512
const { h, w } = latentShape(W, H)
const n = h * w

/** g_a-like latent: channels 1-3 smooth thumbnails, 40 and 41 noise, channel 0 the mosaic cut from 1-3. */
function latent(seed: number): Float32Array {
  const lat = new Float32Array(42 * n)
  for (let c = 1; c <= 3; c++) lat.set(smooth(h, w, seed + c), c * n)
  lat.set(mosaicOf(lat.slice(n, 4 * n), h, w), 0)
  const r = rng(seed)
  for (let i = 40 * n; i < 42 * n; i++) lat[i] = 30 * (r() - 0.5)
  return lat
}

function payload(channelIndices: number[], latents: Int32Array, colour?: GscPayload['colour']): GscPayload {
  return {
    header: { formatVersion: 1, width: W, height: H, modelId: 22, latentChannels: 320, channelIndices, quantStep: 16, steps: 0, seed: 3, captionMode: 'none', hasDetections: false },
    caption: '',
    latents,
    detections: [],
    ...(colour ? { colour } : {}),
  }
}

const SET_22 = COLOUR_THUMBNAIL_SETS[22]
const SET_28 = COLOUR_THUMBNAIL_SETS[28]

describe("set 22's colour thumbnail on the wire (bitstream 6.4)", () => {
  it('round-trips coefficients and the step exponent through the coder, negative exponents included', () => {
    const r = rng(5)
    const coefficients = new Int32Array(COLOUR_PLANES * n).map(() => Math.round((r() - 0.5) ** 3 * 80))
    for (const stepExponent of [0, -7, 13, 32, -32]) {
      const enc = new RangeEncoder()
      encodeColourThumbnail(enc, newColourModels(), { lumaFactor: 1, stepExponent, coefficients }, SET_22, h, w)
      const bytes = enc.finish()
      const back = decodeColourThumbnail(new RangeDecoder(bytes, 0, bytes.length), newColourModels(), SET_22, h, w)
      expect(back.stepExponent).toBe(stepExponent)
      expect(Array.from(back.coefficients)).toEqual(Array.from(coefficients))
    }
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), { lumaFactor: 1, stepExponent: 33, coefficients }, SET_22, h, w)).toThrow(/colour step exponent must be an integer in -32..32, got 33/)
  })

  it('a packet carries the thumbnail in channel 0\'s place and reconstructs it within the step', () => {
    const lat = latent(1)
    const colour = quantizeColourThumbnail(colourCoefficients(lat, SET_22, h, w), 1, h, w, 16, 0)
    const learned = new Int32Array(3 * n)
    for (let i = 0; i < 2 * n; i++) learned[n + i] = Math.round(lat[40 * n + i] / 16)
    const packet = encodeGscPacket(payload([0, 40, 41], learned, colour), { apid: 1, sequenceCount: 0 })
    const d = decodeGscPacket(packet)
    expect(Array.from(d.colour!.coefficients)).toEqual(Array.from(colour.coefficients))
    expect(Array.from(d.latents)).toEqual(Array.from(learned))
    const planes = reconstructColourThumbnail(d.colour!, h, w, d.header.quantStep)
    let se = 0
    for (let i = 0; i < 3 * n; i++) se += (planes[i] - lat[n + i]) ** 2
    // a sample step of 16 has an RMS error of 16 / sqrt(12) = 4.6; the dead zone adds some
    expect(Math.sqrt(se / (3 * n))).toBeLessThan(6)
    // the same thumbnails as three predicted 1/16 channels of set 21 cost more than the transform
    const samples = new Int32Array(4 * n)
    for (let c = 0; c < 4; c++) for (let i = 0; i < n; i++) samples[c * n + i] = Math.round(lat[c * n + i] / 16)
    const set21 = encodeGscPacket({ ...payload([0, 1, 2, 3], samples), header: { ...payload([], samples).header, modelId: 21, channelIndices: [0, 1, 2, 3] } }, { apid: 1, sequenceCount: 0 })
    expect(packet.length - 2 * n / 8).toBeLessThan(set21.length)
  })

  it('refuses a packet listing a channel the thumbnail carries, and a channel 0 without its thumbnail, in one line', () => {
    const lat = new Int32Array(2 * n)
    expect(() => encodeGscPacket(payload([0, 2], lat, { lumaFactor: 1, stepExponent: 0, coefficients: new Int32Array(3 * n) }), { apid: 1, sequenceCount: 0 })).toThrow(
      /^model set 22 carries channels 1, 2, 3 inside its colour thumbnail \(channel 0\); a packet listing channel 2 is invalid$/
    )
    expect(() => encodeGscPacket(payload([0, 9], lat), { apid: 1, sequenceCount: 0 })).toThrow(/model set 22 with channel 0 listed needs its colour thumbnail/)
    expect(() => encodeGscPacket(payload([8, 9], lat, { lumaFactor: 1, stepExponent: 0, coefficients: new Int32Array(3 * n) }), { apid: 1, sequenceCount: 0 })).toThrow(/does not carry one/)
    // a hostile packet naming channel 3 is refused on its header, before any payload is read
    const header = writeHeader(payload([0, 3], lat).header)
    const bytes = new Uint8Array(6 + header.length + 8 + 4)
    writePrimaryHeader(bytes, { version: 0, type: 0, secondaryHeaderFlag: 0, apid: 1, sequenceFlags: 3, sequenceCount: 0, dataFieldOctets: header.length + 12 })
    bytes.set(header, 6)
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes, 0, bytes.length - 4), false)
    expect(() => decodeGscPacket(bytes)).toThrow(/^model set 22 carries channels 1, 2, 3 inside its colour thumbnail \(channel 0\); a packet listing channel 3 is invalid$/)
  })

  it('a packet without channel 0 carries no thumbnail and codes its channels as plain values', () => {
    const lat = new Int32Array(2 * n).map((_, i) => (i % 7) - 3)
    const d = decodeGscPacket(encodeGscPacket(payload([40, 41], lat), { apid: 1, sequenceCount: 0 }))
    expect(d.colour).toBeUndefined()
    expect(Array.from(d.latents)).toEqual(Array.from(lat))
  })
})

describe("set 28's colour thumbnail: a finer luma plane and the chroma's own step (bitstream 6.4)", () => {
  it('round-trips every luma factor with both exponents, and codes nothing of them for set 22', () => {
    const r = rng(9)
    for (const lumaFactor of [1, 2, 4]) {
      const coefficients = new Int32Array((lumaFactor * lumaFactor + 2) * n).map(() => Math.round((r() - 0.5) ** 3 * 80))
      const enc = new RangeEncoder()
      encodeColourThumbnail(enc, newColourModels(), { lumaFactor, stepExponent: -3, chromaExponent: -11, coefficients }, SET_28, h, w)
      const bytes = enc.finish()
      const back = decodeColourThumbnail(new RangeDecoder(bytes, 0, bytes.length), newColourModels(), SET_28, h, w)
      expect([back.lumaFactor, back.stepExponent, back.chromaExponent]).toEqual([lumaFactor, -3, -11])
      expect(Array.from(back.coefficients)).toEqual(Array.from(coefficients))
    }
    const three = new Int32Array(3 * n)
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), { lumaFactor: 1, stepExponent: 0, coefficients: three }, SET_28, h, w)).toThrow(/^this colour thumbnail needs a chroma step exponent$/)
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), { lumaFactor: 1, stepExponent: 0, chromaExponent: 0, coefficients: three }, SET_22, h, w)).toThrow(/^this colour thumbnail carries no chroma step exponent$/)
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), { lumaFactor: 2, stepExponent: 0, coefficients: new Int32Array(6 * n) }, SET_22, h, w)).toThrow(/^luma factor 2 is not one of this set's \(1\)$/)
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), { lumaFactor: 4, stepExponent: 0, chromaExponent: 0, coefficients: three }, SET_28, h, w)).toThrow(/^colour thumbnail has 4608 coefficients, expected 128x192 \+ 32x48 \+ 32x48 = 27648$/)
  })

  it('refuses a luma factor index past the set\'s list as corrupt, in one line', () => {
    const wider = { ...SET_28, lumaFactors: [1, 2, 4, 8] }
    const enc = new RangeEncoder()
    encodeColourThumbnail(enc, newColourModels(), { lumaFactor: 8, stepExponent: 0, chromaExponent: 0, coefficients: new Int32Array(66 * n) }, wider, h, w)
    const bytes = enc.finish()
    expect(() => decodeColourThumbnail(new RangeDecoder(bytes, 0, bytes.length), newColourModels(), SET_28, h, w)).toThrow(/^corrupt colour thumbnail: luma factor index 3 \(this set has 3\)$/)
  })

  it('a set-28 packet carries its luma at four times the thumbnail\'s resolution, the chroma at its own step', () => {
    const lat = latent(2)
    const r = rng(3)
    const fine = Float64Array.from({ length: 16 * n }, (_, i) => 300 + 200 * Math.sin(i / 97) + 40 * r())
    const coefficients = colourCoefficients(lat, SET_28, h, w, 4, fine)
    const colour = quantizeColourThumbnail(coefficients, 4, h, w, 64, -4, -12)
    const packet = encodeGscPacket({ ...payload([0, 40], new Int32Array(2 * n), colour), header: { ...payload([0, 40], new Int32Array(2 * n)).header, modelId: 28, quantStep: 64 } }, { apid: 1, sequenceCount: 0 })
    const d = decodeGscPacket(packet)
    expect([d.header.modelId, d.colour!.lumaFactor, d.colour!.stepExponent, d.colour!.chromaExponent]).toEqual([28, 4, -4, -12])
    // what an operator reads of it (gsc inspect, the packet view)
    expect(inspectPacket(packet).colour).toEqual({ lumaFactor: 4, lumaStep: 32, chromaStep: 8 })
    const planes = reconstructColourThumbnail(d.colour!, h, w, 64)
    const rmsOver = (from: number, to: number, ref: ArrayLike<number>) => Math.sqrt(planes.subarray(from, to).reduce((s, v, i) => s + (v - ref[i]) ** 2, 0) / (to - from))
    // luma step 64 x 2^-1 = 32 (RMS 9.2 plus the dead zone), chroma 64 x 2^-3 = 8 (RMS 2.3 plus the dead zone)
    expect(rmsOver(0, 16 * n, fine)).toBeLessThan(12)
    expect(rmsOver(16 * n, 18 * n, lat.subarray(2 * n, 4 * n))).toBeLessThan(3.5)
    expect(() => colourCoefficients(lat, SET_28, h, w, 4)).toThrow(/^colour thumbnail: plane 0 is 128x192, and no fine luma plane of that size was given$/)
  })
})


describe("set 30's texture exponent: set 28's wire and the strength of the grain the station draws (bitstream 6.4)", () => {
  const SET_30 = COLOUR_THUMBNAIL_SETS[30]

  it('round-trips every exponent after the chroma exponent, and maps it to half-octave strengths (0: none)', () => {
    const coefficients = new Int32Array(3 * n).map((_, i) => (i % 7) - 3)
    for (const textureExponent of [0, 1, 21, 22, MAX_TEXTURE_EXPONENT]) {
      const enc = new RangeEncoder()
      encodeColourThumbnail(enc, newColourModels(), { lumaFactor: 1, stepExponent: 2, chromaExponent: -6, textureExponent, coefficients }, SET_30, h, w)
      const bytes = enc.finish()
      const back = decodeColourThumbnail(new RangeDecoder(bytes, 0, bytes.length), newColourModels(), SET_30, h, w)
      expect([back.stepExponent, back.chromaExponent, back.textureExponent]).toEqual([2, -6, textureExponent])
      expect(Array.from(back.coefficients)).toEqual(Array.from(coefficients))
    }
    expect([0, 1, 21, 22, 23].map(textureStrength)).toEqual([0, 2 ** -10, 1, Math.SQRT2, 2])
    for (const t of [1, 5, 21, 40]) expect(textureExponentOf(textureStrength(t))).toBe(t)
    expect([0, -1, NaN, 2 ** -11].map(textureExponentOf)).toEqual([0, 0, 0, 0])
    expect(textureExponentOf(1e9)).toBe(MAX_TEXTURE_EXPONENT)
  })

  it("set 28 codes no texture exponent, set 30 must; an exponent past the wire's range is refused, and corrupt when decoded", () => {
    const three = new Int32Array(3 * n)
    const base = { lumaFactor: 1, stepExponent: 0, chromaExponent: 0, coefficients: three }
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), base, SET_30, h, w)).toThrow(/^this colour thumbnail needs a texture exponent$/)
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), { ...base, textureExponent: 3 }, SET_28, h, w)).toThrow(/^this colour thumbnail carries no texture exponent$/)
    expect(() => encodeColourThumbnail(new RangeEncoder(), newColourModels(), { ...base, textureExponent: 41 }, SET_30, h, w)).toThrow(/^texture exponent must be an integer in 0\.\.40, got 41$/)
    // an exponent of 41 written by hand with the spec's model indices (6.4): factor index, step and chroma exponents 0
    const enc = new RangeEncoder()
    const m = newColourModels()
    encodeEG(m, enc, 168 + 17 * 1089, 0)
    encodeEG(m, enc, 168 + 16 * 1089, 0)
    encodeEG(m, enc, 168 + 16 * 1089, 0)
    encodeEG(m, enc, 168 + 18 * 1089, 41)
    const bytes = enc.finish()
    expect(() => decodeColourThumbnail(new RangeDecoder(bytes, 0, bytes.length), newColourModels(), SET_30, h, w)).toThrow(/^corrupt payload: coded value 41 exceeds 40$/)
    expect(() => textureStrength(41)).toThrow(/^texture exponent must be an integer in 0\.\.40, got 41$/)
  })

  it('gsc inspect shows the grain strength a set-30 packet asks for', () => {
    const lat = latent(4)
    const colour = { ...quantizeColourThumbnail(colourCoefficients(lat, SET_30, h, w), 1, h, w, 64, 0, 0), textureExponent: 23 }
    const packet = encodeGscPacket({ ...payload([0, 40], new Int32Array(2 * n), colour), header: { ...payload([0, 40], new Int32Array(2 * n)).header, modelId: 30, quantStep: 64 } }, { apid: 1, sequenceCount: 0 })
    expect(decodeGscPacket(packet).colour!.textureExponent).toBe(23)
    expect(inspectPacket(packet).colour).toEqual({ lumaFactor: 1, lumaStep: 64, chromaStep: 64, textureStrength: 2 })
  })
})
