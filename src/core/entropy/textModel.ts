// Text model for captionMode 'static'. Provisional: adaptive order-1 binary byte model with an
// end-of-text flag per octet. Replaced by the shipped static model (same exported signatures).
import { GscError } from '../util/errors'
import { BitModels } from './bitModels'
import type { RangeDecoder, RangeEncoder } from './rangeCoder'

function models(): BitModels {
  return new BitModels(257 + 256 * 256)
}

export function encodeStaticText(enc: RangeEncoder, octets: Uint8Array): number {
  const m = models()
  let prev = 0
  for (const b of octets) {
    m.encode(enc, prev, 0)
    let node = 1
    for (let i = 7; i >= 0; i--) {
      const bit = (b >> i) & 1
      m.encode(enc, 257 + prev * 256 + node, bit)
      node = node * 2 + bit
    }
    prev = b
  }
  m.encode(enc, prev, 1)
  return m.cost
}

export function decodeStaticText(dec: RangeDecoder, maxOctets: number): { octets: Uint8Array; cost: number } {
  const m = models()
  const out: number[] = []
  let prev = 0
  while (m.decode(dec, prev) === 0) {
    if (out.length >= maxOctets) throw new GscError(`corrupt caption: longer than ${maxOctets} octets`)
    let node = 1
    for (let i = 0; i < 8; i++) node = node * 2 + m.decode(dec, 257 + prev * 256 + node)
    prev = node - 256
    out.push(prev)
  }
  return { octets: Uint8Array.from(out), cost: m.cost }
}
