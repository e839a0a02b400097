// Session 41 probe: the station moves its picture onto the dequantised planes (each wavelet coefficient at its bin's
// reconstruction point), although the packet only says in which bin each coefficient lies. A consistent
// reconstruction keeps the decoder's own coefficient wherever it falls inside the bin, and clips it to the bin
// otherwise: the picture changes only where it contradicts the packet. lambda scales the bin about its reconstruction
// point (0: the station as shipped; 1: the whole bin, with the encoder's default dead zone). Decodes each tuning photo
// (cropped to multiples of 16) with set 33's sender, without the station's correction, then corrects with each variant.
// Nothing here is on the wire. One JSON line per photo, C, variant.
// Usage: npx tsx training/eval/probes41/consistent_bins.ts PHOTOS "1,2,4" OUT.jsonl [VARIANTS, e.g. "0/0,1/0,1/1"]
import { appendFileSync, writeFileSync } from 'node:fs'
import { regenerate } from '../../../src/core/codec/decoder'
import { DEAD_ZONE, lumaDeadZoneOf } from '../../../src/core/codec/colourThumbnailCodec'
import { colourPlaneSizes, subbands } from '../../../src/core/bitstream/colourThumbnail'
import { colourStep } from '../../../src/core/bitstream/colourCoder'
import { forwardWavelet, inverseWavelet } from '../../../src/core/codec/wavelet'
import { addUpsampled, windowAverages, type ThumbnailNorm } from '../../../src/core/codec/consistentThumbnail'
import { rgbImageOfYcc } from '../yccImage'
import { RGB_TO_YCBCR } from '../../../src/core/image/ycbcr'
import type { RgbImage } from '../../../src/core/image/rgbImage'
import { probePackets } from '../probePhotos'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim, psnr } from '../../../src/core/analysis/metrics'
import { blockiness, colourError } from '../../../src/core/analysis/perceptual'
import { falseTexture } from '../../../src/core/analysis/falseTexture'
import type { ColourThumbnailPayload } from '../../../src/core/bitstream/colourCoder'

const [photos, cs, out, vs] = process.argv.slice(2)
if (!photos || !cs || !out) throw new Error('usage: consistent_bins.ts PHOTOS "1,2,4" OUT.jsonl [VARIANTS]')
// "a/b": lambda for the luma and the chroma; "dX": the luma's detail coefficients reconstructed X steps nearer zero
// (|k| - X instead of |k|), the chroma as shipped.
const variants = (vs ?? '0/0,0.5/0,1/0,0/0.5,0/1,1/1').split(',')
const lambdasOf = (v: string): [number, number] => (v.startsWith('d') ? [0, 0] : (v.split('/').map(Number) as [number, number]))
const shrinkOf = (v: string) => (v.startsWith('d') ? Number(v.slice(1)) : 0)
writeFileSync(out, '')
const S = 16

/** Each plane's target: the picture's own coefficients clipped to lambda x (the bin about its reconstruction point). */
function target(seenPlane: Float64Array, h: number, w: number, q: ArrayLike<number>, step: number, deadZone: number, lambda: number, shrink = 0): Float64Array {
  const v = Float64Array.from(seenPlane)
  forwardWavelet(v, h, w)
  for (const b of subbands(h, w)) {
    const d = step * b.weight
    for (let y = b.y0; y < b.y0 + b.h; y++)
      for (let x = b.x0; x < b.x0 + b.w; x++) {
        const i = y * w + x
        const k = q[i]
        const at = b.band === 'LL' || k === 0 ? k * d : Math.sign(k) * (Math.abs(k) - shrink) * d
        let lo: number, hi: number
        if (b.band === 'LL') [lo, hi] = [(k - 0.5) * d, (k + 0.5) * d]
        else if (k === 0) [lo, hi] = [-(0.5 + deadZone) * d, (0.5 + deadZone) * d]
        else if (k > 0) [lo, hi] = [(k - 0.5 + deadZone) * d, (k + 0.5 + deadZone) * d]
        else [lo, hi] = [(k - 0.5 - deadZone) * d, (k + 0.5 - deadZone) * d]
        v[i] = Math.min(at + lambda * (hi - at), Math.max(at + lambda * (lo - at), v[i]))
      }
  }
  inverseWavelet(v, h, w)
  return v
}

/** The decoder's float output (planar RGB, 0..1) as Y, Cb, Cr planes (Cb and Cr + 0.5), as the station converts it. */
function yccOfPlanar(rgb: Float32Array, n: number): Float64Array[] {
  return [0, 1, 2].map((p) => {
    const [r, g, b] = RGB_TO_YCBCR[p]
    return Float64Array.from({ length: n }, (_, i) => r * rgb[i] + g * rgb[n + i] + b * rgb[2 * n + i] + (p > 0 ? 0.5 : 0))
  })
}

function corrected(raw: Float32Array, W: number, H: number, colour: ColourThumbnailPayload, quantStep: number, norm: ThumbnailNorm, lambdas: [number, number], shrink: number): RgbImage {
  const lh = H / S
  const lw = W / S
  const f = colour.lumaFactor
  const ycc = yccOfPlanar(raw, W * H)
  const sizes = colourPlaneSizes(f, lh, lw)
  const steps = [colourStep(quantStep, colour.stepExponent), ...Array(2).fill(colourStep(quantStep, colour.chromaExponent ?? colour.stepExponent))]
  const starts = [0, sizes[0][0] * sizes[0][1], sizes[0][0] * sizes[0][1] + lh * lw]
  for (const p of norm.planes) {
    const s = p === 0 ? S / f : S
    const [h, w] = sizes[p]
    const seen = windowAverages(ycc[p], W, H, s)
    const seenPlane = Float64Array.from(seen, (v) => v * norm.scale[p] + norm.offset[p])
    const q = colour.coefficients.subarray(starts[p], starts[p] + h * w)
    const t = target(seenPlane, h, w, q, steps[p], p === 0 ? lumaDeadZoneOf(f) : DEAD_ZONE, p === 0 ? lambdas[0] : lambdas[1], p === 0 ? shrink : 0)
    const d = Float64Array.from({ length: h * w }, (_, i) => (t[i] - norm.offset[p]) / norm.scale[p] - seen[i])
    addUpsampled(ycc[p], W, H, d, s)
  }
  return rgbImageOfYcc(ycc, W, H)
}

for await (const { file: f, original, models, c, parsed } of probePackets(photos, cs.split(',').map(Number), 33)) {
  const norm = models.thumbnailNorm!
  let raw: Float32Array | undefined
  const capture = { ...models, thumbnailNorm: undefined, generate: async (...a: Parameters<typeof models.generate>) => { const p = await models.generate(...a); raw = Float32Array.from(p); return p } }
  await regenerate(parsed, capture, { texture: false })
  const shipped = (await regenerate(parsed, models, { texture: false })).image
  const rows: [string, RgbImage][] = [['station', shipped], ...variants.map((v): [string, RgbImage] => [v, corrected(raw!, original.width, original.height, parsed.colour!, parsed.header.quantStep, norm, lambdasOf(v), shrinkOf(v))])]
  for (const [variant, img] of rows) {
    const row = { photo: f.replace(/\.png$/i, ''), c, factor: parsed.colour!.lumaFactor, variant, psnr: psnr(original, img), msssim: msssim(original, img), ciede2000: colourError(original, img), blockiness: blockiness(img), falseTexture: falseTexture(original, img), lpips: await lpipsDistance(original, img) }
    appendFileSync(out, JSON.stringify(row) + '\n')
  }
}
