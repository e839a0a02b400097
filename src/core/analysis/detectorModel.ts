// Opens the detector's ONNX session. The file is verified through the model registry (sha256 against
// resources/models/manifest.json; a mismatch is refused), but the session is ours: the detector runs
// on a shared 2-core station CPU, where 2 intra-op threads without spin-waiting measured best
// (spinning threads stall when other jobs hold the cores; see docs/bench/detector.md).
import * as ort from 'onnxruntime-node'
import { resolve } from 'node:path'
import { defaultModelsDir, verifyModel } from '../modelAssets/manifest'
import { GscError, describeError } from '../util/errors'
import { analysisSessionOptions } from '../modelAssets/sessionOptions'

export const DETECTOR_MODEL_ID = 'detector'

export interface DetectorSessionOptions {
  dir?: string
  executionProvider?: 'cpu' | 'cuda'
  /** Intra-op threads (default 2). */
  threads?: number
}

const sessions = new Map<string, Promise<ort.InferenceSession>>()

export function openDetectorSession(opts: DetectorSessionOptions = {}): Promise<ort.InferenceSession> {
  const dir = resolve(opts.dir ?? defaultModelsDir())
  const provider = opts.executionProvider ?? 'cpu'
  const threads = opts.threads ?? 2
  const v = verifyModel(DETECTOR_MODEL_ID, dir)
  if (!v.ok) return Promise.reject(new GscError(v.error ?? 'detector model failed verification', 'EMODELHASH'))
  const key = `${v.path}|${v.sha256}|${provider}|${threads}`
  let p = sessions.get(key)
  if (!p) {
    p = ort.InferenceSession.create(v.path, analysisSessionOptions(provider, threads)).catch((err) => {
      sessions.delete(key)
      throw new GscError(`cannot load the detector with the ${provider} provider: ${describeError(err)}`, 'ENOMODEL')
    })
    sessions.set(key, p)
  }
  return p
}
