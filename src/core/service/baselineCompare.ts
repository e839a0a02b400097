// The Image view's baseline panel: any of the six baseline codecs fitted to a packet's bytes by the
// bench's own rule (src/core/baselines/fitToSize.ts), with the bytes it reached, its setting, and a
// plain statement when it cannot get that small (never a larger file shown as if it fitted).
// Reached from the engine service (Electron and `gsc serve`) and from `gsc baseline`.
import type { BaselineCodecId, BaselineFit, ImageMetrics } from '../../shared/api'
import { BASELINE_CODECS } from '../../shared/schemas'
import { performance } from 'node:perf_hooks'
import { BASELINES, type BaselineId } from '../baselines/codecs'
import { fitToSize, type FitResult } from '../baselines/fitToSize'
import { GscError, describeError } from '../util/errors'
import { pngDataUrl } from './images'
import type { RgbImage } from '../image/rgbImage'

// The contract's codec ids and the baselines module's must be the same six (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const CODEC_LISTS_AGREE: Same<BaselineCodecId, BaselineId> = true
void CODEC_LISTS_AGREE

export interface BaselineAtSize {
  codec: BaselineId
  label: string
  knobName: string
  /** The bench's fit; null when the codec could not run (error says why). */
  fit: FitResult | null
  error: string | null
  ms: number
}

/**
 * One baseline codec driven to the packet's size by the bench's own rule (fitToSize: downscale + quality
 * search). A codec that cannot run (missing tool) is reported, not thrown, as the bench does.
 */
async function baselineAtSize(img: RgbImage, bytes: number, codec: BaselineId, signal?: AbortSignal): Promise<BaselineAtSize> {
  const c = BASELINES[codec]
  const t0 = performance.now()
  const out = { codec, label: c.label, knobName: c.knobName }
  const missing = await c.unavailable()
  if (missing) return { ...out, fit: null, error: missing, ms: performance.now() - t0 }
  try {
    return { ...out, fit: await fitToSize(c, img, bytes, signal), error: null, ms: performance.now() - t0 }
  } catch (e) {
    if (signal?.aborted || !(e instanceof GscError)) throw e
    return { ...out, fit: null, error: describeError(e), ms: performance.now() - t0 }
  }
}

export const DEFAULT_BASELINE: BaselineCodecId = 'webp'

export function baselineName(id: BaselineCodecId): string {
  return BASELINE_CODECS.find((c) => c.id === id)?.name ?? id
}

const num = (v: number) => Number(v.toPrecision(3))

/** One line saying what the panel shows, or why it shows no image. */
export function fitSummary(f: Omit<BaselineFit, 'summary' | 'image'>): string {
  if (f.error) return `${f.name} could not run: ${f.error}`
  if (!f.reached)
    return `${f.name} cannot fit in ${f.targetBytes} octets: its smallest file of this image is ${f.bytes} octets (lowest setting at the smallest scale), so no ${f.name} image is shown`
  const size = f.scale !== null && f.scale < 1 ? `coded at ${f.codedWidth}×${f.codedHeight} (×${num(f.scale)})` : 'coded at full size'
  return `${f.name} at ${f.bytes} of ${f.targetBytes} octets: ${f.setting!.name} ${num(f.setting!.value)}, ${size}`
}

/**
 * Fits one codec to `targetBytes` of `original` (the picture at the packet's size) and measures the result
 * with `measure`. The image comes back (as a PNG data URL, and as pixels in `decoded`) only when the codec
 * reached the target.
 */
export async function fitBaseline(original: RgbImage, targetBytes: number, codec: BaselineCodecId, measure?: (x: RgbImage) => ImageMetrics, signal?: AbortSignal): Promise<{ fit: BaselineFit; decoded: RgbImage | null }> {
  const r = await baselineAtSize(original, targetBytes, codec, signal)
  const f = r.fit
  const reached = Boolean(f?.reached && f.image)
  const decoded = reached ? f!.image : null
  const fit: Omit<BaselineFit, 'summary' | 'image'> = {
    codec,
    name: baselineName(codec),
    label: r.label,
    targetBytes,
    reached,
    bytes: f ? f.bytes : null,
    bits: f ? f.bytes * 8 : null,
    setting: reached && f!.knob !== null ? { name: r.knobName, value: f!.knob } : null,
    scale: reached ? f!.scale : null,
    codedWidth: reached ? f!.codedWidth : null,
    codedHeight: reached ? f!.codedHeight : null,
    metrics: decoded && measure ? measure(decoded) : null,
    error: r.error,
    fitMs: Math.round(r.ms)
  }
  return { fit: { ...fit, summary: fitSummary(fit), image: decoded ? await pngDataUrl(decoded) : null }, decoded }
}

/**
 * Promises kept by key, least recently used dropped first; a failed promise is not kept. Used for the
 * fits per (packet, original, codec), as decodes are kept per packet.
 */
export class PromiseCache<T> {
  private entries = new Map<string, Promise<T>>()
  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.entries.get(key)
    if (p) this.entries.delete(key)
    else {
      const made = make()
      made.catch(() => this.entries.get(key) === made && this.entries.delete(key))
      p = made
    }
    this.entries.set(key, p)
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!)
    return p
  }
}
