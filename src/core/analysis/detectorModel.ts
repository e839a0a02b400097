// Opens the detector's ONNX session through the model registry, which refuses a file whose sha256
// differs from resources/models/manifest.json.
import type * as ort from 'onnxruntime-node'
import { openModel } from '../models/manifest'

export const DETECTOR_MODEL_ID = 'detector'

export function openDetectorSession(opts: { dir?: string; executionProvider?: 'cpu' | 'cuda' } = {}): Promise<ort.InferenceSession> {
  return openModel(DETECTOR_MODEL_ID, { dir: opts.dir, executionProvider: opts.executionProvider })
}
