import { afterAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, constants } from 'node:zlib'
import { RangeDecoder, RangeEncoder } from '../../src/core/entropy/rangeCoder'
import { decodeCaption, encodeCaption, type CaptionMode } from '../../src/core/entropy/captionCoder'
import { serializeModel } from '../../src/core/entropy/textModelFormat'
import { CAPTION_TEXT_MODEL_ID, loadCaptionTextModel } from '../../src/core/entropy/captionModelFile'
import { defaultModelsDir, modelEntry } from '../../src/core/modelAssets/manifest'
import { GscError } from '../../src/core/util/errors'
import { syntheticCaptions } from '../../tools/caption-model/syntheticCaptions'
import { prng } from '../fixtures/bitstreamFixtures'

const testCaptions = readFileSync(new URL('../fixtures/captions.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))

/** SHA-256 of the static tables that GSC format version 1 codes captions with (docs/bitstream.md). */
const FORMAT_1_CAPTION_MODEL_SHA256 = '590324869d74e2bbe33676ef59d0504aea8614af23c6d5617028f8217595b621'

function codedOctets(mode: CaptionMode, text: string): number {
  const enc = new RangeEncoder()
  encodeCaption(enc, mode, text)
  const bytes = enc.finish()
  const back = decodeCaption(new RangeDecoder(bytes), mode)
  expect(back.caption).toBe(text)
  return bytes.length
}

describe('caption coder', () => {
  it('round-trips any Unicode text in static and utf8 modes', () => {
    const rnd = prng(11)
    const samples = ['', ' ', 'Zürich — naïve café; 日本語のキャプション; emoji 🚀🛰️; tabs\tand\nnewlines', '\u0000\u0001\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}']
    for (let i = 0; i < 60; i++) {
      const n = Math.floor(rnd() * 60)
      let s = ''
      for (let j = 0; j < n; j++) {
        const r = rnd()
        const cp = r < 0.6 ? 32 + Math.floor(rnd() * 95) : r < 0.8 ? Math.floor(rnd() * 0x800) : r < 0.95 ? 0xe000 + Math.floor(rnd() * 0x1000) : 0x10000 + Math.floor(rnd() * 0xfffff)
        s += String.fromCodePoint(cp)
      }
      samples.push(s)
    }
    for (const s of samples) for (const mode of ['static', 'utf8'] as const) codedOctets(mode, s)
  })

  it("meets the targets on test/fixtures/captions.txt: <= 60% of brotli's octets and <= 2.5 bits per character", () => {
    expect(testCaptions.length).toBeGreaterThanOrEqual(30)
    let ours = 0
    let brotli = 0
    let chars = 0
    for (const c of testCaptions) {
      const words = c.split(/\s+/).length
      expect(words).toBeGreaterThanOrEqual(25)
      expect(words).toBeLessThanOrEqual(80)
      ours += codedOctets('static', c)
      brotli += brotliCompressSync(Buffer.from(c), { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } }).length
      chars += [...c].length
    }
    expect(ours / brotli).toBeLessThanOrEqual(0.6)
    expect((ours * 8) / chars).toBeLessThanOrEqual(2.5)
    // utf8 mode is the uncompressed reference: static must beat it by far
    const raw = testCaptions.reduce((s, c) => s + codedOctets('utf8', c), 0)
    expect(ours).toBeLessThan(raw * 0.4)
  })

  it('the static model is not trained on the test captions', () => {
    const training = new Set(syntheticCaptions(16000, 12345).map((s) => s.toLowerCase()))
    for (const c of testCaptions) expect(training.has(c.toLowerCase())).toBe(false)
    const src = readFileSync(new URL('../../tools/caption-model/buildCaptionModel.ts', import.meta.url), 'utf8')
    expect(src).not.toMatch(/readFileSync\([^)]*captions\.txt/)
  })

  it('the shipped model matches its recorded SHA-256 (changing it needs a new format version)', () => {
    const sha = createHash('sha256').update(serializeModel(loadCaptionTextModel())).digest('hex')
    expect(sha).toBe(FORMAT_1_CAPTION_MODEL_SHA256)
    expect(modelEntry(CAPTION_TEXT_MODEL_ID).sha256).toBe(FORMAT_1_CAPTION_MODEL_SHA256)
  })

  it('codes captions to the same octets as the model shipped inside src/ did (format version 1)', () => {
    // Digest measured with the tables still compiled into src/core/entropy/captionModelData.ts (commit 0e38472).
    const h = createHash('sha256')
    for (const c of [...testCaptions, '', 'Zürich — naïve café; 日本語 🚀', '\u0000\u0001\u007f']) {
      const enc = new RangeEncoder()
      encodeCaption(enc, 'static', c)
      h.update(enc.finish())
    }
    expect(h.digest('hex')).toBe('ddc5fee5f30d6dffda866ed1dcd47d25151c7397e014ad5cb30d166cff90085b')
  })
})

describe('caption model asset', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gsc-caption-model-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))
  const shipped = defaultModelsDir()
  const file = modelEntry(CAPTION_TEXT_MODEL_ID).file

  /** A models folder holding the shipped manifest and the caption model's bytes, changed by `edit`. */
  function modelsDirWith(name: string, edit?: (b: Buffer) => Buffer): string {
    const d = join(tmp, name)
    mkdirSync(d, { recursive: true })
    copyFileSync(join(shipped, 'manifest.json'), join(d, 'manifest.json'))
    if (edit) writeFileSync(join(d, file), edit(readFileSync(join(shipped, file))))
    return d
  }

  it('is refused in one line when a byte differs from the manifest hash', () => {
    const d = modelsDirWith('corrupt', (b) => {
      b[b.length >> 1] ^= 0x01
      return b
    })
    let err: unknown
    try {
      loadCaptionTextModel(d)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(GscError)
    expect((err as GscError).code).toBe('EMODELHASH')
    expect((err as Error).message).toMatch(/^static caption model .*caption_text_model\.bin has sha256 [0-9a-f]{12}\.\.\., the manifest expects 590324869d74\.\.\. \(captions would not decode\)$/)
    expect((err as Error).message).not.toContain('\n')
  })

  it('is refused when missing, naming the file', () => {
    expect(() => loadCaptionTextModel(modelsDirWith('missing'))).toThrow(/^static caption model missing: .*caption_text_model\.bin/)
  })
})
