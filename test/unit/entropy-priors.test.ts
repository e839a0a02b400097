// Trained starting states of the entropy models (docs/bitstream.md 6.5): how a bank takes them, that set 33's tables
// are the ones its wire names (a changed table would decode old packets wrongly), and what they buy on a packet.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { BitModels } from '../../src/core/entropy/bitModels'
import { ENTROPY_PRIORS } from '../../src/core/entropy/entropyPriors'
import { newLatentModels } from '../../src/core/entropy/latentCoder'
import { newColourModels } from '../../src/core/bitstream/colourCoder'
import { decodeGscPacket, encodeGscPacket, latentShape, type GscPayload } from '../../src/core/bitstream/gscPacket'
import { RangeDecoder, RangeEncoder } from '../../src/core/entropy/rangeCoder'

/** docs/bitstream.md 6.5: sha256 of each table's numbers joined by commas. */
const SET_33_HASHES = {
  colour: 'f2a0ba6057359bec83918e77cbeca405b286ff9e2c2f29113b7af493850284d9',
  latent: '8b6fd7ace608243e433bd807b68d61e88b17a6f9dc34a44b54dcaae2b3110151'
}

describe('trained starting states of the entropy models (bitstream 6.5)', () => {
  it("keeps set 33's tables as its wire names them (sets 34-37's too)", () => {
    const hash = (t: readonly number[]) => createHash('sha256').update(t.join(',')).digest('hex')
    expect({ colour: hash(ENTROPY_PRIORS[33].colour), latent: hash(ENTROPY_PRIORS[33].latent) }).toEqual(SET_33_HASHES)
    // sets 34-37 (set 33's packets, another station) take set 33's tables; every other set starts at 1/2
    expect(Object.keys(ENTROPY_PRIORS)).toEqual(['33', '34', '35', '36', '37'])
    for (const id of [34, 35, 36, 37]) expect(ENTROPY_PRIORS[id]).toEqual(ENTROPY_PRIORS[33])
    expect([newColourModels(28).s.every((s) => s === 2 ** 27), newLatentModels(28).n.every((n) => n === 0)]).toEqual([true, true])
  })

  it('starts a listed model at its probability and count, and refuses a bad table in one line', () => {
    const m = new BitModels(4, [2, 60000, 16])
    expect([m.p0(0), m.p0(2), m.n[2]]).toEqual([32768, 60000, 16])
    // a model that has "seen" 16 bits moves by 2/35 of the way, not 2/3
    const enc = new RangeEncoder()
    m.encode(enc, 2, 1)
    expect(m.p0(2)).toBe(Math.floor((60000 * 4096 - Math.floor((60000 * 4096 * Math.floor(131072 / 35)) / 65536)) / 4096))
    expect(() => new BitModels(4, [4, 100, 0])).toThrow(/^model start for index 4, outside this bank of 4$/)
    expect(() => new BitModels(4, [0, 0, 0])).toThrow(/^model start probability 0 is outside 31\.\.65505$/)
    expect(() => new BitModels(4, [0, 100, 256])).toThrow(/^model start count 256 is outside 0\.\.255$/)
    expect(() => new BitModels(4, [0, 100])).toThrow(/^model starts must be triples, got 2 numbers$/)
  })

  it('codes the same payload in fewer octets than set 28, and both decode it exactly', () => {
    const [width, height] = [384, 256]
    const { h, w } = latentShape(width, height)
    const n = h * w
    // a sparse wavelet payload as a low-rate thumbnail has: a busy LL corner, rare small detail
    let s = 7
    const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32)
    const coefficients = new Int32Array(3 * n).map((_, i) => {
      const [y, x] = [Math.floor((i % n) / w), i % w]
      return y < 2 && x < 3 ? Math.round(20 * r() - 10) : r() < 0.04 ? (r() < 0.5 ? -1 : 1) : 0
    })
    const latents = new Int32Array(2 * n).map((_, i) => (i >= n && r() < 0.05 ? 1 : 0))
    const payload = (modelId: number): GscPayload => ({
      header: { formatVersion: 1, width, height, modelId, latentChannels: 320, channelIndices: [0, 40], quantStep: 64, captionMode: 'none', steps: 0, seed: 0, hasDetections: false },
      caption: '',
      latents,
      detections: [],
      colour: { lumaFactor: 1, stepExponent: 0, chromaExponent: -4, coefficients }
    })
    const [p28, p33] = [28, 33].map((id) => encodeGscPacket(payload(id), { apid: 1, sequenceCount: 0 }))
    expect(p33.length).toBeLessThan(p28.length)
    for (const p of [p28, p33]) {
      const d = decodeGscPacket(p)
      expect([Array.from(d.colour!.coefficients), Array.from(d.latents.subarray(n))]).toEqual([Array.from(coefficients), Array.from(latents.subarray(n))])
    }
    // the starts are the decoder's as much as the encoder's: set 33's bits read with set 28's starts are another payload
    const listed = ENTROPY_PRIORS[33].latent[0] // the first model the latent table starts
    const enc = new RangeEncoder()
    const bank = newLatentModels(33)
    for (let k = 0; k < 200; k++) bank.encode(enc, listed, k % 50 === 0 ? 1 : 0)
    const bytes = enc.finish()
    const read = (m: BitModels) => {
      const dec = new RangeDecoder(bytes, 0, bytes.length)
      return Array.from({ length: 200 }, () => m.decode(dec, listed))
    }
    const as33 = read(newLatentModels(33))
    const as28 = read(newLatentModels(28))
    expect(as33.filter((b) => b === 1).length).toBe(4)
    expect(as28).not.toEqual(as33)
  })
})
