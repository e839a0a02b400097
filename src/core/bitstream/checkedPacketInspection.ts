// The light inspection (inspectPacket with decode off) of a packet whose framing and CRC the capture reader has already
// checked: the same object, field for field and in the same key order, without checking the framing or computing the
// CRC a second time (most of a light inspection's cost after the GSC header; issue 18).
import { describeError } from '../util/errors'
import { PRIMARY_HEADER_OCTETS, readPrimaryHeader } from './ccsds'
import { readHeader } from './gscHeader'
import { CRC_OCTETS } from './gscPacket'
import type { PacketInspection } from './types'

/**
 * bytes: exactly one packet that passed the capture reader's validLength (version 0, telemetry, no secondary header,
 * unsegmented, its length field's length, at least MIN_PACKET_OCTETS); crc: its CRC-32, stored and computed alike.
 */
export function inspectCheckedPacket(bytes: Uint8Array, crc: number): PacketInspection {
  const octets = bytes.length
  const r: PacketInspection = { ok: false, octets, primary: readPrimaryHeader(bytes), crcStored: crc, crcComputed: crc, crcOk: true }
  try {
    r.header = readHeader(bytes, PRIMARY_HEADER_OCTETS, octets - CRC_OCTETS).header
    r.ok = true
  } catch (e) {
    r.error = describeError(e)
  }
  return r
}
