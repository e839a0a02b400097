// The C-independent part of encoding: caption (operator, built-in from the sender's detections, or an endpoint),
// g_a of the padded image, and the channel ranking every C then takes its top channels from.
import { quantizeDetection, type TransmittedDetection } from '../bitstream/gscPacket'
import type { Detection } from '../analysis/detections'
import { GscError } from '../util/errors'
import { assertRgbImage, padToMultiple, toPlanarFloat, type RgbImage } from '../image/rgbImage'
import { throwIfAborted } from './cancellation'
import { makeCaption } from './captioning'
import { LATENT_FACTOR, energyScores, selectTopChannels, sendFirst, structurePlanes } from './channelSelection'
import { loadCodecModels } from './codecModels'
import { checkStepsOption } from './packing'
import { getDetector } from './sharedDetector'
import type { EncodeOptions, PreparedImage } from './types'

const now = () => performance.now()

export function toTransmitted(d: Detection[], width: number, height: number): TransmittedDetection[] {
  const clamp = (v: number) => Math.min(1, Math.max(0, v))
  return d
    .filter((x) => x.classId >= 0 && x.classId < 80)
    .slice(0, 255)
    .map((x) =>
      quantizeDetection({
        classId: x.classId,
        score: clamp(x.score),
        box: [clamp(x.box[0] / width), clamp(x.box[1] / height), clamp(x.box[2] / width), clamp(x.box[3] / height)]
      })
    )
}

/** Caption, g_a and channel ranking: the C-independent part of encoding. */
export async function prepareImage(img: RgbImage, opts: EncodeOptions = {}, timings: Record<string, number> = {}): Promise<PreparedImage> {
  assertRgbImage(img)
  const progress = (stage: string, done: number, total: number) => opts.onProgress?.({ stage, done, total })
  const models = await loadCodecModels({ modelId: opts.modelSet, executionProvider: opts.executionProvider, dir: opts.modelsDir })
  checkStepsOption(opts.steps, models)
  throwIfAborted(opts.signal, 'encode')

  let t = now()
  progress('caption', 0, 1)
  const wantAuto = opts.channels === 'auto'
  const needDetections = opts.sendDetections || wantAuto || (opts.caption === undefined && (opts.captioner ?? 'builtin') === 'builtin')
  let senderDetections: Detection[] | undefined
  if (needDetections) {
    const detector = await getDetector(opts.executionProvider)
    senderDetections = await detector.detect(img)
    timings.detectMs = now() - t
    t = now()
  }
  const cap = opts.caption !== undefined ? { caption: opts.caption.trim(), source: 'operator' } : await makeCaption(img, senderDetections ?? [], opts.captioner ?? 'builtin')
  timings.captionMs = now() - t
  progress('caption', 1, 1)
  throwIfAborted(opts.signal, 'encode')

  t = now()
  progress('analysis', 0, 1)
  const padded = padToMultiple(img, LATENT_FACTOR)
  const lh = padded.height / LATENT_FACTOR
  const lw = padded.width / LATENT_FACTOR
  const latent = await models.analysis(toPlanarFloat(padded), padded.height, padded.width)
  if (latent.length !== models.latentChannels * lh * lw)
    throw new GscError(`g_a returned ${latent.length} values, expected ${models.latentChannels}x${lh}x${lw}`)
  timings.analysisMs = now() - t
  progress('analysis', 1, 1)

  t = now()
  const rule = opts.selection ?? 'ssim'
  const scores =
    rule === 'energy' ? sendFirst(energyScores(latent, models.latentChannels, lh, lw), models.alwaysSend, models.neverSend) : models.scoreChannels(latent, structurePlanes(padded))
  const ranking = selectTopChannels(scores, models.latentChannels)
  // selectTopChannels returns ascending indices; rebuild best-first order for callers
  ranking.sort((a, b) => scores[b] - scores[a] || a - b)
  timings.selectionMs = now() - t

  return {
    image: img,
    padded,
    lh,
    lw,
    latent,
    ranking,
    scores,
    selection: rule,
    caption: cap.caption,
    captionMode: cap.caption === '' ? 'none' : 'static',
    captionSource: cap.source,
    senderDetections,
    transmittedDetections: opts.sendDetections ? toTransmitted(senderDetections ?? [], img.width, img.height) : [],
    models
  }
}
