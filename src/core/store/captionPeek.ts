// Reads just the caption of a packet whose CRC is already known good: the caption is the first
// thing in the range-coded stream after the GSC header (docs/bitstream.md), so the latents need not
// be decoded. Used to fill the packets.caption column lazily, since capture readers skip it for speed.
import { PRIMARY_HEADER_OCTETS } from '../bitstream/ccsds'
import { readHeader } from '../bitstream/gscHeader'
import { CRC_OCTETS, decodeGscPacket } from '../bitstream/gscPacket'
import { RangeDecoder } from '../entropy/rangeCoder'
import { decodeCaption } from '../entropy/captionCoder'

/** The caption, or null when it cannot be read (the packet is then not decodable either). */
export function peekCaption(bytes: Uint8Array): string | null {
  try {
    const end = bytes.length - CRC_OCTETS
    const { header, next } = readHeader(bytes, PRIMARY_HEADER_OCTETS, end)
    if (header.captionMode === 'none') return ''
    return decodeCaption(new RangeDecoder(bytes, next, end), header.captionMode).caption
  } catch {
    try {
      return decodeGscPacket(bytes).caption // the long way, in case the layout ever differs
    } catch {
      return null
    }
  }
}
