// One detector per execution provider for the whole process (loading it costs more than a detection).
import { loadDetector, type Detector } from '../analysis/detector'
import type { ExecutionProvider } from './codecModels'

const detectors = new Map<string, Promise<Detector>>()

export function getDetector(executionProvider: ExecutionProvider = 'cpu'): Promise<Detector> {
  let p = detectors.get(executionProvider)
  if (!p) {
    p = loadDetector({ executionProvider })
    p.catch(() => detectors.delete(executionProvider))
    detectors.set(executionProvider, p)
  }
  return p
}
