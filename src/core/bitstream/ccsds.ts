// CCSDS Space Packet primary header (CCSDS 133.0-B-2): 6 octets, big-endian.
import { GscError } from '../util/errors'

export const PRIMARY_HEADER_OCTETS = 6
/** The 16-bit length field allows at most 65536 octets of data field. */
export const MAX_DATA_FIELD_OCTETS = 65536
export const MAX_APID = 0x7ff
export const IDLE_APID = 0x7ff
export const SEQUENCE_MODULO = 1 << 14

export interface PrimaryHeader {
  version: number // 3 bits, always 0
  type: number // 1 bit, 0 = telemetry
  secondaryHeaderFlag: number // 1 bit
  apid: number // 11 bits
  sequenceFlags: number // 2 bits, 0b11 = unsegmented
  sequenceCount: number // 14 bits
  dataLength: number // data field octets - 1
}

export function writePrimaryHeader(out: Uint8Array, h: Omit<PrimaryHeader, 'dataLength'> & { dataFieldOctets: number }): void {
  if (!Number.isInteger(h.apid) || h.apid < 0 || h.apid > MAX_APID) throw new GscError(`APID must be 0..${MAX_APID}, got ${h.apid}`)
  if (!Number.isInteger(h.sequenceCount) || h.sequenceCount < 0 || h.sequenceCount >= SEQUENCE_MODULO)
    throw new GscError(`sequence count must be 0..${SEQUENCE_MODULO - 1}, got ${h.sequenceCount}`)
  if (h.dataFieldOctets < 1 || h.dataFieldOctets > MAX_DATA_FIELD_OCTETS)
    throw new GscError(`packet data field must be 1..${MAX_DATA_FIELD_OCTETS} octets, got ${h.dataFieldOctets}`)
  const w0 = ((h.version & 7) << 13) | ((h.type & 1) << 12) | ((h.secondaryHeaderFlag & 1) << 11) | h.apid
  const w1 = ((h.sequenceFlags & 3) << 14) | h.sequenceCount
  const len = h.dataFieldOctets - 1
  out[0] = w0 >>> 8
  out[1] = w0 & 0xff
  out[2] = w1 >>> 8
  out[3] = w1 & 0xff
  out[4] = len >>> 8
  out[5] = len & 0xff
}

export function readPrimaryHeader(bytes: Uint8Array, offset = 0): PrimaryHeader {
  if (bytes.length - offset < PRIMARY_HEADER_OCTETS)
    throw new GscError(`truncated packet: ${bytes.length - offset} octets, a primary header needs ${PRIMARY_HEADER_OCTETS}`)
  const w0 = (bytes[offset] << 8) | bytes[offset + 1]
  const w1 = (bytes[offset + 2] << 8) | bytes[offset + 3]
  return {
    version: w0 >>> 13,
    type: (w0 >>> 12) & 1,
    secondaryHeaderFlag: (w0 >>> 11) & 1,
    apid: w0 & 0x7ff,
    sequenceFlags: w1 >>> 14,
    sequenceCount: w1 & 0x3fff,
    dataLength: (bytes[offset + 4] << 8) | bytes[offset + 5]
  }
}

/** Total octets of the packet whose primary header starts at offset. */
export function packetOctets(h: PrimaryHeader): number {
  return PRIMARY_HEADER_OCTETS + h.dataLength + 1
}

/** Whether bytes are exactly one CCSDS space packet by its primary header (version 0, length field = length). */
export function isOnePacket(bytes: Uint8Array): boolean {
  if (bytes.length < PRIMARY_HEADER_OCTETS + 1 || bytes[0] >> 5 !== 0) return false
  return PRIMARY_HEADER_OCTETS + ((bytes[4] << 8) | bytes[5]) + 1 === bytes.length
}
