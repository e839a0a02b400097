// Decoded pictures of a folder of photos at one C for several model sets, as PNG per set (for grid_profile.py): one
// packet per photo and set, as `gsc encode --captioner none` writes it, decoded as the station decodes it.
// Usage: npx tsx training/eval/grid_decodes.ts PHOTOS OUT C SET...   (writes OUT/<set>/<photo>.png)
import { mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../src/core/codec/prepare'
import { packChannels } from '../../src/core/codec/packing'
import { decodePacket } from '../../src/core/codec/decoder'
import { readImage, writePng } from '../../src/core/image/rgbImage'

const [photos, out, c, ...sets] = process.argv.slice(2)
if (!photos || !out || !c || sets.length === 0) throw new Error('usage: grid_decodes.ts PHOTOS OUT C SET...')
for (const s of sets) mkdirSync(path.join(out, s), { recursive: true })
for (const f of readdirSync(photos).filter((x) => /\.png$/i.test(x)).sort()) {
  const img = await readImage(path.join(photos, f))
  for (const s of sets) {
    const prep = await prepareImage(img, { modelSet: Number(s), captioner: 'none' })
    const { packet } = await packChannels(prep, Number(c))
    await writePng((await decodePacket(packet)).image, path.join(out, s, f))
  }
}
