// MSB-first bit packing for the GSC header: fixed-width fields and Exp-Golomb (ue) codes.
import { GscError } from '../util/errors'

export class BitWriter {
  private bytes: number[] = []
  private acc = 0
  private nbits = 0

  /** Writes the low n bits of value (n <= 32, value a non-negative integer). */
  bits(value: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | (Math.floor(value / 2 ** i) & 1)
      if (++this.nbits === 8) {
        this.bytes.push(this.acc)
        this.acc = 0
        this.nbits = 0
      }
    }
  }

  /** Order-0 Exp-Golomb: small values are short (0 -> '1', 1 -> '010', 2 -> '011', ...). */
  ue(value: number): void {
    const v1 = value + 1
    let k = 0
    while (2 ** (k + 1) <= v1) k++
    this.bits(0, k)
    this.bits(v1, k + 1)
  }

  /** Pads with zero bits to the next octet and returns the octets. */
  finish(): Uint8Array {
    if (this.nbits > 0) this.bits(0, 8 - this.nbits)
    return Uint8Array.from(this.bytes)
  }
}

export class BitReader {
  private pos: number // bit position
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number
  ) {
    this.pos = start * 8
  }

  bit(): number {
    if (this.pos >= this.end * 8) throw new GscError('truncated GSC header')
    const b = (this.bytes[this.pos >> 3] >> (7 - (this.pos & 7))) & 1
    this.pos++
    return b
  }

  bits(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) v = v * 2 + this.bit()
    return v
  }

  ue(maxValue: number, field: string): number {
    let k = 0
    while (this.bit() === 0) {
      if (++k > 32) throw new GscError(`corrupt GSC header: ${field} code too long`)
    }
    const v = 2 ** k + this.bits(k) - 1
    if (v > maxValue) throw new GscError(`GSC header ${field} = ${v} exceeds the cap ${maxValue}`)
    return v
  }

  /** Skips the zero padding to the next octet; returns the octet offset after the header. */
  finish(): number {
    while (this.pos & 7) if (this.bit() !== 0) throw new GscError('corrupt GSC header: non-zero padding')
    return this.pos >> 3
  }
}
