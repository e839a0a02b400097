// Adaptive binary probability models with fast start-up adaptation (rate 1/(n+1.5) until a floor).
// Integer-only updates so encoder and decoder stay bit-exact everywhere.
import type { RangeDecoder, RangeEncoder } from './rangeCoder'
import { GscError } from '../util/errors'

// State precision: probabilities are kept with 28 bits so slow rates never stall; coding uses the top 16.
const STATE_BITS = 28
const STATE_ONE = 2 ** STATE_BITS
const RATE_ONE = 65536
const LIMIT = 255 // adapts at 1/(n+1.5) until ~1/256 (fixed: part of the format)
const RATES = (() => {
  const t = new Uint32Array(LIMIT + 1)
  for (let n = 0; n <= LIMIT; n++) t[n] = Math.floor((RATE_ONE * 2) / (2 * n + 3))
  return t
})()
const P_MIN = 31
const P_MAX = 65536 - 31
/** Fewest bits any adaptive binary decision can cost (probability clamped at P_MAX/65536). */
export const MIN_DECISION_BITS = 0.9 * -Math.log2(P_MAX / 65536)

/** -log2(p/65536) by p >> 4, for cost accounting only. */
const COST = (() => {
  const t = new Float64Array(4097)
  for (let i = 0; i <= 4096; i++) t[i] = -Math.log2(Math.max(i, 0.5) / 4096)
  return t
})()

/**
 * Trained starting states of a bank (part of a model set's wire, docs/bitstream.md 6.5): triples (model index, 16-bit
 * probability of bit 0, adaptation count n0), flattened. A model listed starts at that probability and adapts as if it
 * had already seen n0 bits (rate 1/(n0 + 1.5)); a model not listed starts at 1/2, n = 0.
 */
export type ModelStarts = readonly number[]

/** A bank of adaptive bit models addressed by context index. */
export class BitModels {
  readonly s: Float64Array // P(bit = 0) * 2^28, integer-valued
  readonly n: Uint8Array
  /** Ideal code length spent so far, in bits (accounting only; never affects coding). */
  cost = 0

  constructor(size: number, starts?: ModelStarts) {
    this.s = new Float64Array(size).fill(STATE_ONE / 2)
    this.n = new Uint8Array(size)
    if (starts) this.start(starts)
  }

  private start(starts: ModelStarts): void {
    if (starts.length % 3 !== 0) throw new GscError(`model starts must be triples, got ${starts.length} numbers`)
    for (let k = 0; k < starts.length; k += 3) {
      const [i, p16, n0] = [starts[k], starts[k + 1], starts[k + 2]]
      if (!Number.isInteger(i) || i < 0 || i >= this.s.length) throw new GscError(`model start for index ${i}, outside this bank of ${this.s.length}`)
      if (!Number.isInteger(p16) || p16 < P_MIN || p16 > P_MAX) throw new GscError(`model start probability ${p16} is outside ${P_MIN}..${P_MAX}`)
      if (!Number.isInteger(n0) || n0 < 0 || n0 > LIMIT) throw new GscError(`model start count ${n0} is outside 0..${LIMIT}`)
      this.s[i] = p16 * 4096
      this.n[i] = n0
    }
  }

  /** The 16-bit coding probability of bit 0 in context i. */
  p0(i: number): number {
    const p = Math.floor(this.s[i] / 4096)
    return p < P_MIN ? P_MIN : p > P_MAX ? P_MAX : p
  }

  private update(i: number, bit: number): void {
    const s = this.s[i]
    const r = RATES[this.n[i]]
    // exact integer arithmetic in doubles (products < 2^45)
    this.s[i] = bit === 0 ? s + Math.floor(((STATE_ONE - s) * r) / RATE_ONE) : s - Math.floor((s * r) / RATE_ONE)
    if (this.n[i] < LIMIT) this.n[i]++
  }

  encode(enc: RangeEncoder, i: number, bit: number): void {
    const p0 = this.p0(i)
    this.cost += COST[(bit === 0 ? p0 : 65536 - p0) >> 4]
    enc.encodeBit(p0, bit)
    this.update(i, bit)
  }

  decode(dec: RangeDecoder, i: number): number {
    const p0 = this.p0(i)
    const bit = dec.decodeBit(p0)
    this.cost += COST[(bit === 0 ? p0 : 65536 - p0) >> 4]
    this.update(i, bit)
    return bit
  }
}

/**
 * Adaptive Exp-Golomb code for non-negative integers up to 2^32 - 1:
 * unary exponent k (models base + i), then k mantissa bits (models per (k, position)).
 * Needs 33 + 33*32 models starting at `base`.
 */
export const EG_MODELS = 33 + 33 * 32
export const EG_MAX_EXP = 32

export function encodeEG(m: BitModels, enc: RangeEncoder, base: number, value: number): void {
  const v1 = value + 1
  let k = 0
  while (2 ** (k + 1) <= v1) k++
  for (let i = 0; i < k; i++) m.encode(enc, base + i, 1)
  if (k < EG_MAX_EXP) m.encode(enc, base + k, 0)
  const rest = v1 - 2 ** k
  for (let i = k - 1; i >= 0; i--) m.encode(enc, base + 33 + k * 32 + i, Math.floor(rest / 2 ** i) & 1)
}

export function decodeEG(m: BitModels, dec: RangeDecoder, base: number, maxValue: number): number {
  let k = 0
  while (k < EG_MAX_EXP && m.decode(dec, base + k) === 1) k++
  let rest = 0
  for (let i = k - 1; i >= 0; i--) rest = rest * 2 + m.decode(dec, base + 33 + k * 32 + i)
  const value = 2 ** k + rest - 1
  if (value > maxValue) throw new GscError(`corrupt payload: coded value ${value} exceeds ${maxValue}`)
  return value
}
