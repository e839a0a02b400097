// Records the binary decisions (model index, bit) each entropy-model bank codes in set 28 packets of a folder of
// photos, one JSON line per photo and C: the data the trained initial states (priors) are fitted and judged on.
// Banks are told apart by size (the colour thumbnail's, the latents', the caption's and the detections' banks).
// Each line also holds the packet's colour thumbnail (its quantised coefficients as base64 Int32, the luma factor and
// the latent's size), for studies of other contexts.
// Usage: npx tsx training/eval/priors/record_symbols.ts PHOTOS "1,2,4,8,16" OUT.jsonl [MODEL_SET]
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BitModels } from '../../../src/core/entropy/bitModels'
import { newColourModels } from '../../../src/core/bitstream/colourCoder'
import { newLatentModels } from '../../../src/core/entropy/latentCoder'
import { decodeGscPacket } from '../../../src/core/bitstream/gscPacket'
import { prepareImage } from '../../../src/core/codec/prepare'
import { packChannels } from '../../../src/core/codec/packing'
import { readImage } from '../../../src/core/image/rgbImage'

const [photos, cs, out, set] = process.argv.slice(2)
if (!photos || !cs || !out) throw new Error('usage: record_symbols.ts PHOTOS "1,2,4,8,16" OUT.jsonl [MODEL_SET]')
const modelSet = Number(set ?? 28)
const BANK = new Map([[newColourModels().s.length, 'colour'], [newLatentModels().s.length, 'latent']])
let log: Record<string, number[]> | null = null
const decode = BitModels.prototype.decode
BitModels.prototype.decode = function (this: BitModels, dec, i) {
  const bit = decode.call(this, dec, i)
  const bank = BANK.get(this.s.length)
  if (log && bank) (log[bank] ??= []).push(2 * i + bit)
  return bit
}
writeFileSync(out, '')
for (const f of readdirSync(photos).filter((x) => /\.(png|jpe?g)$/i.test(x)).sort()) {
  const prep = await prepareImage(await readImage(path.join(photos, f)), { modelSet })
  for (const c of cs.split(',').map(Number)) {
    const pack = await packChannels(prep, c, {})
    log = {}
    const d = decodeGscPacket(pack.packet)
    const thumbnail = d.colour && { lumaFactor: d.colour.lumaFactor, lh: prep.lh, lw: prep.lw, coefficients: Buffer.from(d.colour.coefficients.buffer, d.colour.coefficients.byteOffset, d.colour.coefficients.byteLength).toString('base64') }
    appendFileSync(out, JSON.stringify({ photo: f, c, octets: pack.packet.length, lumaFactor: pack.lumaChoice?.lumaFactor, ...log, ...(thumbnail ? { thumbnail } : {}) }) + '\n')
    log = null
  }
}
