// Session 35 probe: at C = 1, 2, 4, do set 28's finer luma planes draw new dark or bright blotches (the luma search's
// failure on its judging photos), and does a measure of them steer a per-photo choice away? Every luma candidate of
// lumaSearch.ts is packed at the C's target and decoded; besides MS-SSIM, ΔE00 and LPIPS the probe measures
// "extremes": at 1/4 scale (4x4 box means of BT.601 luma), how far the decode goes below the original's 3x3 local
// minimum or above its local maximum, averaged over the picture (luma levels, 0-255): a blotch darker or brighter than
// anything the photograph has nearby. Writes one JSON line per photo, C and candidate, and each decode as a PNG.
// Usage: npx tsx training/eval/probes35/low_c_extremes.ts PHOTOS "1,2,4" OUT.jsonl DECODES_DIR
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../../src/core/codec/prepare'
import { packChannels } from '../../../src/core/codec/packing'
import { LUMA_CANDIDATES } from '../../../src/core/codec/lumaSearch'
import { decodePacket } from '../../../src/core/codec/decoder'
import { readImage, writePng, type RgbImage } from '../../../src/core/image/rgbImage'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim } from '../../../src/core/analysis/metrics'
import { colourError } from '../../../src/core/analysis/perceptual'

const [photos, cs, out, decodes] = process.argv.slice(2)
if (!photos || !cs || !out || !decodes) throw new Error('usage: low_c_extremes.ts PHOTOS "1,2,4" OUT.jsonl DECODES_DIR')
writeFileSync(out, '')
mkdirSync(decodes, { recursive: true })

/** BT.601 luma, 4x4 box means (partial edge cells over the pixels they have). */
function quarterLuma(img: RgbImage): { v: Float64Array; w: number; h: number } {
  const w = Math.ceil(img.width / 4)
  const h = Math.ceil(img.height / 4)
  const sum = new Float64Array(w * h)
  const n = new Float64Array(w * h)
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 3
      const k = (y >> 2) * w + (x >> 2)
      sum[k] += 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]
      n[k]++
    }
  for (let k = 0; k < sum.length; k++) sum[k] /= n[k]
  return { v: sum, w, h }
}

/** Mean of how far the decode leaves the original's 3x3 local [min, max] at 1/4 scale. */
function extremes(original: RgbImage, decoded: RgbImage): { dark: number; bright: number } {
  const o = quarterLuma(original)
  const d = quarterLuma(decoded)
  let dark = 0
  let bright = 0
  for (let y = 0; y < o.h; y++)
    for (let x = 0; x < o.w; x++) {
      let lo = Infinity
      let hi = -Infinity
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = Math.min(o.h - 1, Math.max(0, y + dy))
          const xx = Math.min(o.w - 1, Math.max(0, x + dx))
          const v = o.v[yy * o.w + xx]
          lo = Math.min(lo, v)
          hi = Math.max(hi, v)
        }
      const v = d.v[y * o.w + x]
      dark += Math.max(0, lo - v)
      bright += Math.max(0, v - hi)
    }
  return { dark: dark / (o.w * o.h), bright: bright / (o.w * o.h) }
}

for (const f of readdirSync(photos).filter((x) => /\.png$/i.test(x)).sort()) {
  const original = await readImage(path.join(photos, f))
  const prep = await prepareImage(original, { modelSet: 28 })
  const photo = f.replace(/\.png$/i, '')
  for (const c of cs.split(',').map(Number)) {
    for (const choice of LUMA_CANDIDATES) {
      const pack = await packChannels(prep, c, { lumaChoice: choice })
      const img = (await decodePacket(pack.packet)).image
      await writePng(img, path.join(decodes, `${photo}-c${c}-F${choice.lumaFactor}o${-choice.chromaOffset}.png`))
      const row = {
        photo,
        c,
        ...choice,
        bytes: pack.packet.length,
        fits: pack.fitsTarget,
        msssim: msssim(original, img),
        ciede2000: colourError(original, img),
        lpips: await lpipsDistance(original, img),
        ...extremes(original, img)
      }
      appendFileSync(out, JSON.stringify(row) + '\n')
    }
  }
  console.log(f)
}
