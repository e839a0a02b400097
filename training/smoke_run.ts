// Smoke check: load every model of an exported set through the product's manifest loader (hash check
// included) and run each once in onnxruntime-node. Usage: npx tsx training/smoke_run.ts <modelsDir>
import * as ort from 'onnxruntime-node'
import { closeModels, loadManifest, openModel } from '../src/core/models/manifest'
import { loadCaptionVocab, tokenizeCaption } from '../src/core/models/tokenizer'
import { CODEC_MODEL_IDS } from '../src/core/codec/modelIds'

async function main(): Promise<void> {
  const dir = process.argv[2]
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
