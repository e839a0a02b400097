// The packet parameters a colour-thumbnail set's encoder picks at each C on training photos (every 12th of each
// training folder with a short side >= 192, 46 photos, packed as the product packs them, no caption): the distribution
// a decoder for that wire trains on (config step_table).
//   set 22: [packet step, colour step exponent k]                     -> training/configs/set22_wire_steps.json
//   set 28: [packet step, k, luma factor, chroma step exponent j]     -> training/configs/set28_wire_steps.json
// Usage: npx tsx training/latent/wire_steps.ts [SET] > training/configs/setSET_wire_steps.json   (SET: 22 or 28)
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareImage } from '../../src/core/codec/prepare'
import { packChannels } from '../../src/core/codec/packing'
import { readImage } from '../../src/core/image/rgbImage'
import { decodeGscPacket } from '../../src/core/bitstream/gscPacket'

const set = Number(process.argv[2] ?? 22)
if (set !== 22 && set !== 28) {
  process.stderr.write(`gsc: wire_steps.ts: set ${process.argv[2]} has no colour-thumbnail table (22 or 28)\n`)
  process.exit(2)
}
const TRAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data', 'train')
const FOLDERS = ['sun_hays80', 'imagenet_samples', 'imagenet_samples_2', 'bsds500/train']
const CS = [1, 2, 4, 8, 16]
const table: Record<string, number[][]> = Object.fromEntries(CS.map((c) => [String(c), []]))
const photos: string[] = []
for (const folder of FOLDERS) {
  const files = readdirSync(path.join(TRAIN, folder)).filter((f) => /\.jpe?g$/i.test(f)).sort()
  for (let i = 1; i < files.length; i += Math.ceil(files.length / 12)) photos.push(path.join(folder, files[i]))
}
let used = 0
for (const rel of photos) {
  const img = await readImage(path.join(TRAIN, rel))
  if (Math.min(img.width, img.height) < 192) continue
  used++
  const prep = await prepareImage(img, { modelSet: set, captioner: 'none' })
  for (const c of CS) {
    const p = decodeGscPacket((await packChannels(prep, c)).packet)
    const k = p.colour?.stepExponent ?? 0
    table[String(c)].push(set === 22 ? [p.header.quantStep, k] : [p.header.quantStep, k, p.colour?.lumaFactor ?? 1, p.colour?.chromaExponent ?? k])
  }
}
const rows = CS.map((c) => `    "${c}": ${JSON.stringify(table[String(c)])}`).join(',\n')
process.stdout.write(`{\n  "made_by": "npx tsx training/latent/wire_steps.ts ${set} (set ${set}'s encoder, ${used} training photos, no caption)",\n  "pairs": {\n${rows}\n  }\n}\n`)
