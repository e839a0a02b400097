// A tuning look at detections off every rule's frames: training photos through the real encoder and decoder of
// several model sets, NanoDet on the original and on each reconstruction, matched one to one (same class, IoU 0.5,
// score >= the bench's AGREEMENT_SCORE), pooled per set and C. Training photos can tune a run, never judge it (a ship
// rule's frames do that); counts of a few dozen are noisy, so read large differences only.
// The default list (detection-look-photos.txt: 28 ImageNet training photos of vehicles, where the detector finds
// objects large enough to survive C = 4-16) is the one session 21's notes cite.
// Usage: [GSC_MODELS_DIR=dir] npx tsx training/eval/detection_look.ts [--photos list.txt] [--sets 5,13] [--c 4,16]
// A set that is not installed needs its export in GSC_MODELS_DIR and its modelId rows in latentPrediction.ts.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { loadDetector } from '../../src/core/analysis/detector'
import { detectionAgreement } from '../../src/core/analysis/detections'
import { AGREEMENT_SCORE } from '../../src/core/bench/measurement'
import { decodePacket } from '../../src/core/codec/decoder'
import { packChannels } from '../../src/core/codec/packing'
import { prepareImage } from '../../src/core/codec/prepare'
import { readImage } from '../../src/core/image/rgbImage'

const HERE = dirname(fileURLToPath(import.meta.url))
const TRAIN = resolve(HERE, '../../../shared/data/train')
const USAGE = 'usage: npx tsx training/eval/detection_look.ts [--photos list.txt] [--sets 5,13] [--c 4,16]'

function fail(why: string): never {
  console.error(`gsc: ${why}`)
  process.exit(2)
}

function numbers(text: string, what: string): number[] {
  const xs = text.split(',').map(Number)
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) fail(`--${what} takes positive integers separated by commas, not "${text}" (${USAGE})`)
  return xs
}

let values: { photos?: string; sets?: string; c?: string }
try {
  values = parseArgs({ options: { photos: { type: 'string' }, sets: { type: 'string' }, c: { type: 'string' } } }).values
} catch (e) {
  fail(`${(e as Error).message.split('\n')[0]} (${USAGE})`)
}
const listPath = values.photos ?? join(HERE, 'detection-look-photos.txt')
let photos: string[]
try {
  photos = readFileSync(listPath, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
} catch (e) {
  fail(`cannot read the photo list ${listPath}: ${(e as Error).message.split('\n')[0]}`)
}
const sets = numbers(values.sets ?? '5', 'sets')
const cs = numbers(values.c ?? '4,16', 'c')

const detector = await loadDetector({ dir: process.env.GSC_MODELS_DIR })
const confident = <T extends { score: number }>(ds: T[]) => ds.filter((d) => d.score >= AGREEMENT_SCORE)
const totals = new Map<string, { matched: number; found: number; reference: number }>()
for (const rel of photos) {
  const img = await readImage(join(TRAIN, rel)).catch((e: Error) => fail(`${rel}: ${e.message.split('\n')[0]}`))
  const reference = confident(await detector.detect(img))
  for (const set of sets) {
    const prepared = await prepareImage(img, { modelSet: set })
    for (const c of cs) {
      const found = confident(await detector.detect((await decodePacket((await packChannels(prepared, c)).packet)).image))
      const key = `set ${set}, C = ${c}`
      const t = totals.get(key) ?? { matched: 0, found: 0, reference: 0 }
      t.matched += detectionAgreement(reference, found).matched
      t.found += found.length
      t.reference += reference.length
      totals.set(key, t)
    }
  }
}
console.log(`${photos.length} photos from ${listPath}`)
for (const [key, t] of totals) console.log(`${key}: matched ${t.matched}, found ${t.found}, on the originals ${t.reference}`)
process.exit(0)
