// Caption tokenizer, identical to training/tokenizer.py (the caption encoder was trained on its ids):
// ASCII A-Z lowercased; tokens are maximal runs of [a-z0-9]; every other character separates.
// ids: 0 = pad, 1 = unknown, vocabulary word i = i + 2; at most maxTokens tokens, padded with 0.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { GscError } from '../util/errors'
import { defaultModelsDir, modelEntry, sha256File } from './manifest'

export const PAD_ID = 0
export const UNKNOWN_ID = 1

export interface CaptionVocab {
  tokens: string[]
  maxTokens: number
  index: Map<string, number>
}

export function captionWords(text: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i)
    if (c >= 65 && c <= 90) c += 32
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) cur += String.fromCharCode(c)
    else if (cur) {
      out.push(cur)
      cur = ''
    }
  }
  if (cur) out.push(cur)
  return out
}

export function makeVocab(tokens: string[], maxTokens: number): CaptionVocab {
  const index = new Map<string, number>()
  tokens.forEach((w, i) => index.set(w, i + 2))
  return { tokens, maxTokens, index }
}

const vocabCache = new Map<string, CaptionVocab>()

/** The vocabulary named by a caption encoder's manifest entry (default 'caption_encoder'; hash-checked like the models). */
export function loadCaptionVocab(dir?: string, encoderId = 'caption_encoder'): CaptionVocab {
  const d = dir ?? defaultModelsDir()
  const key = `${d}|${encoderId}`
  const cached = vocabCache.get(key)
  if (cached) return cached
  const e = modelEntry(encoderId, d)
  const file = join(d, typeof e.vocab === 'string' ? e.vocab : 'caption_vocab.json')
  let raw: { tokens?: unknown; maxTokens?: unknown }
  try {
    if (typeof e.vocabSha256 === 'string' && sha256File(file) !== e.vocabSha256)
      throw new GscError(`caption vocabulary ${file} does not match the manifest hash`, 'EMODELHASH')
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    if (err instanceof GscError) throw err
    throw new GscError(`cannot read caption vocabulary ${file}`, 'ENOMODEL')
  }
  if (!Array.isArray(raw.tokens) || typeof raw.maxTokens !== 'number') throw new GscError(`caption vocabulary ${file} is malformed`, 'ENOMODEL')
  const v = makeVocab(raw.tokens as string[], raw.maxTokens)
  vocabCache.set(key, v)
  return v
}

/** Token ids (BigInt64Array, length maxTokens) and mask (1 = real token) for the caption encoder. */
export function tokenizeCaption(text: string, vocab: CaptionVocab): { ids: BigInt64Array; mask: Float32Array; count: number } {
  const ids = new BigInt64Array(vocab.maxTokens)
  const mask = new Float32Array(vocab.maxTokens)
  const words = captionWords(text).slice(0, vocab.maxTokens)
  words.forEach((w, i) => {
    ids[i] = BigInt(vocab.index.get(w) ?? UNKNOWN_ID)
    mask[i] = 1
  })
  return { ids, mask, count: words.length }
}
