// Session 36 probe: does chroma guided by the decoded luma (guidedChroma.ts) lower the colour error of set 28's
// decodes, most of all where the luma plane is finer than the chroma (F = 2, 4)? Packs each tuning photo at each C with
// the fixed rule and the finer candidates, decodes, then measures the decode as it is and after guideChroma with a few
// (radius, eps). Nothing here is on the wire. One JSON line per photo, C, candidate and variant.
// Usage: npx tsx training/eval/probes36/guided_chroma.ts PHOTOS "1,2,4,8,16" OUT.jsonl [LOOKDIR]
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../../src/core/codec/prepare'
import { fineLumaRule, packChannels } from '../../../src/core/codec/packing'
import type { LumaChoice } from '../../../src/core/codec/types'
import { decodePacket } from '../../../src/core/codec/decoder'
import { readImage, writePng, type RgbImage } from '../../../src/core/image/rgbImage'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim, psnr } from '../../../src/core/analysis/metrics'
import { blockiness, colourError } from '../../../src/core/analysis/perceptual'
import { guideChroma, type GuidedChromaParams } from './guidedChroma'

const [photos, cs, out, looks] = process.argv.slice(2)
if (!photos || !cs || !out) throw new Error('usage: guided_chroma.ts PHOTOS "1,2,4,8,16" OUT.jsonl [LOOKDIR]')
writeFileSync(out, '')
if (looks) mkdirSync(looks, { recursive: true })

const VARIANTS: (GuidedChromaParams & { name: string })[] = [
  { name: 'r4e1e-3', radius: 4, eps: 1e-3 },
  { name: 'r8e1e-3', radius: 8, eps: 1e-3 },
  { name: 'r8e1e-2', radius: 8, eps: 1e-2 },
  { name: 'r16e1e-3', radius: 16, eps: 1e-3 }
]
const candidatesFor = (c: number): LumaChoice[] =>
  c < 8
    ? [fineLumaRule(c), { lumaFactor: 2, chromaOffset: 0 }, { lumaFactor: 2, chromaOffset: -4 }]
    : [fineLumaRule(c), { lumaFactor: 4, chromaOffset: -4 }]

function guided(img: RgbImage, p: GuidedChromaParams): RgbImage {
  const n = img.width * img.height
  const planar = new Float32Array(3 * n)
  for (let i = 0; i < n; i++) for (let q = 0; q < 3; q++) planar[q * n + i] = img.data[3 * i + q] / 255
  guideChroma(planar, img.width, img.height, p)
  const data = new Uint8Array(3 * n)
  for (let i = 0; i < n; i++) for (let q = 0; q < 3; q++) data[3 * i + q] = Math.max(0, Math.min(255, Math.round(planar[q * n + i] * 255)))
  return { width: img.width, height: img.height, data }
}

for (const f of readdirSync(photos).filter((x) => /\.png$/i.test(x)).sort()) {
  const original = await readImage(path.join(photos, f))
  const prep = await prepareImage(original, { modelSet: 28 })
  const photo = f.replace(/\.png$/i, '')
  for (const c of cs.split(',').map(Number)) {
    for (const choice of candidatesFor(c)) {
      const pack = await packChannels(prep, c, { lumaChoice: choice, lumaRule: 'fixed' })
      const decoded = (await decodePacket(pack.packet)).image
      for (const v of [{ name: 'none' }, ...VARIANTS]) {
        const img = 'radius' in v ? guided(decoded, v) : decoded
        const row = {
          photo, c, ...choice, variant: v.name, bytes: pack.packet.length, fits: pack.fitsTarget,
          psnr: psnr(original, img), msssim: msssim(original, img), ciede2000: colourError(original, img),
          blockiness: blockiness(img), lpips: await lpipsDistance(original, img)
        }
        appendFileSync(out, JSON.stringify(row) + '\n')
        if (looks && (v.name === 'none' || v.name === 'r8e1e-3')) await writePng(img, path.join(looks, `${photo}-c${c}-f${choice.lumaFactor}o${choice.chromaOffset}-${v.name}.png`))
      }
    }
  }
  console.log(f)
}
