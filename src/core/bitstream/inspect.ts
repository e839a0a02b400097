// Packet inspection for operators: every field that can be read, CRC status, and the first error.
// Never throws: a bad packet yields ok=false with the reason.
import { GscError, describeError } from '../util/errors'
import { crc32 } from './crc32'
import { PRIMARY_HEADER_OCTETS, readPrimaryHeader } from './ccsds'
import { CRC_OCTETS, checkFraming, decodeGscPacket, hex, storedCrc } from './gscPacket'
import { readHeader } from './gscHeader'
import type { PacketInspection } from './types'
import { DEFAULT_MAX_PIXELS } from './limits'
import { colourStep, textureStrength } from './colourCoder'

export interface InspectOptions {
  /**
   * false: check framing, CRC and the GSC header only (fast: what a capture reader needs);
   * true (default): also decode caption, latents and detections, and report the bits breakdown.
   */
  decode?: boolean
  /** With decode: the station's pixel limit (default 2048 x 2048, docs/bitstream.md 4.1): a packet announcing a
   *  larger image is reported with the limit's line and its payload is not decoded. */
  maxPixels?: number
  /** The packet's CRC-32, when the caller has already checked its framing and CRC (the capture reader's validLength):
   *  neither is checked again (most of a light inspection's cost after the GSC header). */
  checkedCrc?: number
}

export function inspectPacket(bytes: Uint8Array, opts: InspectOptions = {}): PacketInspection {
  const octets = bytes?.length ?? 0
  const r: PacketInspection = { ok: false, octets }
  try {
    if (octets >= PRIMARY_HEADER_OCTETS) r.primary = readPrimaryHeader(bytes)
    if (opts.checkedCrc === undefined) {
      checkFraming(bytes)
      r.crcStored = storedCrc(bytes)
      r.crcComputed = crc32(bytes, 0, octets - CRC_OCTETS)
    } else {
      r.crcStored = opts.checkedCrc
      r.crcComputed = opts.checkedCrc
    }
    r.crcOk = r.crcStored === r.crcComputed
    try {
      // The header is shown even when the CRC fails, flagged by crcOk=false.
      r.header = readHeader(bytes, PRIMARY_HEADER_OCTETS, octets - CRC_OCTETS).header
    } catch (e) {
      if (r.crcOk) throw e
    }
    if (opts.decode === false) {
      if (!r.crcOk) throw new GscError(`CRC mismatch: stored ${hex(r.crcStored)}, computed ${hex(r.crcComputed)}`)
      r.ok = true
      return r
    }
    const d = decodeGscPacket(bytes, { maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS })
    r.header = d.header
    r.caption = d.caption
    r.detections = d.detections.length
    r.bits = d.bits
    if (d.colour) {
      const k = d.colour.stepExponent
      r.colour = {
        lumaFactor: d.colour.lumaFactor,
        lumaStep: colourStep(d.header.quantStep, k),
        chromaStep: colourStep(d.header.quantStep, d.colour.chromaExponent ?? k),
        ...(d.colour.textureExponent !== undefined ? { textureStrength: textureStrength(d.colour.textureExponent) } : {})
      }
    }
    r.ok = true
  } catch (e) {
    r.error = describeError(e)
  }
  return r
}
