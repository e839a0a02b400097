// Which full colour thumbnails a packet of a mosaic set (4, 5) carries, chosen per image by decoding.
//
// The colour mosaic (always sent) already holds Y, Cb and Cr at 1/32. The full Y, Cb, Cr thumbnails at 1/16 score
// high in the channel rule, but each costs about as many bits as the mosaic, so at the small C budgets the packet
// that carries them fits only at a step 2-3x coarser: the thumbnails (and the mosaic) come out at two or three
// levels and the decoder draws flat, hard-edged patches in the wrong colours (kodim05 and the Irish setter at C = 4
// in docs/bench/latent-codec/ship-rule-thumbnail-choice.md). At larger budgets the same thumbnails are worth their
// bits. So the sender tries the rule's order, the order with the chroma thumbnails last, and the order with all
// thumbnails last, decodes each packet as the station will (plain decode, the header's seed), and keeps the one
// whose reconstruction has the lowest colour error against the image (CIEDE2000 at 1/8 scale, the bench's colour
// measure; ties keep the earlier order). The channel rule's SSIM ranking still orders every channel within each.
import { decodeGscPacket } from '../bitstream/gscPacket'
import { colourError } from '../analysis/perceptual'
import { regenerate } from './decoder'
import type { PackResult, PreparedImage } from './types'

/** Changes whenever the choice picks other packets for the same models (bench caches of sets with thumbnails key on it). */
export const THUMBNAIL_CHOICE_VERSION = 1

/**
 * The orderings the sender tries: the rule's ranking; then, where the set has full thumbnails (Y first, then the
 * chroma planes), the same ranking with the chroma thumbnails moved last, and with all of them moved last.
 * A set without thumbnails has its ranking alone.
 */
export function thumbnailRankings(ranking: readonly number[], thumbnails: readonly number[]): number[][] {
  if (thumbnails.length === 0) return [[...ranking]]
  const last = (moved: readonly number[]) => [...ranking.filter((c) => !moved.includes(c)), ...ranking.filter((c) => moved.includes(c))]
  return [[...ranking], last(thumbnails.slice(1)), last(thumbnails)]
}

/** The packing whose plain decode has the lowest colour error against the prepared image (the first on a tie). */
export async function chooseByColourError(prep: PreparedImage, packs: readonly PackResult[]): Promise<PackResult> {
  let best = packs[0]
  let bestError = Infinity
  for (const p of packs) {
    const rec = await regenerate(decodeGscPacket(p.packet), prep.models)
    const e = colourError(prep.image, rec.image)
    if (e < bestError) (best = p), (bestError = e)
  }
  return best
}
