// Shipped models: manifest, hash verification, real ONNX sessions, tokenizer agreement with Python.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { closeModels, defaultModelsDir, loadManifest, openModel, verifyModel } from '../../src/core/modelAssets/manifest'
import { captionWords, loadCaptionVocab, makeVocab, tokenizeCaption } from '../../src/core/modelAssets/tokenizer'
import { GscError } from '../../src/core/util/errors'
import modelsCommand from '../../src/cli/commands/models'
import { CODEC_MODEL_IDS } from '../../src/core/codec/modelIds'

const dir = defaultModelsDir()
const ids = CODEC_MODEL_IDS
const tmp = mkdtempSync(join(tmpdir(), 'gsc-models-'))

afterAll(async () => {
  await closeModels()
  rmSync(tmp, { recursive: true, force: true })
})

describe('manifest', () => {
  it('lists the five codec models with hashes, shapes and training facts', () => {
    const m = loadManifest()
    expect(m.formatVersion).toBe(1)
    for (const id of ids) {
      const e = m.models[id]
      expect(e, id).toBeDefined()
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(e.inputs.length).toBeGreaterThan(0)
      expect(typeof e.hardware).toBe('string')
      expect(verifyModel(id).ok).toBe(true)
    }
    const n = m.models.generator.normalisation as { mean: number[]; std: number[] }
    expect(n.mean).toHaveLength(320)
    expect(n.std.every((s) => s > 0)).toBe(true)
  })

  it('refuses a model whose bytes differ from the manifest, and a missing file', async () => {
    const d = join(tmp, 'tampered')
    execFileSync('mkdir', ['-p', d])
    copyFileSync(join(dir, 'manifest.json'), join(d, 'manifest.json'))
    const bytes = readFileSync(join(dir, 'g_s.onnx'))
    bytes[bytes.length - 1] ^= 0xff
    writeFileSync(join(d, 'g_s.onnx'), bytes)
    await expect(openModel('g_s', { dir: d })).rejects.toThrow(GscError)
    await expect(openModel('g_s', { dir: d })).rejects.toThrow(/sha256/)
    await expect(openModel('g_a', { dir: d })).rejects.toThrow(/missing/)
    await expect(openModel('nonexistent', { dir: d })).rejects.toThrow(/unknown model/)
  })
})

function smoothImage(w: number, h: number): Float32Array {
  const a = new Float32Array(3 * w * h)
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) a[c * w * h + y * w + x] = 0.5 + 0.3 * Math.sin((x + 7 * c) / 9) * Math.cos((y - 3 * c) / 13)
  return a
}

describe('gsc models', () => {
  it('lists every manifest entry, the detector included, and verifies the hashes', async () => {
    const ctx = { json: true, info() {}, progress: () => ({ update() {}, done() {} }), signal: new AbortController().signal }
    const r = await modelsCommand.run({ values: { verify: true }, positionals: [] }, ctx)
    const listed = r.models.map((m) => m.id)
    expect(listed).toEqual(Object.keys(loadManifest().models))
    for (const id of ids) expect(r.models.find((m) => m.id === id)?.verified, id).toBe(true)
    // The caption coder's static tables are listed and verified like the networks.
    expect(r.models.find((m) => m.id === 'caption_text_model')).toMatchObject({ stage: 'caption-entropy', verified: true })
    expect(r.totalBytes).toBeLessThanOrEqual(150e6)
    expect(modelsCommand.format?.(r)).toMatch(/generator/)
  })
})

describe('ONNX sessions', () => {
  it('g_a -> round -> g_s reconstructs a smooth image above 28 dB', async () => {
    const [w, h] = [96, 64]
    const x = smoothImage(w, h)
    const ga = await openModel('g_a')
    const gs = await openModel('g_s')
    const y = (await ga.run({ image: new ort.Tensor('float32', x, [1, 3, h, w]) })).latent
    expect(y.dims).toEqual([1, 320, h / 16, w / 16])
    const q = Float32Array.from(y.data as Float32Array, Math.round)
    const out = (await gs.run({ latent: new ort.Tensor('float32', q, y.dims) })).image.data as Float32Array
    let se = 0
    for (let i = 0; i < x.length; i++) se += (Math.min(1, Math.max(0, out[i])) - x[i]) ** 2
    const psnr = 10 * Math.log10(1 / (se / x.length))
    expect(psnr).toBeGreaterThan(28)
  })

  it('opens a session without the memory arena apart from the cached one, and it computes the same', async () => {
    // the station's post-filter runs without the arena (codecModels.ts), so its memory does not grow per picture size
    const [w, h] = [96, 64]
    const image = new ort.Tensor('float32', smoothImage(w, h), [1, 3, h, w])
    const [withArena, without, againWithout] = await Promise.all([openModel('g_a'), openModel('g_a', { memoryArena: false }), openModel('g_a', { memoryArena: false })])
    expect(without).not.toBe(withArena)
    expect(againWithout).toBe(without)
    const [a, b] = await Promise.all([withArena, without].map(async (s) => (await s.run({ image })).latent.data as Float32Array))
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true)
  })

  it('caption encoder, generator prior and generator run and are deterministic', async () => {
    const vocab = loadCaptionVocab()
    const enc = await openModel('caption_encoder')
    const t = tokenizeCaption('A rocky plain under a pale sky, two boulders on the left.', vocab)
    const emb = (await enc.run({ tokens: new ort.Tensor('int64', t.ids, [1, t.ids.length]), mask: new ort.Tensor('float32', t.mask, [1, t.mask.length]) })).embedding
    expect(emb.dims).toEqual([1, 128])
    const gen = await openModel('generator')
    const [hh, ww] = [4, 6]
    const z = new Float32Array(320 * hh * ww).map((_, i) => Math.sin(i * 12.9898) * 1.3)
    const ysel = new Float32Array(320 * hh * ww)
    const mask = new Float32Array(320)
    mask[0] = 1
    for (let i = 0; i < hh * ww; i++) ysel[i] = Math.cos(i)
    const conditions = {
      caption: new ort.Tensor('float32', emb.data as Float32Array, [1, 128]),
      y_sel: new ort.Tensor('float32', ysel, [1, 320, hh, ww]),
      mask: new ort.Tensor('float32', mask, [1, 320])
    }
    const prior = await openModel('generator_prior')
    const mu = (await prior.run({ ...conditions, quant_step: new ort.Tensor('float32', Float32Array.of(48), [1]) })).centre
    expect(mu.dims).toEqual([1, 320, hh, ww])
    // the transmitted channel stays inside its quantisation bin: |centre - y_sel| <= step / 2 (normalised units)
    const std0 = (loadManifest().models.generator.normalisation as { std: number[] }).std[0]
    for (let i = 0; i < hh * ww; i++) expect(Math.abs((mu.data as Float32Array)[i] - ysel[i]) * std0).toBeLessThanOrEqual(24)
    const feeds = {
      ...conditions,
      r_t: new ort.Tensor('float32', z, [1, 320, hh, ww]),
      t: new ort.Tensor('float32', Float32Array.from([0.75]), [1]),
      centre: new ort.Tensor('float32', mu.data as Float32Array, [1, 320, hh, ww])
    }
    const a = (await gen.run(feeds)).v.data as Float32Array
    const b = (await gen.run(feeds)).v.data as Float32Array
    expect(a.length).toBe(320 * hh * ww)
    expect(a.every(Number.isFinite)).toBe(true)
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true)
  })
})

describe('caption tokenizer', () => {
  it('splits and lowercases ASCII only', () => {
    expect(captionWords('Two CARS, 3 people; sky-blue.')).toEqual(['two', 'cars', '3', 'people', 'sky', 'blue'])
    expect(captionWords('Ünïcode é x')).toEqual(['n', 'code', 'x'])
  })

  const python = '/usr/bin/python3'
  it.skipIf(!existsSync(python))('gives the same ids as training/tokenizer.py', () => {
    const vocabFile = join(tmp, 'vocab.json')
    const tokens = ['a', 'the', 'sky', 'two', 'cars', 'blue', '3', 'rock']
    writeFileSync(vocabFile, JSON.stringify({ tokens, maxTokens: 12 }))
    const captions = [
      'Two CARS under a BLUE sky',
      'the rock,the rock;THE ROCK 3 3 3 x y z w q r s t u v',
      '',
      '  ...  ',
      'Ünïcode café – naïve 42nd street',
      'tabs\tand\nnewlines\r\nmixed123abc'
    ]
    const out = execFileSync(python, [resolve('training/tokenizer.py')], { input: JSON.stringify({ vocab: vocabFile, captions }) }).toString()
    const py = JSON.parse(out) as { ids: number[][]; mask: number[][] }
    const v = makeVocab(tokens, 12)
    captions.forEach((c, i) => {
      const t = tokenizeCaption(c, v)
      expect(Array.from(t.ids, Number), c).toEqual(py.ids[i])
      expect(Array.from(t.mask), c).toEqual(py.mask[i])
    })
  })
})
