// Builds the static caption model, resources/models/caption_text_model.bin, and records its sha256 and size in
// the manifest entry 'caption_text_model' (see README.md here).
//   npm run build:caption-model -- [--wordnet /usr/share/wordnet] [--out resources/models/caption_text_model.bin]
// Training text: (1) glosses and example sentences of WordNet 3.0 (Debian package wordnet-base,
// WordNet license), (2) synthetic captions from syntheticCaptions.ts. test/fixtures/captions.txt is
// never read. Without root, the package can be unpacked with:
//   apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb /tmp/wn   (then --wordnet /tmp/wn/usr/share/wordnet)
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { EOT, START, contextKey, serializeModel, type ContextStats, type StaticTextModel } from '../../src/core/entropy/textModelFormat'
import { CAPTION_TEXT_MODEL_ID } from '../../src/core/entropy/captionModelFile'
import { syntheticCaptions } from './syntheticCaptions'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const ORDER = 4
const SYNTHETIC = 16000
const SYNTHETIC_SEED = 12345
const WORDNET_MAX_CHARS = 2_500_000
/** Contexts seen fewer times than this (orders >= 2) are dropped; rare symbols feed the escape. */
const MIN_CONTEXT = [1, 1, 3, 4, 5]
const MIN_SYMBOL = 2
/** Escape mass per distinct symbol (PPM method C uses 1). */
const ESC_PER_DISTINCT = 1
const MAX_COUNT = 255

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback
}

/** Gloss texts from WordNet data files: "definition; "example"; "example"". */
export function wordnetTexts(dir: string, maxChars: number): string[] {
  const out: string[] = []
  let chars = 0
  for (const f of ['data.noun', 'data.adj', 'data.verb', 'data.adv']) {
    const p = path.join(dir, f)
    if (!existsSync(p)) throw new Error(`missing ${p}: install Debian package wordnet-base (see the header of this script)`)
    const lines = readFileSync(p, 'latin1').split('\n')
    // take every other gloss so nouns do not crowd out the rest
    for (let li = 0; li < lines.length && chars < maxChars * (f === 'data.noun' ? 0.6 : f === 'data.adj' ? 0.85 : 1); li += 2) {
      const line = lines[li]
      if (line.startsWith('  ')) continue
      const bar = line.indexOf(' | ')
      if (bar < 0) continue
      for (const part of line.slice(bar + 3).trim().split(/;\s*/)) {
        const t = part.replace(/^"|"$/g, '').trim()
        if (t.length < 8) continue
        out.push(t)
        chars += t.length
      }
    }
  }
  return out
}

type Counts = Map<string, Map<number, number>>[]

export function countTexts(texts: string[], order: number): Counts {
  const tables: Counts = Array.from({ length: order + 1 }, () => new Map())
  const enc = new TextEncoder()
  for (const t of texts) {
    const b = enc.encode(t)
    const hist: number[] = new Array(order).fill(START)
    for (let i = 0; i <= b.length; i++) {
      const sym = i < b.length ? b[i] : EOT
      if (sym === 0) continue
      let key = ''
      for (let k = 0; k <= order; k++) {
        if (k > 0) key = String.fromCharCode(hist[order - k]) + key
        let m = tables[k].get(key)
        if (!m) tables[k].set(key, (m = new Map()))
        m.set(sym, (m.get(sym) ?? 0) + 1)
      }
      hist.shift()
      hist.push(sym === EOT ? START : sym)
    }
  }
  return tables
}

export function buildModel(counts: Counts, order: number): StaticTextModel {
  const tables: Map<number, ContextStats>[] = []
  for (let k = 0; k <= order; k++) {
    const t = new Map<number, ContextStats>()
    for (const [key, m] of counts[k]) {
      let total = 0
      for (const c of m.values()) total += c
      if (total < MIN_CONTEXT[Math.min(k, MIN_CONTEXT.length - 1)]) continue
      const kept = [...m.entries()].filter(([, c]) => c >= MIN_SYMBOL || k === 0).sort((a, b) => a[0] - b[0])
      if (kept.length === 0) continue
      const pruned = total - kept.reduce((s, [, c]) => s + c, 0)
      const escRaw = ESC_PER_DISTINCT * m.size + pruned
      const max = Math.max(escRaw, ...kept.map(([, c]) => c))
      const f = max > MAX_COUNT ? max / MAX_COUNT : 1
      t.set(contextKey([...key].map((ch) => ch.charCodeAt(0))), {
        syms: Uint16Array.from(kept.map(([s]) => s)),
        counts: Uint16Array.from(kept.map(([, c]) => Math.max(1, Math.round(c / f)))),
        esc: Math.max(1, Math.min(MAX_COUNT, Math.round(escRaw / f)))
      })
    }
    tables.push(t)
  }
  return { order, tables }
}

export function trainingTexts(wordnetDir: string): string[] {
  return [...syntheticCaptions(SYNTHETIC, SYNTHETIC_SEED), ...wordnetTexts(wordnetDir, WORDNET_MAX_CHARS)]
}

/**
 * Writes the asset's sha256 and size into its manifest entry, changing only those two values in the file's text
 * (the manifest is written by several tools; its other entries keep their exact formatting).
 */
export function recordInManifest(manifestFile: string, sha256: string, bytes: number): 'unchanged' | 'updated' {
  const text = readFileSync(manifestFile, 'utf8')
  const entry = (JSON.parse(text) as { models?: Record<string, { sha256?: string; bytes?: number }> }).models?.[CAPTION_TEXT_MODEL_ID]
  if (!entry) throw new Error(`${manifestFile} has no '${CAPTION_TEXT_MODEL_ID}' entry; add one as tools/caption-model/README.md shows`)
  if (entry.sha256 === sha256 && entry.bytes === bytes) return 'unchanged'
  const start = text.indexOf(`"${CAPTION_TEXT_MODEL_ID}": {`)
  const field = (name: string, old: unknown) => {
    const literal = `"${name}": ${JSON.stringify(old)}`
    const at = text.indexOf(literal, start)
    if (start < 0 || at < 0) throw new Error(`cannot find ${literal} in the '${CAPTION_TEXT_MODEL_ID}' entry of ${manifestFile}`)
    return { at, literal }
  }
  const edits = [
    { ...field('sha256', entry.sha256), value: `"sha256": ${JSON.stringify(sha256)}` },
    { ...field('bytes', entry.bytes), value: `"bytes": ${bytes}` }
  ].sort((a, b) => b.at - a.at)
  let out = text
  for (const e of edits) out = out.slice(0, e.at) + e.value + out.slice(e.at + e.literal.length)
  const check = (JSON.parse(out) as { models: Record<string, { sha256: string; bytes: number }> }).models[CAPTION_TEXT_MODEL_ID]
  if (check.sha256 !== sha256 || check.bytes !== bytes) throw new Error(`editing ${manifestFile} went wrong; it was left as it was`)
  writeFileSync(manifestFile, out)
  return 'updated'
}

async function main(): Promise<void> {
  const wn = arg('--wordnet', '/usr/share/wordnet')
  const out = path.resolve(arg('--out', path.join(root, 'resources', 'models', 'caption_text_model.bin')))
  const texts = trainingTexts(wn)
  const chars = texts.reduce((s, t) => s + t.length, 0)
  console.error(`training on ${texts.length} texts, ${chars} characters`)
  const model = buildModel(countTexts(texts, ORDER), ORDER)
  const raw = serializeModel(model)
  const sha = createHash('sha256').update(raw).digest('hex')
  console.error(`contexts per order: ${model.tables.map((t) => t.size).join(', ')}; ${raw.length} octets; sha256 ${sha}`)
  writeFileSync(out, raw)
  console.error(`wrote ${out}`)
  const manifest = path.join(path.dirname(out), 'manifest.json')
  if (!existsSync(manifest)) return console.error(`no ${manifest}: record sha256 ${sha} and bytes ${raw.length} in the '${CAPTION_TEXT_MODEL_ID}' entry by hand`)
  const result = recordInManifest(manifest, sha, raw.length)
  console.error(result === 'unchanged' ? `${manifest} already lists this model` : `updated the '${CAPTION_TEXT_MODEL_ID}' entry of ${manifest}: captions coded with the old tables no longer decode (a new GSC format version)`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main()
  } catch (e) {
    console.error(`buildCaptionModel: ${(e as Error).message}`)
    process.exitCode = 1
  }
}
