// Model set 30's synthesised texture in a reconstruction request: whether a request's `texture: false` means anything
// for its packet, and what a decode served from a stored picture says of the grain.
import { COLOUR_THUMBNAIL_SETS } from '../bitstream/colourThumbnail'
import { textureStrength } from '../bitstream/colourCoder'
import type { DecodedGscPacket } from '../bitstream/types'
import type { TextureInfo } from '../../shared/api'

/**
 * `false` where the request leaves the grain out of a packet whose set draws it, else undefined (the default). For any
 * other set it changes no pixel, and kept it would give the same picture a second key in the decode caches (the
 * planner's log estimate looks up the plain one).
 */
export function textureOption(texture: boolean | undefined, header: Record<string, unknown> | null | undefined): false | undefined {
  if (texture !== false) return undefined
  return COLOUR_THUMBNAIL_SETS[Number(header?.modelId)]?.texture ? false : undefined
}

/**
 * The grain a packet asks for and whether a decode with this option drew it, as the decoder reports it
 * (decoder.ts regenerateOnePass): for a picture read back from the shared decode cache, which keeps only pixels.
 */
export function textureOfPacket(packet: Pick<DecodedGscPacket, 'colour'>, texture: boolean | undefined): TextureInfo | undefined {
  const t = packet.colour?.textureExponent
  return t === undefined ? undefined : { strength: textureStrength(t), drawn: t > 0 && texture !== false }
}
