// Session 36 probe: the station moves its picture's window averages onto the packet's thumbnails by adding the
// difference drawn up x16 bilinearly (consistentThumbnail.ts). Would a smoother drawing of that correction (cubic
// Catmull-Rom) give better structure at C <= 4, where the luma plane is the thumbnail itself (factor 1)? Decodes each
// tuning photo (cropped to multiples of 16) with set 28's networks but without the station's correction, then applies
// the correction with each upsampler and measures. Nothing here is on the wire. One JSON line per photo, C, variant.
// Usage: npx tsx training/eval/probes36/correction_upsampling.ts PHOTOS "1,2,4" OUT.jsonl
import { appendFileSync, writeFileSync } from 'node:fs'
import { regenerate } from '../../../src/core/codec/decoder'
import { reconstructColourThumbnail } from '../../../src/core/codec/colourThumbnailCodec'
import { addUpsampled, windowAverages, type ThumbnailNorm } from '../../../src/core/codec/consistentThumbnail'
import { rgbImageOfYcc, yccPlanesOf } from '../yccImage'
import type { RgbImage } from '../../../src/core/image/rgbImage'
import { probePackets } from '../probePhotos'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim, psnr } from '../../../src/core/analysis/metrics'
import { blockiness, colourError } from '../../../src/core/analysis/perceptual'

const [photos, cs, out] = process.argv.slice(2)
if (!photos || !cs || !out) throw new Error('usage: correction_upsampling.ts PHOTOS "1,2,4" OUT.jsonl')
writeFileSync(out, '')
const S = 16

/** Catmull-Rom weights of the four cells around position f (in cells), clamped at the edges. */
function cubicUpsampled(plane: Float64Array, W: number, H: number, d: ArrayLike<number>): void {
  const lw = W / S
  const lh = H / S
  const w4 = (t: number) => [(-t * t * t + 2 * t * t - t) / 2, (3 * t * t * t - 5 * t * t + 2) / 2, (-3 * t * t * t + 4 * t * t + t) / 2, (t * t * t - t * t) / 2]
  const axis = (n: number, cells: number) =>
    Array.from({ length: n }, (_, i) => {
      const f = (i + 0.5) / S - 0.5
      const a = Math.floor(f)
      const w = w4(f - a)
      return { idx: [a - 1, a, a + 1, a + 2].map((k) => Math.min(cells - 1, Math.max(0, k))), w }
    })
  const ax = axis(W, lw)
  const ay = axis(H, lh)
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0
      for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) s += ay[y].w[j] * ax[x].w[i] * d[ay[y].idx[j] * lw + ax[x].idx[i]]
      plane[y * W + x] += s
    }
}

function corrected(img: RgbImage, thumbnails: Float32Array, norm: ThumbnailNorm, cubic: boolean): RgbImage {
  const W = img.width
  const H = img.height
  const m = (W / S) * (H / S)
  const ycc = yccPlanesOf(img)
  for (const p of norm.planes) {
    const seen = windowAverages(ycc[p], W, H)
    const d = Float64Array.from({ length: m }, (_, i) => (thumbnails[p * m + i] - norm.offset[p]) / norm.scale[p] - seen[i])
    if (cubic) cubicUpsampled(ycc[p], W, H, d)
    else addUpsampled(ycc[p], W, H, d)
  }
  return rgbImageOfYcc(ycc, W, H)
}

for await (const { file: f, original, models, c, parsed } of probePackets(photos, cs.split(',').map(Number), 28, { lumaRule: 'fixed' })) {
  const norm = models.thumbnailNorm!
  if (parsed.colour!.lumaFactor !== 1) throw new Error(`C = ${c}: luma factor ${parsed.colour!.lumaFactor}; this probe handles factor 1 only`)
  const station = (await regenerate(parsed, models, { texture: false })).image
  const raw = (await regenerate(parsed, { ...models, thumbnailNorm: undefined }, { texture: false })).image
  const thumbnails = reconstructColourThumbnail(parsed.colour!, original.height / S, original.width / S, parsed.header.quantStep)
  for (const [variant, img] of [['station', station], ['bilinear', corrected(raw, thumbnails, norm, false)], ['cubic', corrected(raw, thumbnails, norm, true)], ['none', raw]] as const) {
    const row = { photo: f.replace(/\.png$/i, ''), c, variant, psnr: psnr(original, img), msssim: msssim(original, img), ciede2000: colourError(original, img), blockiness: blockiness(img), lpips: await lpipsDistance(original, img) }
    appendFileSync(out, JSON.stringify(row) + '\n')
  }
}
