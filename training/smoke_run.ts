// Smoke check: load every model of an exported set through the product's manifest loader (hash check
// included) and run each once in onnxruntime-node.
// Usage: npx tsx training/smoke_run.ts <modelsDir>            set 1 (export_onnx.py)
//        npx tsx training/smoke_run.ts <modelsDir> --set N    set 3, 4, 5, 24 or 29 (export_latent_codec.py), opened as the codec
//                                                             opens it (loadCodecModels: manifest modelSets table,
//                                                             hashes, selection patterns), then g_a, the selection
//                                                             rule, the caption encoder and one decoder run
import * as ort from 'onnxruntime-node'
import { closeModels, loadManifest, openModel } from '../src/core/modelAssets/manifest'
import { loadCaptionVocab, tokenizeCaption } from '../src/core/modelAssets/tokenizer'
import { CODEC_MODEL_IDS } from '../src/core/codec/modelIds'
import { loadCodecModels, releaseCodecModels, type LearnedGenerativeModels } from '../src/core/codec/codecModels'
import { prepareImage } from '../src/core/codec/prepare'
import { packChannels } from '../src/core/codec/packing'
import { regenerate } from '../src/core/codec/decoder'
import { decodeGscPacket } from '../src/core/bitstream/gscPacket'
import { structurePlanes } from '../src/core/codec/channelSelection'

const top4 = (scores: Float64Array) => [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b).slice(0, 4)

async function learnedSet(dir: string, id: number): Promise<void> {
  const m = await loadCodecModels({ dir, modelId: id })
  if (m.kind !== 'learned-generative') throw new Error(`model set ${id} opened as kind ${m.kind}`)
  const [H, W, h, w] = [32, 48, 2, 3]
  const rgb = Uint8Array.from({ length: 3 * H * W }, (_, i) => (i * 37) % 251)
  const planar = new Float32Array(3 * H * W)
  for (let i = 0; i < H * W; i++) for (let c = 0; c < 3; c++) planar[c * H * W + i] = rgb[3 * i + c] / 255
  const y = await m.analysis(planar, H, W)
  if (y.length !== m.latentChannels * h * w || !y.every(Number.isFinite)) throw new Error(`g_a gave ${y.length} values, expected ${m.latentChannels * h * w}`)
  const scores = m.scoreChannels(y, structurePlanes({ width: W, height: H, data: rgb }))
  // the channels a set never lists on their own (set 22: the thumbnails) rank last, at -Infinity
  const ranked = (v: number, c: number) => Number.isFinite(v) || (v === -Infinity && m.neverSend.includes(c))
  if (scores.length !== m.latentChannels || !Array.from(scores).every(ranked)) throw new Error('selection scores malformed')
  if (m.neverSend.some((c) => top4(scores).includes(c))) throw new Error(`the rule picked one of channels ${m.neverSend.join(', ')}, which set ${id} never lists`)
  // the rule's top 4 channels, quantised at step 24 as the wire carries them
  const top = top4(scores)
  const always = loadManifest(dir).modelSets?.[String(id)]?.alwaysSend ?? []
  if (always.some((c, i) => top[i] !== c)) throw new Error(`the rule's first channels are ${top.join(', ')}, but set ${id} always sends ${always.join(', ')} first`)
  const mask = new Float32Array(m.latentChannels)
  const ySel = new Float32Array(y.length)
  const step = 24
  for (const k of top) {
    mask[k] = 1
    for (let j = 0; j < h * w; j++) ySel[k * h * w + j] = Math.sign(y[k * h * w + j]) * Math.floor(Math.abs(y[k * h * w + j]) / step + 0.5) * step
  }
  const caption = await m.embedCaption('a small test caption')
  if (caption.length !== m.captionDim) throw new Error(`caption embedding has ${caption.length} values, expected ${m.captionDim}`)
  const noise = Float32Array.from({ length: m.noiseChannels * h * w }, (_, i) => Math.sin(i * 12.9898) * 1.5)
  // set 29's decoder also takes the luma plane's detail at 1/4 scale
  const detail = m.takesLumaDetail ? Float32Array.from({ length: 16 * h * w }, (_, i) => Math.cos(i) * 100) : undefined
  const img = await m.generate(ySel, mask, caption, Math.log2(step), noise, h, w, detail)
  if (img.length !== 3 * H * W || !img.every(Number.isFinite)) throw new Error(`decoder gave ${img.length} values, expected ${3 * H * W} finite ones`)
  if (m.takesLumaDetail) await lumaDetailThroughStation(dir, id, m)
  await releaseCodecModels()
  console.log(`smoke_run: model set ${id} (${Object.values(m.files).map((f) => f.id).join(', ')}) loaded (hash-checked) and ran: g_a, selection rule, caption encoder, decoder${detail ? ' (with a luma detail; and from a C = 16 packet through the station)' : ''}`)
}

/** Set 29: a packet at C = 16 (its luma plane at 1/4 scale) decoded as the station decodes it; the decoder must get the
 *  plane's detail (decoder.ts -> fineLuma.ts lumaDetail), non-zero where the picture has edges. */
async function lumaDetailThroughStation(dir: string, id: number, m: LearnedGenerativeModels): Promise<void> {
  const [H, W] = [64, 96]
  const data = new Uint8Array(3 * H * W)
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) data[3 * (y * W + x) + c] = ((x >> 3) + (y >> 3)) % 2 ? 200 - 40 * c : 40 + 30 * c
  const { packet } = await packChannels(await prepareImage({ width: W, height: H, data }, { modelsDir: dir, modelSet: id, captioner: 'none' }), 16)
  const seen: Float32Array[] = []
  const spy: LearnedGenerativeModels = { ...m, generate: (...args) => (args[7] && seen.push(Float32Array.from(args[7])), m.generate(...args)) }
  await regenerate(decodeGscPacket(packet), spy, {})
  const n = (H / 16) * (W / 16)
  if (seen.length !== 1 || seen[0].length !== 16 * n || !seen[0].some((v) => Math.abs(v) > 1)) throw new Error(`set ${id}'s decoder did not get the luma plane's detail from a C = 16 packet`)
}

async function main(): Promise<void> {
  const dir = process.argv[2]
  if (process.argv[3] === '--set' && ['3', '4', '5', '24', '29'].includes(process.argv[4])) return learnedSet(dir, Number(process.argv[4]))
  if (process.argv.length > 3) throw new Error(`unknown arguments ${process.argv.slice(3).join(' ')} (usage: smoke_run.ts <modelsDir> [--set 3|4|5|24|29])`)
  const m = loadManifest(dir)
  for (const id of CODEC_MODEL_IDS) if (!m.models[id]) throw new Error(`manifest lacks ${id}`)
  const ga = await openModel('g_a', { dir })
  const gs = await openModel('g_s', { dir })
  const gen = await openModel('generator', { dir })
  const prior = await openModel('generator_prior', { dir })
  const enc = await openModel('caption_encoder', { dir })
  const x = new Float32Array(3 * 32 * 48).map((_, i) => (i % 97) / 97)
  const y = (await ga.run({ image: new ort.Tensor('float32', x, [1, 3, 32, 48]) })).latent
  if (y.dims.join() !== '1,320,2,3') throw new Error(`g_a output dims ${y.dims}`)
  const img = (await gs.run({ latent: y })).image
  if (img.dims.join() !== '1,3,32,48') throw new Error(`g_s output dims ${img.dims}`)
  const t = tokenizeCaption('a small test caption', loadCaptionVocab(dir))
  const emb = (await enc.run({ tokens: new ort.Tensor('int64', t.ids, [1, t.ids.length]), mask: new ort.Tensor('float32', t.mask, [1, t.mask.length]) })).embedding
  const conditions = {
    caption: emb, y_sel: new ort.Tensor('float32', new Float32Array(320 * 6), [1, 320, 2, 3]), mask: new ort.Tensor('float32', new Float32Array(320), [1, 320])
  }
  const mu = (await prior.run({ ...conditions, quant_step: new ort.Tensor('float32', Float32Array.of(32), [1]) })).centre
  if (mu.dims.join() !== '1,320,2,3') throw new Error(`generator_prior output dims ${mu.dims}`)
  const v = (await gen.run({ ...conditions, r_t: y, t: new ort.Tensor('float32', Float32Array.of(0.5), [1]), centre: mu })).v
  const vals = v.data as Float32Array
  if (v.dims.join() !== '1,320,2,3' || !vals.every(Number.isFinite)) throw new Error('generator output malformed')
  await closeModels()
  console.log('smoke_run: all five models loaded (hash-checked) and ran')
}

main().catch((e) => {
  console.error(`smoke_run: FAILED: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
