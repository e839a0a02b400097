// The process's one detector cache: one detector per execution provider and model folder, for the codec,
// the bench and the engine service alike (loading it costs more than a detection).
import { loadDetector, type Detector, type LoadDetectorOptions } from '../analysis/detector'

type ExecutionProvider = NonNullable<LoadDetectorOptions['executionProvider']>

const detectors = new Map<string, Promise<Detector>>()

/** `modelsDir`: the folder holding detector.onnx (default resources/models). */
export function getDetector(executionProvider: ExecutionProvider = 'cpu', modelsDir?: string): Promise<Detector> {
  const key = `${executionProvider}\0${modelsDir ?? ''}`
  let p = detectors.get(key)
  if (!p) {
    p = loadDetector({ executionProvider, dir: modelsDir })
    p.catch(() => detectors.delete(key))
    detectors.set(key, p)
  }
  return p
}

/** Closes every cached detector (an engine shutting down); the next getDetector loads afresh. */
export async function closeDetectors(): Promise<void> {
  const all = [...detectors.values()]
  detectors.clear()
  await Promise.all(all.map((p) => p.then((d) => d.close()).catch(() => {})))
}
