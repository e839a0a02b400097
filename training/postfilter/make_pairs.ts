// Training pairs for the station's post-filter (sets 34 and 35): each training photo (long side at most 768, Lanczos; cropped
// to multiples of 16, as the station decodes them) encoded with set 33's default sender at every C and decoded as set
// 33's station does. Writes NAME.png (the original) and NAME_cC.png (the station's picture) into OUT. Shard K of N
// (0-based) takes every Nth photo, so two processes share the work. The 16 tuning
// photos (training/eval/probes34/README.md) are left out unless --tuning 1 (the held-out evaluation's own pairs).
// Usage: npx tsx training/postfilter/make_pairs.ts OUT "1,2,4,8,16" K N PHOTO_DIR... [--every M] [--limit L] [--tuning 1]
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../src/core/codec/prepare'
import { packChannels } from '../../src/core/codec/packing'
import { regenerate } from '../../src/core/codec/decoder'
import { decodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { readImage, resizeImage, writePng } from '../../src/core/image/rgbImage'
import { cropToCells } from '../eval/probePhotos'

const args = process.argv.slice(2)
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name)
  if (i < 0) return fallback
  const v = Number(args[i + 1])
  args.splice(i, 2)
  return v
}
const every = flag('--every', 1)
const limit = flag('--limit', Infinity)
const keepTuning = flag('--tuning', 0) === 1
const [out, cs, k, n, ...dirs] = args
if (!out || !cs || k === undefined || !n || !dirs.length) throw new Error('usage: make_pairs.ts OUT "1,2,4,8,16" K N PHOTO_DIR... [--every M] [--limit L]')
const MAX_SIDE = 768
const TRAIN = path.join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'train')
/** The 16 tuning photos' names, by training/eval/probes34/README.md's recipe (sorted listings, every 10th / 62nd). */
const tuningNames = (dir: string, every: number) => readdirSync(path.join(TRAIN, dir)).sort().filter((_, i) => i % every === 0).slice(0, 8)
const TUNING = new Set([...tuningNames('sun_hays80', 10), ...tuningNames('imagenet_samples_2', 62)].map((f) => f.replace(/\.[^.]+$/, '')))
mkdirSync(out, { recursive: true })
const photos = dirs
  .flatMap((d) => readdirSync(d).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().map((f) => path.join(d, f)))
  .filter((p) => keepTuning || !TUNING.has(path.basename(p).replace(/\.[^.]+$/, '')))
  .filter((_, i) => i % every === 0)
  .slice(0, limit)
  .filter((_, i) => i % Number(n) === Number(k))
for (const file of photos) {
  const name = path.basename(file).replace(/\.[^.]+$/, '')
  if (existsSync(path.join(out, `${name}.png`))) continue
  let img = await readImage(file)
  const s = MAX_SIDE / Math.max(img.width, img.height)
  if (s < 1) img = await resizeImage(img, Math.round(img.width * s), Math.round(img.height * s))
  const original = cropToCells(img)
  if (original.width < 128 || original.height < 128) continue
  const prep = await prepareImage(original, { modelSet: 33 })
  for (const c of cs.split(',').map(Number)) {
    const pack = await packChannels(prep, c, {})
    const decoded = (await regenerate(decodeGscPacket(pack.packet), prep.models, { texture: false })).image
    await writePng(decoded, path.join(out, `${name}_c${c}.png`))
  }
  await writePng(original, path.join(out, `${name}.png`))
  console.log(name)
}
