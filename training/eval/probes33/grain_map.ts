// Session 33 probe: grain placed by a coarse map the sender would send (where the original has fine detail the decode
// lacks), against set 28 (no grain) and set 31's squared amplitude, on set 28's packets. Nothing here is on the wire.
// For each photo and C: set 28's packet and decode; the missing detail (textureSynthesis.ts missingDetail) averaged per
// CELL-px cell; a cell is marked where that mean is above TAU (luma 0..1 units); the grain's amplitude is the marked
// cells, drawn at full size and blurred at sigma CELL / 4 (no hard cell edges), times the decode's edge weight
// (textureAmplitude over the decode's band RMS is not separable here, so the set-30 amplitude gated by the map is the
// second variant, the squared amplitude gated by it the third). Strength: least squares against the missing detail, times GAIN. Prints the means of LPIPS, MS-SSIM,
// false texture and the map's bits (binary entropy x cells) per variant and C.
// Usage: npx tsx training/eval/probes33/grain_map.ts PHOTOS "4,16" [CELL=64] [TAU=0.02] [GAIN=0.85] [OUT]
//   (OUT: also writes each decode as OUT/<photo>-c<C>-<variant>.png to look at)
import { mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../../src/core/codec/prepare'
import { packChannels } from '../../../src/core/codec/packing'
import { decodePacket } from '../../../src/core/codec/decoder'
import { readImage, writePng, type RgbImage } from '../../../src/core/image/rgbImage'
import { addGrain, fitStrength, gaussianBlur, missingDetail, textureAmplitude } from '../../../src/core/codec/textureSynthesis'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim } from '../../../src/core/analysis/metrics'
import { falseTexture } from '../../../src/core/analysis/falseTexture'

const [photos, cs, cellArg, tauArg, gainArg, out] = process.argv.slice(2)
if (!photos || !cs) throw new Error('usage: grain_map.ts PHOTOS "4,16" [CELL] [TAU] [GAIN]')
const CELL = Number(cellArg ?? 64)
const TAU = Number(tauArg ?? 0.02)
const GAIN = Number(gainArg ?? 0.85)
if (out) mkdirSync(out, { recursive: true })

/** The map: 1 per CELL-px cell whose mean missing detail is above TAU, drawn back at full size and blurred. */
function cellMap(missing: Float64Array, w: number, h: number): { amp: Float64Array; marked: number; cells: number } {
  const cw = Math.ceil(w / CELL)
  const ch = Math.ceil(h / CELL)
  const sum = new Float64Array(cw * ch)
  const count = new Float64Array(cw * ch)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const k = Math.floor(y / CELL) * cw + Math.floor(x / CELL)
      sum[k] += missing[y * w + x]
      count[k]++
    }
  const bit = sum.map((s, k) => (s / count[k] > TAU ? 1 : 0))
  const full = new Float64Array(w * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) full[y * w + x] = bit[Math.floor(y / CELL) * cw + Math.floor(x / CELL)]
  return { amp: gaussianBlur(full, w, h, CELL / 4), marked: bit.reduce((a, b) => a + b, 0), cells: cw * ch }
}

const entropyBits = (marked: number, cells: number) => {
  const p = marked / cells
  return p <= 0 || p >= 1 ? 1 : cells * -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p))
}

type Row = { lpips: number; msssim: number; falseTexture: number; bits: number }
const rows = new Map<string, Row[]>()
let photo = ''
const add = async (key: string, original: RgbImage, img: RgbImage, bits: number) => {
  if (out) await writePng(img, path.join(out, `${photo}-${key.replace(/[^A-Za-z0-9]+/g, '-')}.png`))
  return Promise.all([lpipsDistance(original, img), msssim(original, img)]).then(([l, m]) => {
    const list = rows.get(key) ?? []
    list.push({ lpips: l, msssim: m, falseTexture: falseTexture(original, img), bits })
    rows.set(key, list)
  })
}

for (const f of readdirSync(photos).filter((x) => /\.png$/i.test(x)).sort()) {
  const original = await readImage(path.join(photos, f))
  photo = f.replace(/\.png$/i, '')
  for (const c of cs.split(',').map(Number)) {
    const { packet } = await packChannels(await prepareImage(original, { modelSet: 28, captioner: 'none' }), c)
    const plain = (await decodePacket(packet)).image
    const { width: w, height: h } = plain
    const missing = missingDetail(original, plain)
    const map = cellMap(missing, w, h)
    const own = textureAmplitude(plain, 1)
    const ownMean = own.reduce((a, b) => a + b, 0) / own.length || 1
    const gated = own.map((a, i) => (a / ownMean) * map.amp[i])
    const squared = textureAmplitude(plain, 2)
    await add(`C=${c} set 28`, original, plain, 0)
    await add(`C=${c} squared (set 31)`, original, addGrain(plain, squared, GAIN * fitStrength(missing, squared), 5), 0)
    await add(`C=${c} map`, original, addGrain(plain, map.amp, GAIN * fitStrength(missing, map.amp), 5), entropyBits(map.marked, map.cells))
    await add(`C=${c} map x own`, original, addGrain(plain, gated, GAIN * fitStrength(missing, gated), 5), entropyBits(map.marked, map.cells))
    const gatedSquared = squared.map((a, i) => a * map.amp[i])
    await add(`C=${c} map x squared`, original, addGrain(plain, gatedSquared, GAIN * fitStrength(missing, gatedSquared), 5), entropyBits(map.marked, map.cells))
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
console.log(`cell ${CELL} px, tau ${TAU}, gain ${GAIN}`)
console.log('| variant | LPIPS | MS-SSIM | false texture (median) | map bits (mean) |\n|---|---|---|---|---|')
for (const [k, list] of rows) {
  const mean = (g: (r: Row) => number) => list.reduce((a, r) => a + g(r), 0) / list.length
  console.log(`| ${k} | ${mean((r) => r.lpips).toFixed(3)} | ${mean((r) => r.msssim).toFixed(4)} | ${median(list.map((r) => r.falseTexture)).toFixed(3)} | ${mean((r) => r.bits).toFixed(0)} |`)
}
