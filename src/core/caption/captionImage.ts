// One entry point for "caption this image": the built-in captioner (runs the detector first) or an
// external OpenAI-compatible server. Used by the CLI and the encoder alike.
import type { Detector, DetectorImage } from '../analysis/detector'
import { getDetector } from '../codec/sharedDetector'
import type { Detection } from '../analysis/detections'
import { builtinCaption, CAPTION_MIN_SCORE } from './builtin'
import { externalCaption, type ExternalCaptionOptions } from './external'

export type CaptionerConfig = { kind: 'builtin' } | ({ kind: 'external' } & ExternalCaptionOptions)

export interface CaptionResult {
  caption: string
  captioner: string
  words: number
  /** Detections the built-in captioner used (absent for external captioners). */
  detections?: Detection[]
  ms: number
}

/** A detector shared by built-in captioning calls in this process (the process's one cache). */
export function sharedDetector(): Promise<Detector> {
  return getDetector()
}

export async function captionImage(img: DetectorImage, config: CaptionerConfig = { kind: 'builtin' }, detector?: Detector): Promise<CaptionResult> {
  const t0 = performance.now()
  if (config.kind === 'external') {
    const caption = await externalCaption(img, config)
    return { caption, captioner: `${config.model} @ ${config.url}`, words: caption.split(/\s+/).length, ms: performance.now() - t0 }
  }
  const det = detector ?? (await sharedDetector())
  const detections = await det.detect(img, { scoreThreshold: CAPTION_MIN_SCORE })
  const caption = builtinCaption(img, detections)
  return { caption, captioner: 'builtin', words: caption.split(/\s+/).length, detections, ms: performance.now() - t0 }
}
