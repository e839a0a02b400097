// The baseline panel: each requested codec fitted to a GSC packet's bytes (the bench's fit-to-size rule), measured,
// and the one shown chosen by BEST_BASELINE_RULE.
import { performance } from 'node:perf_hooks'
import { BASELINES, type BaselineId } from '../../baselines/codecs'
import { fitToSize, type FitMemo } from '../../baselines/fitToSize'
import { GscError, describeError } from '../../util/errors'
import type { RgbImage } from '../../image/rgbImage'
import { measureImage } from '../imageMetrics'
import { baselineName } from './labels'
import type { SheetBaseline } from './types'

/** Index of the best reached baseline by BEST_BASELINE_RULE, or -1. */
export function pickBest(fits: readonly Pick<SheetBaseline, 'reached' | 'metrics'>[]): number {
  let best = -1
  for (let i = 0; i < fits.length; i++) {
    const m = fits[i].metrics
    if (!fits[i].reached || !m || !Number.isFinite(m.msssim)) continue
    if (best < 0 || m.msssim > fits[best].metrics!.msssim) best = i
  }
  return best
}

export async function fitOne(id: BaselineId, img: RgbImage, targetBytes: number, memo: FitMemo, signal?: AbortSignal): Promise<{ fit: SheetBaseline; image: RgbImage | null }> {
  const t0 = performance.now()
  const codec = BASELINES[id]
  const empty = { codec: id, name: baselineName(id), bpp: null, scale: null, codedWidth: null, codedHeight: null, knob: null, metrics: null }
  try {
    const r = await fitToSize(codec, img, targetBytes, signal, memo)
    const image = r.reached ? r.image : null
    const fit: SheetBaseline = {
      ...empty,
      reached: r.reached && image !== null,
      bytes: r.bytes,
      bpp: r.reached ? (r.bytes * 8) / (img.width * img.height) : null,
      scale: r.scale,
      codedWidth: r.codedWidth,
      codedHeight: r.codedHeight,
      knob: r.reached && r.knob !== null ? { name: codec.knobName, value: r.knob } : null,
      metrics: image ? await measureImage(img, image) : null,
      error: null,
      fitMs: Math.round(performance.now() - t0)
    }
    return { fit, image }
  } catch (e) {
    if (signal?.aborted || !(e instanceof GscError)) throw e
    // A codec that cannot run (missing tool) is recorded, as the bench does, not dropped.
    return { fit: { ...empty, reached: false, bytes: null, error: describeError(e), fitMs: Math.round(performance.now() - t0) }, image: null }
  }
}
