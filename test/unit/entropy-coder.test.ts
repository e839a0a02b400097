import { describe, expect, it } from 'vitest'
import { RangeDecoder, RangeEncoder } from '../../src/core/entropy/rangeCoder'
import { BitModels, EG_MODELS, decodeEG, encodeEG } from '../../src/core/entropy/bitModels'
import { decodeLatents, encodeLatents, newLatentModels } from '../../src/core/entropy/latentCoder'
import { GscError } from '../../src/core/util/errors'
import { prng, sparseLatents } from '../fixtures/bitstreamFixtures'

describe('range coder', () => {
  it('round-trips bits under arbitrary probabilities, including extreme ones', () => {
    const rnd = prng(1)
    const n = 20000
    const probs = Array.from({ length: n }, () => (rnd() < 0.1 ? (rnd() < 0.5 ? 1 : 65535) : 1 + Math.floor(rnd() * 65535)))
    const bits = probs.map((p) => (rnd() * 65536 < p ? 0 : 1))
    const enc = new RangeEncoder()
    bits.forEach((b, i) => enc.encodeBit(probs[i], b))
    const out = enc.finish()
    const dec = new RangeDecoder(out)
    expect(probs.map((p) => dec.decodeBit(p))).toEqual(bits)
  })

  it('round-trips multi-symbol frequencies and direct bits interleaved with bits', () => {
    const rnd = prng(2)
    const ops: { kind: number; a: number; b: number; c: number }[] = []
    const enc = new RangeEncoder()
    for (let i = 0; i < 5000; i++) {
      const kind = Math.floor(rnd() * 3)
      if (kind === 0) {
        const total = 1 + Math.floor(rnd() * 65536)
        const cum = Math.floor(rnd() * total)
        const freq = 1 + Math.floor(rnd() * (total - cum))
        enc.encodeFreq(cum, freq, total)
        ops.push({ kind, a: cum, b: freq, c: total })
      } else if (kind === 1) {
        const n = 1 + Math.floor(rnd() * 32)
        const v = Math.floor(rnd() * 2 ** n)
        enc.encodeDirect(v, n)
        ops.push({ kind, a: v, b: n, c: 0 })
      } else {
        const p = 1 + Math.floor(rnd() * 65535)
        const bit = rnd() < 0.5 ? 1 : 0
        enc.encodeBit(p, bit)
        ops.push({ kind, a: p, b: bit, c: 0 })
      }
    }
    const dec = new RangeDecoder(enc.finish())
    for (const op of ops) {
      if (op.kind === 0) {
        const t = dec.decodeFreqTarget(op.c)
        expect(t >= op.a && t < op.a + op.b).toBe(true)
        dec.decodeFreqUpdate(op.a, op.b, op.c)
      } else if (op.kind === 1) expect(dec.decodeDirect(op.b)).toBe(op.a)
      else expect(dec.decodeBit(op.a)).toBe(op.b)
    }
  })

  it('ends streams with few octets (empty stream is empty) and costs close to the entropy', () => {
    expect(new RangeEncoder().finish().length).toBe(0)
    const m = new BitModels(1)
    const enc = new RangeEncoder()
    const rnd = prng(3)
    let ideal = 0
    for (let i = 0; i < 50000; i++) {
      const bit = rnd() < 0.02 ? 1 : 0
      m.encode(enc, 0, bit)
    }
    ideal = 50000 * -(0.02 * Math.log2(0.02) + 0.98 * Math.log2(0.98))
    const bytes = enc.finish().length
    expect(bytes * 8).toBeLessThan(ideal * 1.03 + 64)
    expect(Math.abs(m.cost - bytes * 8)).toBeLessThan(64)
  })

  it('a stream ending in a long run of near-certain decisions keeps enough zero octets to decode (found on a set-4 packet)', () => {
    for (const tail of [100, 2000, 20000]) {
      const enc = new RangeEncoder()
      enc.encodeBit(1 << 15, 1)
      enc.encodeBit(1 << 15, 0)
      for (let i = 0; i < tail; i++) enc.encodeBit(60000, 0)
      const bytes = enc.finish()
      const dec = new RangeDecoder(bytes)
      expect(dec.decodeBit(1 << 15)).toBe(1)
      expect(dec.decodeBit(1 << 15)).toBe(0)
      for (let i = 0; i < tail; i++) if (dec.decodeBit(60000) !== 0) throw new Error(`decision ${i} of the tail decoded as 1`)
      expect(dec.overrun).toBeLessThanOrEqual(16)
    }
    // and the bound still holds against a truncated stream: reading far past its end is an error
    const enc = new RangeEncoder()
    for (let i = 0; i < 4000; i++) enc.encodeBit(1 << 15, i % 3 === 0 ? 1 : 0)
    const cut = new RangeDecoder(enc.finish().slice(0, 10))
    expect(() => {
      for (let i = 0; i < 4000; i++) cut.decodeBit(1 << 15)
    }).toThrow(/read past its end/)
  })

  it('adaptive Exp-Golomb round-trips 0 .. 2^32-1 and enforces the decode cap', () => {
    const vals = [0, 1, 2, 3, 7, 8, 255, 256, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]
    const m = new BitModels(EG_MODELS)
    const enc = new RangeEncoder()
    for (const v of vals) encodeEG(m, enc, 0, v)
    const bytes = enc.finish()
    const d = new BitModels(EG_MODELS)
    const dec = new RangeDecoder(bytes)
    expect(vals.map(() => decodeEG(d, dec, 0, 2 ** 32))).toEqual(vals)
    const dec2 = new RangeDecoder(bytes)
    const d2 = new BitModels(EG_MODELS)
    expect(() => vals.map(() => decodeEG(d2, dec2, 0, 1000))).toThrow(GscError)
  })
})

describe('latent coder', () => {
  function rt(lat: Int32Array, C: number, h: number, w: number): number {
    const enc = new RangeEncoder()
    encodeLatents(enc, newLatentModels(), lat, C, h, w)
    const bytes = enc.finish()
    const out = decodeLatents(new RangeDecoder(bytes), newLatentModels(), C, h, w)
    expect(Array.from(out)).toEqual(Array.from(lat))
    return bytes.length
  }

  it('round-trips sparse, dense and extreme channels', () => {
    rt(sparseLatents(3 * 20 * 30, prng(4)), 3, 20, 30)
    const ext = new Int32Array(64)
    ext.set([2147483647, -2147483648, 0, 1, -1, 1 << 30, -(1 << 30)])
    rt(ext, 1, 8, 8)
    rt(new Int32Array(0), 0, 32, 48)
  })

  it('codes near-zero-entropy channels well below 0.6 bits/symbol and all-zero ones almost free', () => {
    const n = 48 * 32
    const bytes = rt(sparseLatents(n, prng(5), 0.93), 1, 32, 48)
    expect((bytes * 8) / n).toBeLessThan(0.6)
    expect(rt(new Int32Array(n), 1, 32, 48)).toBeLessThan(4)
  })

  it('uses neighbour context: spatially clustered latents cost less than the same values shuffled', () => {
    const h = 64
    const w = 64
    const lat = new Int32Array(h * w)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - 20) ** 2 + (y - 30) ** 2 < 200) lat[y * w + x] = 1 + ((x + y) % 3)
    const shuffled = lat.slice()
    const rnd = prng(6)
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1))
      ;[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
    }
    expect(rt(lat, 1, h, w)).toBeLessThan(rt(shuffled, 1, h, w) * 0.7)
  })
})
