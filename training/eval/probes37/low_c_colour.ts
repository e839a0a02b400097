// Session 37 probe: does a colour measure see what the C = 4 search's 2x luma plane loses (search-from-c4's judging:
// station1's red covers fading to pink and grey, ship-rule-luma-search-c4.md), where the mean ΔE00 at 1/8 scale
// averages it away? Packs each photo at C = 4 with every low-C candidate (luma factor, chroma offset), decodes as the
// station does and measures: MS-SSIM, LPIPS, mean ΔE00 at 1/8, its 90th and 98th percentiles over the 1/8 cells, and
// the chroma lost on the original's most colourful tenth of cells (mean of max(0, C*ab original - C*ab decode)).
// One JSON line per photo and candidate. Usage: npx tsx training/eval/probes37/low_c_colour.ts PHOTOS OUT.jsonl [C]
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../../src/core/codec/prepare'
import { packChannels } from '../../../src/core/codec/packing'
import { regenerate } from '../../../src/core/codec/decoder'
import { decodeGscPacket } from '../../../src/core/bitstream/gscPacket'
import { readImage, type RgbImage } from '../../../src/core/image/rgbImage'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim } from '../../../src/core/analysis/metrics'
import { boxDownscale, ciede2000, srgbToLab } from '../../../src/core/analysis/perceptual'
import type { LumaChoice } from '../../../src/core/codec/types'

const [photos, out, cArg] = process.argv.slice(2)
if (!photos || !out) throw new Error('usage: low_c_colour.ts PHOTOS OUT.jsonl [C]')
const C = Number(cArg ?? 4)
writeFileSync(out, '')
const CANDIDATES: LumaChoice[] = [
  { lumaFactor: 1, chromaOffset: 0 },
  { lumaFactor: 2, chromaOffset: 0 },
  { lumaFactor: 2, chromaOffset: -4 },
  { lumaFactor: 2, chromaOffset: -8 }
]

const quantile = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))]

function colourMeasures(a: RgbImage, b: RgbImage) {
  const da = boxDownscale(a).data
  const db = boxDownscale(b).data
  const de: number[] = []
  const chroma: [number, number][] = []
  for (let j = 0; j < da.length; j += 3) {
    const la = srgbToLab(da[j], da[j + 1], da[j + 2])
    const lb = srgbToLab(db[j], db[j + 1], db[j + 2])
    de.push(ciede2000(la, lb))
    chroma.push([Math.hypot(la[1], la[2]), Math.hypot(lb[1], lb[2])])
  }
  const cut = quantile(chroma.map(([o]) => o), 0.9)
  const top = chroma.filter(([o]) => o >= cut)
  return {
    ciede2000: de.reduce((s, v) => s + v, 0) / de.length,
    de90: quantile(de, 0.9),
    de98: quantile(de, 0.98),
    chromaLoss: top.reduce((s, [o, d]) => s + Math.max(0, o - d), 0) / top.length
  }
}

for (const f of readdirSync(photos).filter((x) => /\.png$/i.test(x)).sort()) {
  const original = await readImage(path.join(photos, f))
  const prep = await prepareImage(original, { modelSet: 28 })
  for (const choice of CANDIDATES) {
    const pack = await packChannels(prep, C, { lumaChoice: choice })
    const decoded = (await regenerate(decodeGscPacket(pack.packet), prep.models, { texture: false })).image
    const row = { photo: f.replace(/\.png$/i, ''), c: C, ...choice, bytes: pack.packet.length, fits: pack.fitsTarget, msssim: msssim(original, decoded), lpips: await lpipsDistance(original, decoded), ...colourMeasures(original, decoded) }
    appendFileSync(out, JSON.stringify(row) + '\n')
  }
  console.log(f)
}
