// Session 37 probe: the station moves its picture's window averages onto the packet's planes once, adding the
// difference drawn up bilinearly (consistentThumbnail.ts). One pass leaves the picture's window averages short of the
// plane wherever the plane has detail near its own resolution (the window of the drawn-up difference is not the
// difference). Would repeating the projection (Landweber / iterated back-projection: x += U(p - A x)) give structure
// the packet already carries? Decodes each tuning photo (cropped to multiples of 16) with set 28's networks and sender
// (default luma rule) but without the station's correction, then corrects with K passes on the luma alone, or on all
// three planes, and measures. Nothing here is on the wire. One JSON line per photo, C, variant.
// Usage: npx tsx training/eval/probes37/iterated_projection.ts PHOTOS "1,2,4,8,16" OUT.jsonl [K list, default 1,2,3,5,8]
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
import { falseTexture } from '../../../src/core/analysis/falseTexture'

const [photos, cs, out, ks] = process.argv.slice(2)
if (!photos || !cs || !out) throw new Error('usage: iterated_projection.ts PHOTOS "1,2,4,8,16" OUT.jsonl [K list]')
const passes = (ks ?? '1,2,3,5,8').split(',').map(Number)
writeFileSync(out, '')
const S = 16

/** Adds to plane (W x H) the cells d drawn up with the window itself (each cell's raised-cosine footprint, 2s px wide,
 *  where windowAverages sees it), normalised per pixel: a smooth drawing with no kink at the cell centres. */
function addHannSplat(plane: Float64Array, W: number, H: number, d: ArrayLike<number>, s: number): void {
  const lw = W / s
  const lh = H / s
  const w = Array.from({ length: 2 * s }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / (2 * s)) ** 2)
  const acc = new Float64Array(W * H)
  const norm = new Float64Array(W * H)
  for (let Y = 0; Y < lh; Y++)
    for (let j = 0; j < 2 * s; j++) {
      const y = Y * s - s / 2 + j
      if (y < 0 || y >= H) continue
      for (let X = 0; X < lw; X++)
        for (let i = 0; i < 2 * s; i++) {
          const x = X * s - s / 2 + i
          if (x < 0 || x >= W) continue
          const k = w[j] * w[i]
          acc[y * W + x] += k * d[Y * lw + X]
          norm[y * W + x] += k
        }
    }
  for (let i = 0; i < W * H; i++) plane[i] += acc[i] / norm[i]
}

/** The raw decode corrected with `k` passes on the luma (and on Cb, Cr where `chroma`), as the station's one pass but repeated. */
function corrected(img: RgbImage, thumbnails: Float32Array, norm: ThumbnailNorm, factor: number, k: number, chroma: boolean, splat = false): RgbImage {
  const W = img.width
  const H = img.height
  const m = (W / S) * (H / S)
  const lumaCells = factor * factor * m
  const ycc = yccPlanesOf(img)
  for (const p of norm.planes) {
    const s = p === 0 ? S / factor : S
    const [from, cells] = p === 0 ? [0, lumaCells] : [lumaCells + (p - 1) * m, m]
    const rounds = p === 0 || chroma ? k : 1
    for (let r = 0; r < rounds; r++) {
      const seen = windowAverages(ycc[p], W, H, s)
      const d = Float64Array.from({ length: cells }, (_, i) => (thumbnails[from + i] - norm.offset[p]) / norm.scale[p] - seen[i])
      if (splat && p === 0 && r > 0) addHannSplat(ycc[p], W, H, d, s)
      else addUpsampled(ycc[p], W, H, d, s)
    }
  }
  return rgbImageOfYcc(ycc, W, H)
}

for await (const { file: f, original, models, c, parsed } of probePackets(photos, cs.split(',').map(Number), 28)) {
  const norm = models.thumbnailNorm!
  const factor = parsed.colour!.lumaFactor
  const raw = (await regenerate(parsed, { ...models, thumbnailNorm: undefined }, { texture: false })).image
  const thumbnails = reconstructColourThumbnail(parsed.colour!, original.height / S, original.width / S, parsed.header.quantStep)
  const variants: [string, RgbImage][] = []
  for (const k of passes) {
    variants.push([`y${k}`, corrected(raw, thumbnails, norm, factor, k, false)])
    if (k > 1 && process.env.PROBE_CHROMA) variants.push([`all${k}`, corrected(raw, thumbnails, norm, factor, k, true)])
    if (k > 1) variants.push([`h${k}`, corrected(raw, thumbnails, norm, factor, k, false, true)])
  }
  for (const [variant, img] of variants) {
    const row = { photo: f.replace(/\.png$/i, ''), c, factor, variant, psnr: psnr(original, img), msssim: msssim(original, img), ciede2000: colourError(original, img), blockiness: blockiness(img), falseTexture: falseTexture(original, img), lpips: await lpipsDistance(original, img) }
    appendFileSync(out, JSON.stringify(row) + '\n')
  }
}
