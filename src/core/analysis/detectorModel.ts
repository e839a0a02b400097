// Opens the detector's ONNX session. Until the shared model registry (src/core/models/manifest.ts)
// is in place this checks the file's sha256 against manifest.json itself, as the app must refuse
// a model whose hash differs.
import * as ort from 'onnxruntime-node'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GscError } from '../util/errors'

export const DETECTOR_MODEL_ID = 'detector'

/** resources/models, found by walking up from this file (works from src/ and from a bundle). */
export function defaultModelDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'resources', 'models')
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return resolve(process.cwd(), 'resources', 'models')
}

export async function openDetectorSession(opts: { dir?: string; threads?: number; executionProvider?: 'cpu' | 'cuda' } = {}): Promise<ort.InferenceSession> {
  const dir = opts.dir ?? defaultModelDir()
  const manifestPath = join(dir, 'manifest.json')
  let file = join(dir, 'detector.onnx')
  let expected: string | undefined
  if (existsSync(manifestPath)) {
    let entry: { file?: string; sha256?: string } | undefined
    try {
      entry = JSON.parse(readFileSync(manifestPath, 'utf8'))?.models?.[DETECTOR_MODEL_ID]
    } catch {
      throw new GscError(`model manifest ${manifestPath} is not valid JSON`)
    }
    if (entry?.file) file = join(dir, entry.file)
    expected = entry?.sha256
  }
  if (!existsSync(file)) throw new GscError(`detector model not found at ${file} (run training/detector/convert_tfjs_to_onnx.py)`)
  const bytes = readFileSync(file)
  if (expected) {
    const actual = createHash('sha256').update(bytes).digest('hex')
    if (actual !== expected) throw new GscError(`detector model ${file} has sha256 ${actual.slice(0, 12)}…, manifest expects ${expected.slice(0, 12)}…; refusing to load it`)
  }
  const threads = opts.threads ?? 2
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: [opts.executionProvider ?? 'cpu']
  })
}
