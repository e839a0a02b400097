// Wire-level types shared by the packet encoder/decoder, inspector and capture reader.
import type { PrimaryHeader } from './ccsds'
import type { ColourThumbnailPayload } from './colourCoder'

export type CaptionMode = 'none' | 'static' | 'utf8'

export interface GscHeader {
  formatVersion: number
  width: number
  height: number
  modelId: number
  latentChannels: number // 320 for the shipped codec
  channelIndices: number[] // C <= 64, each < latentChannels
  quantStep: number
  steps: number
  seed: number
  captionMode: CaptionMode
  hasDetections: boolean
}

export interface TransmittedDetection {
  classId: number // 0..79 COCO (0..127 on the wire)
  score: number // 0..1
  box: [number, number, number, number] // x1,y1,x2,y2 normalized 0..1
}

export interface GscPayload {
  header: GscHeader
  caption: string
  latents: Int32Array // C x ceil(H/16) x ceil(W/16), channel-major, quantized integers
  detections: TransmittedDetection[]
  /** Set 22's colour thumbnail (docs/bitstream.md 6.4): present exactly when the set has one and the packet lists its
   *  channel, whose slot in `latents` then stays 0 (not carried). */
  colour?: ColourThumbnailPayload
}

export interface BitsBreakdown {
  /** Primary header + GSC header + CRC (framing overhead). */
  header: number
  caption: number
  latents: number
  detections: number
  /** 8 x packet octets. */
  total: number
}

export type DecodedGscPacket = GscPayload & { primary: PrimaryHeader; bits: BitsBreakdown }

export interface PacketInspection {
  ok: boolean
  error?: string
  octets: number
  primary?: PrimaryHeader
  header?: GscHeader
  crcOk?: boolean
  crcStored?: number
  crcComputed?: number
  caption?: string
  detections?: number
  bits?: BitsBreakdown
  /** Sets 22, 27, 28, 30 with channel 0 listed (docs/bitstream.md 6.4): the colour thumbnail's luma factor (samples per
   *  latent cell side: 4 = a luma plane at 1/4 scale) and the luma and chroma steps it was quantised with. */
  colour?: ColourSummary
}

export interface ColourSummary {
  lumaFactor: number
  lumaStep: number
  chromaStep: number
  /** Set 30: the strength of the grain the packet asks the station to draw (0: none). */
  textureStrength?: number
}
