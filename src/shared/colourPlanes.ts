// How a packet's colour planes read to a person, one line: `gsc inspect` and the Image view's packet details say the same.
import type { ColourPlanes } from './api'

const tenth = (v: number) => Math.round(v * 10) / 10

/** e.g. "luma 1/4 step 352, chroma 1/16 step 176": the planes' scales and the steps the sender quantised them with. */
export function colourPlanesText(c: ColourPlanes): string {
  return `luma 1/${16 / c.lumaFactor} step ${tenth(c.lumaStep)}, chroma 1/16 step ${tenth(c.chromaStep)}`
}
