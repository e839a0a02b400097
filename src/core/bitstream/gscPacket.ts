// One image = one CCSDS Space Packet: primary header, GSC header, one range-coded stream
// (caption, latents, detections), CRC-32. Normative description: docs/bitstream.md.
import { GscError, isGscError, describeError } from '../util/errors'
import { crc32 } from './crc32'
import { MAX_DATA_FIELD_OCTETS, PRIMARY_HEADER_OCTETS, packetOctets, readPrimaryHeader, writePrimaryHeader, type PrimaryHeader } from './ccsds'
import { latentShape, readHeader, validateHeader, writeHeader } from './gscHeader'
import { decodeDetections, encodeDetections } from './detectionsCoder'
import { RangeDecoder, RangeEncoder } from '../entropy/rangeCoder'
import { MIN_DECISION_BITS } from '../entropy/bitModels'
import { decodeLatents, encodeLatents, newLatentModels } from '../entropy/latentCoder'
import { decodeCaption, encodeCaption } from '../entropy/captionCoder'
import { checkPixelLimit } from './limits'
import { fromPredictionResiduals, toPredictionResiduals, uncodedMask } from './latentPrediction'
import { checkColourChannels, colourThumbnailOf, colourValueCount } from './colourThumbnail'
import { decodeColourThumbnail, encodeColourThumbnail, newColourModels } from './colourCoder'
import type { BitsBreakdown, DecodedGscPacket, GscPayload } from './types'

export type { CaptionMode, GscHeader, TransmittedDetection, GscPayload, DecodedGscPacket, BitsBreakdown, PacketInspection } from './types'
export type { PrimaryHeader } from './ccsds'
export { GSC_FORMAT_VERSION, MAX_DIMENSION, MAX_CHANNELS, wireQuantStep, latentShape } from './gscHeader'
export { quantizeDetection } from './detectionsCoder'

export const CRC_OCTETS = 4
/** Smallest possible packet: primary header + version octet + 5 header octets + CRC. */
export const MIN_PACKET_OCTETS = PRIMARY_HEADER_OCTETS + 1 + 5 + CRC_OCTETS

/** Splits the range-coded stream's octets among sections in proportion to their ideal code lengths. */
function breakdown(octets: number, headerOctets: number, costs: { caption: number; latents: number; detections: number }): BitsBreakdown {
  const header = (PRIMARY_HEADER_OCTETS + headerOctets + CRC_OCTETS) * 8
  const total = octets * 8
  const stream = total - header
  const sum = costs.caption + costs.latents + costs.detections
  const share = (c: number) => (sum > 0 ? Math.round((stream * c) / sum) : 0)
  const caption = share(costs.caption)
  const detections = share(costs.detections)
  return { header, caption, latents: stream - caption - detections, detections, total }
}

export function encodeGscPacket(p: GscPayload, framing: { apid: number; sequenceCount: number }): Uint8Array {
  const h = p.header
  validateHeader(h)
  const { h: lh, w: lw } = latentShape(h.width, h.height)
  const C = h.channelIndices.length
  if (!(p.latents instanceof Int32Array)) throw new GscError('latents must be an Int32Array')
  if (p.latents.length !== C * lh * lw) throw new GscError(`latents have ${p.latents.length} values, expected C x ceil(H/16) x ceil(W/16) = ${C}x${lh}x${lw} = ${C * lh * lw}`)
  const detections = p.detections ?? []
  if (!h.hasDetections && detections.length > 0) throw new GscError('detections given but header.hasDetections is false')
  if (typeof p.caption !== 'string') throw new GscError('caption must be a string')
  checkColourChannels(h.modelId, h.channelIndices)
  const colourLayout = colourThumbnailOf(h.modelId, h.channelIndices)
  const hasColour = colourLayout !== undefined
  if (hasColour !== (p.colour !== undefined))
    throw new GscError(hasColour ? `model set ${h.modelId} with channel 0 listed needs its colour thumbnail (docs/bitstream.md 6.4)` : 'a colour thumbnail was given for a packet that does not carry one')

  const headerBytes = writeHeader(h)
  const enc = new RangeEncoder()
  encodeCaption(enc, h.captionMode, p.caption)
  if (p.colour && colourLayout) encodeColourThumbnail(enc, newColourModels(h.modelId), p.colour, colourLayout, lh, lw)
  const lm = newLatentModels(h.modelId)
  const uncoded = uncodedMask(h.modelId, h.channelIndices, lh, lw)
  encodeLatents(enc, lm, toPredictionResiduals(h.modelId, h.channelIndices, p.latents, lh, lw), C, lh, lw, uncoded)
  if (h.hasDetections) encodeDetections(enc, detections)
  const stream = enc.finish()

  const dataField = headerBytes.length + stream.length + CRC_OCTETS
  if (dataField > MAX_DATA_FIELD_OCTETS) throw new GscError(`packet data field would be ${dataField} octets, more than the ${MAX_DATA_FIELD_OCTETS} a space packet carries`)
  const out = new Uint8Array(PRIMARY_HEADER_OCTETS + dataField)
  writePrimaryHeader(out, { version: 0, type: 0, secondaryHeaderFlag: 0, apid: framing.apid, sequenceFlags: 3, sequenceCount: framing.sequenceCount, dataFieldOctets: dataField })
  out.set(headerBytes, PRIMARY_HEADER_OCTETS)
  out.set(stream, PRIMARY_HEADER_OCTETS + headerBytes.length)
  const crc = crc32(out, 0, out.length - CRC_OCTETS)
  new DataView(out.buffer).setUint32(out.length - CRC_OCTETS, crc, false)
  return out
}

/** Checks framing (primary header fields and length); returns the primary header. */
export function checkFraming(bytes: Uint8Array): PrimaryHeader {
  if (bytes.length === 0) throw new GscError('empty packet')
  if (bytes.length < PRIMARY_HEADER_OCTETS) throw new GscError(`truncated packet: ${bytes.length} octets, a primary header needs ${PRIMARY_HEADER_OCTETS}`)
  const primary = readPrimaryHeader(bytes)
  if (primary.version !== 0) throw new GscError(`not a CCSDS space packet: version ${primary.version} (expected 0)`)
  if (primary.type !== 0) throw new GscError('not a GSC telemetry packet: packet type is telecommand')
  if (primary.secondaryHeaderFlag !== 0) throw new GscError('unexpected secondary header flag (GSC packets have none)')
  if (primary.sequenceFlags !== 3) throw new GscError(`segmented packet (sequence flags ${primary.sequenceFlags.toString(2).padStart(2, '0')}), GSC packets are unsegmented (11)`)
  const n = packetOctets(primary)
  if (bytes.length < n) throw new GscError(`truncated packet: length field says ${n} octets, only ${bytes.length} present`)
  if (bytes.length > n) throw new GscError(`wrong length: length field says ${n} octets but ${bytes.length} were given`)
  if (n < MIN_PACKET_OCTETS) throw new GscError(`packet too short for a GSC packet: ${n} octets (minimum ${MIN_PACKET_OCTETS})`)
  return primary
}

export function storedCrc(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - CRC_OCTETS, false)
}

export interface PacketDecodeOptions {
  /** A station's pixel limit (limits.ts, docs/bitstream.md 4.1), checked on the header before the latents are
   *  allocated; default none beyond the wire caps (an encoder checking its own packet). */
  maxPixels?: number
}

export function decodeGscPacket(bytes: Uint8Array, opts: PacketDecodeOptions = {}): DecodedGscPacket {
  if (!(bytes instanceof Uint8Array)) throw new GscError('packet must be bytes')
  const primary = checkFraming(bytes)
  const stored = storedCrc(bytes)
  const computed = crc32(bytes, 0, bytes.length - CRC_OCTETS)
  if (stored !== computed) {
    const v = bytes[PRIMARY_HEADER_OCTETS]
    const hint = v !== 1 ? ` (format version octet reads ${v})` : ''
    throw new GscError(`CRC mismatch: stored ${hex(stored)}, computed ${hex(computed)}${hint}`)
  }
  try {
    return decodeBody(bytes, primary, opts.maxPixels)
  } catch (e) {
    if (isGscError(e)) throw e
    throw new GscError(`corrupt packet: ${describeError(e)}`)
  }
}

function decodeBody(bytes: Uint8Array, primary: PrimaryHeader, maxPixels: number | undefined): DecodedGscPacket {
  const end = bytes.length - CRC_OCTETS
  const { header, next } = readHeader(bytes, PRIMARY_HEADER_OCTETS, end)
  const { h: lh, w: lw } = latentShape(header.width, header.height)
  const C = header.channelIndices.length
  // Every carried latent costs at least one binary decision of >= MIN_DECISION_BITS, so a payload of n
  // octets cannot hold more than this many latents: refuse absurd sizes before allocating. (A layout's empty cells,
  // at most a quarter of a channel, are not carried: counting channels at 3/4 keeps the bound safe.)
  // A packet listing a channel its set's colour thumbnail carries is refused before anything is decoded (6.4); the
  // thumbnail's coefficients (three planes for one listed channel, at the set's smallest luma factor: the packet says
  // which it took only inside the payload) count as its channel's latents do.
  checkColourChannels(header.modelId, header.channelIndices)
  const colourLayout = colourThumbnailOf(header.modelId, header.channelIndices)
  const maxLatents = Math.floor(((end - next + 24) * 8) / MIN_DECISION_BITS)
  const claimed = Math.floor((C * lh * lw * 3) / 4) + (colourLayout ? colourValueCount(Math.min(...colourLayout.lumaFactors), lh, lw) : 0)
  if (claimed > maxLatents) throw new GscError(`corrupt packet: header claims ${C}x${lh}x${lw} latents, more than its ${end - next}-octet payload can hold`)
  if (maxPixels !== undefined) checkPixelLimit(header, maxPixels)
  const dec = new RangeDecoder(bytes, next, end)
  const cap = decodeCaption(dec, header.captionMode)
  // the thumbnail's bank (about 19,000 models) only for a packet that carries one: every packet decode passes here
  const cm = colourLayout ? newColourModels(header.modelId) : undefined
  const colour = cm && colourLayout ? decodeColourThumbnail(dec, cm, colourLayout, lh, lw) : undefined
  const lm = newLatentModels(header.modelId)
  const uncoded = uncodedMask(header.modelId, header.channelIndices, lh, lw)
  const latents = fromPredictionResiduals(header.modelId, header.channelIndices, decodeLatents(dec, lm, C, lh, lw, uncoded), lh, lw)
  const det = header.hasDetections ? decodeDetections(dec) : { detections: [], cost: 0 }
  const bits = breakdown(bytes.length, next - PRIMARY_HEADER_OCTETS, { caption: cap.cost, latents: (cm?.cost ?? 0) + lm.cost, detections: det.cost })
  return { header, caption: cap.caption, latents, detections: det.detections, primary, bits, ...(colour ? { colour } : {}) }
}

export function hex(v: number): string {
  return '0x' + v.toString(16).padStart(8, '0')
}
