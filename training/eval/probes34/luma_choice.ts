// Session 34 probe: which luma plane (factor F = 1, 2 or 4 on set 28's wire) and chroma offset suit each photo at each
// C, against set 28's fixed rule per C (packing.ts FINE_LUMA_RULE). Every candidate is a valid set-28 packet at the
// same bit target (the step rule fits each); the probe decodes each and measures it. Nothing here is on the wire.
// Writes one JSON line per photo, C and candidate: bytes, PSNR, MS-SSIM, ΔE00, LPIPS.
// Usage: npx tsx training/eval/probes34/luma_choice.ts PHOTOS "1,2,4,8,16" OUT.jsonl
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../../src/core/codec/prepare'
import { packChannels } from '../../../src/core/codec/packing'
import type { LumaChoice } from '../../../src/core/codec/types'
import { decodePacket } from '../../../src/core/codec/decoder'
import { readImage } from '../../../src/core/image/rgbImage'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim, psnr } from '../../../src/core/analysis/metrics'
import { colourError } from '../../../src/core/analysis/perceptual'

const [photos, cs, out] = process.argv.slice(2)
if (!photos || !cs || !out) throw new Error('usage: luma_choice.ts PHOTOS "1,2,4,8,16" OUT.jsonl')
writeFileSync(out, '')

const CANDIDATES: LumaChoice[] = [
  { lumaFactor: 1, chromaOffset: 0 },
  { lumaFactor: 2, chromaOffset: 0 },
  { lumaFactor: 2, chromaOffset: -4 },
  { lumaFactor: 2, chromaOffset: -8 },
  { lumaFactor: 4, chromaOffset: -4 },
  { lumaFactor: 4, chromaOffset: -6 },
  { lumaFactor: 4, chromaOffset: -8 }
]

for (const f of readdirSync(photos).filter((x) => /\.png$/i.test(x)).sort()) {
  const original = await readImage(path.join(photos, f))
  const prep = await prepareImage(original, { modelSet: 28 })
  for (const c of cs.split(',').map(Number)) {
    for (const choice of CANDIDATES) {
      const pack = await packChannels(prep, c, { lumaChoice: choice })
      const img = (await decodePacket(pack.packet)).image
      const row = {
        photo: f.replace(/\.png$/i, ''),
        c,
        ...choice,
        bytes: pack.packet.length,
        fits: pack.fitsTarget,
        psnr: psnr(original, img),
        msssim: msssim(original, img),
        ciede2000: colourError(original, img),
        lpips: await lpipsDistance(original, img)
      }
      appendFileSync(out, JSON.stringify(row) + '\n')
    }
  }
  console.log(f)
}
