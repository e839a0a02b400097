// 32-bit binary/multi-symbol range coder (LZMA-style carry propagation), integers only.
// Bit-exact on every machine: all arithmetic stays below 2^53 and uses no floating-point division
// results except Math.floor of exact integer quotients.
import { GscError } from '../util/errors'

/** Probabilities are 16-bit: p0 in [1, 65535] is P(bit = 0) * 65536. */
export const PROB_BITS = 16
export const PROB_ONE = 1 << PROB_BITS
const TOP = 1 << 24
const TWO32 = 0x100000000
/** Octets a decoder may read past the end of a stream (as zeros) before it calls the stream corrupt. */
export const MAX_OVERRUN = 16
/** The most trailing zero octets finish() drops; the decoder reads at most this many past the end. */
export const MAX_DROPPED_ZEROS = MAX_OVERRUN
/** Largest total for multi-symbol coding (keeps range/total >= 256). */
export const MAX_TOTAL = 1 << 16

export class RangeEncoder {
  private low = 0 // < 2^33 (bit 32 = pending carry)
  private range = 0xffffffff
  private cache = 0
  private cacheSize = 1
  private skipFirst = true // LZMA's first output byte is always 0: we never send it
  private buf = new Uint8Array(256)
  private pos = 0

  private emit(b: number): void {
    if (this.skipFirst) {
      this.skipFirst = false
      return
    }
    if (this.pos === this.buf.length) {
      const n = new Uint8Array(this.buf.length * 2)
      n.set(this.buf)
      this.buf = n
    }
    this.buf[this.pos++] = b
  }

  private shiftLow(): void {
    if (this.low < 0xff000000 || this.low >= TWO32) {
      const carry = this.low >= TWO32 ? 1 : 0
      let temp = this.cache
      do {
        this.emit((temp + carry) & 0xff)
        temp = 0xff
      } while (--this.cacheSize !== 0)
      this.cache = Math.floor(this.low / TOP) & 0xff
    }
    this.cacheSize++
    this.low = (this.low % TOP) * 256
  }

  private normalize(): void {
    while (this.range < TOP) {
      this.range *= 256
      this.shiftLow()
    }
  }

  /** Codes one bit with P(bit=0) = p0 / 65536. */
  encodeBit(p0: number, bit: number): void {
    const bound = (this.range >>> PROB_BITS) * p0
    if (bit === 0) this.range = bound
    else {
      this.low += bound
      this.range -= bound
    }
    this.normalize()
  }

  /** Equiprobable bits, most significant first (n <= 32). */
  encodeDirect(value: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.encodeBit(PROB_ONE >>> 1, Math.floor(value / 2 ** i) & 1)
  }

  /** Codes a symbol occupying [cum, cum+freq) of total (total <= 65536). */
  encodeFreq(cum: number, freq: number, total: number): void {
    const r = Math.floor(this.range / total)
    this.low += r * cum
    this.range = cum + freq === total ? this.range - r * cum : r * freq
    this.normalize()
  }

  /** Octets written so far plus those still pending (for accounting). */
  get approxBytes(): number {
    return this.pos + this.cacheSize
  }

  /** Ends the stream with the fewest octets: the decoder reads zeros past the end. */
  finish(): Uint8Array {
    // Pick the value in [low, low + range) with the most trailing zero bits.
    const hi = this.low + this.range
    for (let s = 32; s >= 0; s--) {
      const unit = 2 ** s
      const v = Math.ceil(this.low / unit) * unit
      if (v < hi) {
        this.low = v
        break
      }
    }
    for (let i = 0; i < 5; i++) this.shiftLow()
    // Trailing zero octets are dropped (the decoder reads zeros there), but at most MAX_DROPPED_ZEROS of them: the
    // decoder refuses a stream it must read more than MAX_OVERRUN octets past (a long tail of near-certain zero
    // decisions ends in a run of zero octets longer than that).
    let end = this.pos
    while (end > 0 && this.buf[end - 1] === 0 && this.pos - end < MAX_DROPPED_ZEROS) end--
    return this.buf.slice(0, end)
  }
}

export class RangeDecoder {
  private range = 0xffffffff
  private code = 0
  private pos: number
  /** Octets read beyond the stream (zeros); more than MAX_OVERRUN means a corrupt stream. */
  overrun = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly start = 0,
    private readonly end = bytes.length
  ) {
    this.pos = start
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.next()
    if (this.code >= this.range) throw new GscError('corrupt entropy-coded payload (bad start)')
  }

  private next(): number {
    if (this.pos < this.end) return this.bytes[this.pos++]
    this.overrun++
    if (this.overrun > MAX_OVERRUN) throw new GscError('corrupt entropy-coded payload: read past its end')
    return 0
  }

  /** Octets consumed so far (for accounting). */
  get consumed(): number {
    return Math.min(this.pos, this.end) - this.start
  }

  private normalize(): void {
    while (this.range < TOP) {
      this.range *= 256
      this.code = this.code * 256 + this.next()
    }
  }

  decodeBit(p0: number): number {
    const bound = (this.range >>> PROB_BITS) * p0
    let bit: number
    if (this.code < bound) {
      this.range = bound
      bit = 0
    } else {
      this.code -= bound
      this.range -= bound
      bit = 1
    }
    this.normalize()
    return bit
  }

  decodeDirect(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) v = v * 2 + this.decodeBit(PROB_ONE >>> 1)
    return v
  }

  private r = 0
  /** First half of a multi-symbol decode: returns a value in [0, total) to look up. */
  decodeFreqTarget(total: number): number {
    this.r = Math.floor(this.range / total)
    const v = Math.floor(this.code / this.r)
    return v < total ? v : total - 1
  }

  /** Second half: consume the symbol found for the target. */
  decodeFreqUpdate(cum: number, freq: number, total: number): void {
    this.code -= this.r * cum
    this.range = cum + freq === total ? this.range - this.r * cum : this.r * freq
    if (this.code >= this.range || this.code < 0) throw new GscError('corrupt entropy-coded payload')
    this.normalize()
  }
}
