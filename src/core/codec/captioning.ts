// Where the encoder's caption comes from: the built-in captioner, none, or an external endpoint.
import type { Detection } from '../analysis/detections'
import { builtinCaption } from '../caption/builtin'
import { externalCaption } from '../caption/external'
import type { RgbImage } from '../image/rgbImage'

export type CaptionerSpec = 'builtin' | 'none' | { url: string; model: string; timeoutMs?: number; apiKey?: string }

export async function makeCaption(img: RgbImage, detections: Detection[], spec: CaptionerSpec): Promise<{ caption: string; source: string }> {
  if (spec === 'none') return { caption: '', source: 'none' }
  if (spec === 'builtin') return { caption: builtinCaption(img, detections).trim(), source: 'builtin' }
  const caption = await externalCaption(img, { url: spec.url, model: spec.model, timeoutMs: spec.timeoutMs ?? 60_000, apiKey: spec.apiKey })
  return { caption: caption.trim(), source: `external ${spec.model} @ ${spec.url}` }
}
