// `gsc caption`: caption one image, or every image under a folder into a JSONL file.
import { createWriteStream, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { CommandSpec } from '../framework'
import { UsageError, numberOpt, stringOpt } from '../framework'
import { GscError } from '../../core/util/errors'
import { readImage } from '../../core/image/rgbImage'
import { captionImage, sharedDetector, type CaptionResult, type CaptionerConfig } from '../../core/caption/captionImage'

const IMAGE_EXT = /\.(jpe?g|png|webp|tiff?|bmp)$/i

/** Image files under dir, recursively, in a stable (sorted) order. */
export function listImages(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    let entries: string[]
    try {
      entries = readdirSync(d).sort()
    } catch (e) {
      throw new GscError(`cannot read folder ${d}: ${(e as Error).message.split('\n')[0]}`)
    }
    for (const name of entries) {
      const p = join(d, name)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else if (IMAGE_EXT.test(name)) out.push(p)
    }
  }
  walk(dir)
  return out
}

type CaptionOutput =
  | ({ file: string } & Omit<CaptionResult, 'detections'> & { objects?: number })
  | { dir: string; jsonl: string; images: number; failed: { file: string; error: string }[]; wordsMin: number; wordsMedian: number; wordsMax: number; ms: number }

const captionCommand: CommandSpec<CaptionOutput> = {
  name: 'caption',
  summary: 'write a caption for an image (built-in or external captioner)',
  usage:
    'gsc caption <image> [--captioner builtin|<url>] [--model M] [--api-key K] [--timeout-ms T] [--json]\n' +
    'gsc caption --dir <folder> --jsonl <out.jsonl> [--captioner ...]\n' +
    '  builtin (default): detector objects + scene statistics, deterministic, 15-60 words.\n' +
    '  <url>: an OpenAI-compatible chat-completions endpoint with image input (e.g. http://127.0.0.1:8000/v1);\n' +
    '  --model names the model; --api-key (or GSC_CAPTIONER_API_KEY) is sent as a bearer token.\n' +
    '  --dir writes one {"file": <path relative to the folder>, "caption": ...} line per image, sorted by path.',
  options: {
    captioner: { type: 'string' },
    model: { type: 'string' },
    'api-key': { type: 'string' },
    'timeout-ms': { type: 'string' },
    dir: { type: 'string' },
    jsonl: { type: 'string' }
  },
  async run(args, ctx) {
    const which = stringOpt(args, 'captioner') ?? 'builtin'
    let config: CaptionerConfig = { kind: 'builtin' }
    if (which !== 'builtin') {
      const model = stringOpt(args, 'model')
      if (!model) throw new UsageError('an external captioner needs --model')
      config = {
        kind: 'external',
        url: which,
        model,
        apiKey: stringOpt(args, 'api-key') ?? process.env.GSC_CAPTIONER_API_KEY,
        timeoutMs: numberOpt(args, 'timeout-ms', 30_000, { min: 1 }),
        signal: ctx.signal
      }
    }
    const dir = stringOpt(args, 'dir')
    if (dir !== undefined) {
      const out = stringOpt(args, 'jsonl')
      if (!out) throw new UsageError('--dir needs --jsonl <out.jsonl>')
      const files = listImages(dir)
      if (files.length === 0) throw new GscError(`no images found under ${dir}`)
      const detector = config.kind === 'builtin' ? await sharedDetector() : undefined
      const stream = createWriteStream(out)
      const words: number[] = []
      const failed: { file: string; error: string }[] = []
      const progress = ctx.progress('caption', files.length)
      const t0 = performance.now()
      for (let i = 0; i < files.length; i++) {
        if (ctx.signal.aborted) throw new GscError('caption: interrupted')
        const rel = relative(dir, files[i]).split('\\').join('/')
        try {
          const r = await captionImage(await readImage(files[i]), config, detector)
          stream.write(JSON.stringify({ file: rel, caption: r.caption }) + '\n')
          words.push(r.words)
        } catch (e) {
          failed.push({ file: rel, error: (e as Error).message.split('\n')[0] })
        }
        progress.update(i + 1, rel)
      }
      await new Promise<void>((res, rej) => stream.end((err?: Error | null) => (err ? rej(err) : res())))
      progress.done()
      words.sort((a, b) => a - b)
      return {
        dir,
        jsonl: out,
        images: words.length,
        failed,
        wordsMin: words[0] ?? 0,
        wordsMedian: words[Math.floor(words.length / 2)] ?? 0,
        wordsMax: words[words.length - 1] ?? 0,
        ms: Math.round(performance.now() - t0)
      }
    }
    const file = args.positionals[0]
    if (!file) throw new UsageError('missing <image> (or --dir <folder> --jsonl <out>)')
    const r = await captionImage(await readImage(file), config)
    const { detections, ...rest } = r
    return { file, ...rest, ms: Math.round(r.ms), ...(detections ? { objects: detections.length } : {}) }
  },
  format(r) {
    if ('caption' in r) return r.caption
    const fail = r.failed.length ? `; ${r.failed.length} failed (first: ${r.failed[0].file}: ${r.failed[0].error})` : ''
    return `${r.images} captions written to ${r.jsonl} (words min ${r.wordsMin}, median ${r.wordsMedian}, max ${r.wordsMax}) in ${(r.ms / 1000).toFixed(1)} s${fail}`
  }
}

export default captionCommand
