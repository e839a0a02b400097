// The (packet step, colour step exponent k) pairs set 22's encoder picks at each C on training photos (every 12th of
// each training folder with a short side >= 192, 46 photos, packed as the product packs them, no caption): the
// distribution a set-22-wire decoder trains on (training/configs/set22_wire_steps.json, config step_table).
// Usage: npx tsx training/latent/wire_steps.ts > training/configs/set22_wire_steps.json
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareImage } from '../../src/core/codec/prepare'
import { packChannels } from '../../src/core/codec/packing'
import { readImage } from '../../src/core/image/rgbImage'
import { decodeGscPacket } from '../../src/core/bitstream/gscPacket'

const TRAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data', 'train')
const FOLDERS = ['sun_hays80', 'imagenet_samples', 'imagenet_samples_2', 'bsds500/train']
const CS = [1, 2, 4, 8, 16]
const table: Record<string, [number, number][]> = Object.fromEntries(CS.map((c) => [String(c), []]))
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
  const prep = await prepareImage(img, { modelSet: 22, captioner: 'none' })
  for (const c of CS) {
    const p = decodeGscPacket((await packChannels(prep, c)).packet)
    table[String(c)].push([p.header.quantStep, p.colour?.stepExponent ?? 0])
  }
}
const rows = CS.map((c) => `    "${c}": ${JSON.stringify(table[String(c)])}`).join(',\n')
process.stdout.write(`{\n  "made_by": "npx tsx training/latent/wire_steps.ts (set 22's encoder, ${used} training photos, no caption)",\n  "pairs": {\n${rows}\n  }\n}\n`)
