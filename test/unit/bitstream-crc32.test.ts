// CRC-32 (slicing by 4) against the standard check value and against the plain one-octet-a-step definition.
import { describe, expect, it } from 'vitest'
import { crc32 } from '../../src/core/bitstream/crc32'
import { prng } from '../fixtures/bitstreamFixtures'

/** The textbook bitwise CRC-32 (reflected, poly 0xEDB88320), one octet at a time. */
function bitwiseCrc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff
  for (let i = start; i < end; i++) {
    c ^= bytes[i]
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  }
  return (c ^ 0xffffffff) >>> 0
}

describe('crc32', () => {
  it('gives the standard check value and the empty CRC', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  it('equals the bitwise definition for every length 0..40 and random ranges of random octets', () => {
    const rnd = prng(5)
    const bytes = Uint8Array.from({ length: 5000 }, () => Math.floor(rnd() * 256))
    for (let n = 0; n <= 40; n++) for (let s = 0; s < 5; s++) expect(crc32(bytes, s, s + n)).toBe(bitwiseCrc32(bytes, s, s + n))
    for (let i = 0; i < 300; i++) {
      const s = Math.floor(rnd() * 2000)
      const e = s + Math.floor(rnd() * 3000)
      expect(crc32(bytes, s, e)).toBe(bitwiseCrc32(bytes, s, e))
    }
    expect(crc32(bytes)).toBe(bitwiseCrc32(bytes, 0, bytes.length))
  })
})
