// Session 36 probe: set 28's decodes are smooth at C <= 4 (the 1/16 thumbnail drawn up by a decoder trained on two
// cores); does a luma unsharp mask at the station (Y + amount x (Y - Gaussian(Y, sigma)), chroma kept) raise MS-SSIM and
// lower LPIPS without drawing halos? Packs each tuning photo at each C with the default rule (search from C = 8),
// decodes, and measures the decode and each variant. Nothing here is on the wire. One JSON line per photo, C, variant.
// Usage: npx tsx training/eval/probes36/sharpen.ts PHOTOS "1,2,4,8,16" OUT.jsonl [LOOKDIR]
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { prepareImage } from '../../../src/core/codec/prepare'
import { packChannels } from '../../../src/core/codec/packing'
import { decodePacket } from '../../../src/core/codec/decoder'
import { readImage, writePng, type RgbImage } from '../../../src/core/image/rgbImage'
import { lpipsDistance } from '../../../src/core/analysis/lpips'
import { msssim, psnr } from '../../../src/core/analysis/metrics'
import { blockiness, colourError } from '../../../src/core/analysis/perceptual'
import { falseTexture } from '../../../src/core/analysis/falseTexture'
import { gaussianBlur } from '../../../src/core/codec/textureSynthesis'

const [photos, cs, out, looks] = process.argv.slice(2)
if (!photos || !cs || !out) throw new Error('usage: sharpen.ts PHOTOS "1,2,4,8,16" OUT.jsonl [LOOKDIR]')
writeFileSync(out, '')
if (looks) mkdirSync(looks, { recursive: true })

// core > 0: the mask's detail d (0..255 levels) is cored smoothly, d x d^2 / (d^2 + core^2), so the faint ripples of
// flat areas are not steepened while edges are (round 2 of set 32 failed on false texture there).
// clamp > 0: the sharpened luma is kept within the decode's own luma range in a (2 clamp + 1)^2 window (no new
// extremes: no halo, no dark blotch the decode does not already draw)
const VARIANTS = (process.env.VARIANTS ?? 's1.5a0.5,s1.5a1,s3a0.5,s3a1,s6a0.5').split(',').map((name) => {
  const m = /^s([\d.]+)a([\d.]+)(?:c(\d+))?(?:k([\d.]+))?$/.exec(name)
  if (!m) throw new Error(`variant ${name}: expected sSIGMAaAMOUNT[cCLAMP][kCORE]`)
  return { name, sigma: Number(m[1]), amount: Number(m[2]), clamp: Number(m[3] ?? 0), core: Number(m[4] ?? 0) }
})
const LOOK = process.env.LOOK ?? 's3a1'

function sharpened(img: RgbImage, sigma: number, amount: number, clamp: number, core = 0): RgbImage {
  const n = img.width * img.height
  const Y = new Float64Array(n)
  for (let i = 0; i < n; i++) Y[i] = 0.299 * img.data[3 * i] + 0.587 * img.data[3 * i + 1] + 0.114 * img.data[3 * i + 2]
  const blurred = gaussianBlur(Y, img.width, img.height, sigma)
  const [lo, hi] = clamp ? localRange(Y, img.width, img.height, clamp) : [undefined, undefined]
  const data = new Uint8Array(3 * n)
  for (let i = 0; i < n; i++) {
    const detail = Y[i] - blurred[i]
    let d = amount * (core ? (detail * detail * detail) / (detail * detail + core * core) : detail)
    if (lo && hi) d = Math.max(lo[i], Math.min(hi[i], Y[i] + d)) - Y[i]
    for (let q = 0; q < 3; q++) data[3 * i + q] = Math.max(0, Math.min(255, Math.round(img.data[3 * i + q] + d)))
  }
  return { width: img.width, height: img.height, data }
}

/** The min and max of a plane over a (2r + 1)^2 window (clipped at the borders). */
function localRange(Y: Float64Array, W: number, H: number, r: number): [Float64Array, Float64Array] {
  const run = (src: Float64Array, pick: (a: number, b: number) => number, horizontal: boolean) => {
    const out = new Float64Array(W * H)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        let v = src[y * W + x]
        for (let k = -r; k <= r; k++) {
          const xx = horizontal ? Math.min(W - 1, Math.max(0, x + k)) : x
          const yy = horizontal ? y : Math.min(H - 1, Math.max(0, y + k))
          v = pick(v, src[yy * W + xx])
        }
        out[y * W + x] = v
      }
    return out
  }
  return [run(run(Y, Math.min, true), Math.min, false), run(run(Y, Math.max, true), Math.max, false)]
}

for (const f of readdirSync(photos).filter((x) => /\.png$/i.test(x)).sort()) {
  const original = await readImage(path.join(photos, f))
  const prep = await prepareImage(original, { modelSet: 28 })
  const photo = f.replace(/\.png$/i, '')
  for (const c of cs.split(',').map(Number)) {
    const pack = await packChannels(prep, c, {})
    const decoded = (await decodePacket(pack.packet)).image
    for (const v of [{ name: 'none', sigma: 0, amount: 0, clamp: 0, core: 0 }, ...VARIANTS]) {
      const img = v.amount ? sharpened(decoded, v.sigma, v.amount, v.clamp, v.core) : decoded
      const row = {
        photo, c, variant: v.name, bytes: pack.packet.length,
        psnr: psnr(original, img), msssim: msssim(original, img), ciede2000: colourError(original, img),
        blockiness: blockiness(img), falseTexture: falseTexture(original, img), lpips: await lpipsDistance(original, img)
      }
      appendFileSync(out, JSON.stringify(row) + '\n')
      if (looks && (v.name === 'none' || v.name === LOOK)) await writePng(img, path.join(looks, `${photo}-c${c}-${v.name}.png`))
    }
  }
  console.log(f)
}
