// How set 30's synthesised texture is named in the Image view: the grain is invented where the original had fine detail
// (its amount is sent, its pattern is the seed's), so the view says so wherever it is drawn.
import type { TextureInfo } from '../../../../shared/api'

/** The grain's strength as the packet states it (as `gsc inspect` writes it). */
const strengthText = (t: TextureInfo) => String(+t.strength.toFixed(3))

/** Whether the view offers the texture switch: only a packet that asks for grain. */
export const hasTexture = (t: TextureInfo | undefined): t is TextureInfo => !!t && t.strength > 0

/** The line beside the switch, honest about what the shown picture holds. */
export function textureMarker(t: TextureInfo): string {
  return t.drawn
    ? `Synthesised texture: grain drawn where the original had fine detail (not transmitted; strength ${strengthText(t)})`
    : `Synthesised texture left out: only what the packet determines (it asks for grain of strength ${strengthText(t)})`
}

/** The reconstruction panel's label suffix while grain is drawn in it. */
export const textureLabel = (t: TextureInfo | undefined) => (t?.drawn ? ' · synthesised texture' : '')

/** The packet details row: the grain the packet asks for, and whether the shown picture has it. */
export function textureRow(t: TextureInfo): string {
  return t.strength > 0 ? `${strengthText(t)} (${t.drawn ? 'drawn' : 'not drawn'})` : 'none'
}
