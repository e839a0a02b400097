// The sender's side: image -> caption -> g_a -> channel selection -> quantisation -> one CCSDS packet, with the
// model set chosen by EncodeOptions.modelSet (default: the manifest's default set), whose id the header carries.
import { decodeGscPacket, encodeGscPacket, quantizeDetection, type CaptionMode, type GscHeader, type TransmittedDetection } from '../bitstream/gscPacket'
import type { Detection } from '../analysis/detections'
import { GscError } from '../util/errors'
import { assertRgbImage, padToMultiple, toPlanarFloat, type RgbImage } from '../util/image'
import { LATENT_FACTOR, energyScores, gatherChannels, selectTopChannels, structurePlanes, type SelectionRule } from './channelSelection'
import { loadCodecModels, type CodecModels, type ExecutionProvider } from './codecModels'
import { QUANT_STEPS, chooseStep, quantize, targetBits, withinTrainedSteps } from './quantize'
import { throwIfAborted } from './flowSampler'
import { getDetector } from './sharedDetector'
import { makeCaption, type CaptionerSpec } from './captioning'
import { chooseChannelsAuto } from './autoSelect'

export const CHANNEL_CHOICES = [1, 2, 4, 8, 16] as const

export interface CodecProgress {
  stage: string
  done: number
  total: number
}

export interface EncodeOptions {
  /** Number of transmitted channels (0 = caption only), or 'auto' to choose by alpha/beta. Default 1. */
  channels?: number | 'auto'
  /** Caption typed by the operator; overrides the captioner. */
  caption?: string
  /** 'builtin' (default), 'none' (no caption), or an OpenAI-compatible endpoint. */
  captioner?: CaptionerSpec
  apid?: number
  sequenceCount?: number
  /** Model set to encode with (the header's modelId); default the manifest's defaultModelSet, else 1. */
  modelSet?: number
  /** Noise seed written to the header (default 0: the cheapest to code, and reproducible). */
  seed?: number
  /** Flow-step hint written to the header (default: the generator's recommended steps). Set 1's flow only: a set
   *  without a flow writes 0 and refuses this option. */
  steps?: number
  /** Fixed quantisation step (one of QUANT_STEPS or any multiple of 1/64); default: the step rule. */
  quantStep?: number
  /** Channel ranking: 'ssim' (default; the set's own SSIM rule, the one its decoder was trained with) or 'energy' (channel variance). */
  selection?: SelectionRule
  /** Append the sender's detections (class, score, quantised box) to the packet. */
  sendDetections?: boolean
  /** Weights of --channels auto: cost = alpha * (1 - F1) + beta * bits. Defaults 1 and 1e-4. */
  alpha?: number
  beta?: number
  executionProvider?: ExecutionProvider
  modelsDir?: string
  signal?: AbortSignal
  onProgress?(p: CodecProgress): void
}

export interface BitsReport {
  header: number
  caption: number
  latents: number
  detections: number
  total: number
  bpp: number
}

export interface AutoCandidate {
  channels: number
  channelIndices: number[]
  quantStep: number
  bits: BitsReport
  f1: number
  precision: number
  recall: number
  score: number
}

export interface EncodeResult {
  packet: Uint8Array
  /** The model set that made the packet (its header's modelId). */
  modelSet: number
  width: number
  height: number
  channels: number
  channelIndices: number[]
  quantStep: number
  /** False when the step is coarser than any the generator was trained on (quality may suffer). */
  quantStepTrained: boolean
  selection: SelectionRule
  seed: number
  steps: number
  caption: string
  captionMode: CaptionMode
  captionSource: string
  bits: BitsReport
  /** The bit target of the step rule for this C and image size, and whether the packet met it. */
  targetBits: number
  fitsTarget: boolean
  /** Every trial of the step search: bits counted against the target (packet minus appended detections). */
  stepsTried: { step: number; bits: number }[]
  /** The sender's detections (pixel boxes) when they were computed (builtin caption, auto, --send-detections). */
  senderDetections?: Detection[]
  transmittedDetections: TransmittedDetection[]
  candidates?: AutoCandidate[]
  alpha?: number
  beta?: number
  timingsMs: Record<string, number>
}

/** Everything about one image that does not depend on C. */
export interface PreparedImage {
  image: RgbImage
  padded: RgbImage
  lh: number
  lw: number
  /** g_a output, 320 x lh x lw, channel-major. */
  latent: Float32Array
  /** All channel indices, best first (channel-selection rule). */
  ranking: number[]
  scores: Float64Array
  selection: SelectionRule
  caption: string
  captionMode: CaptionMode
  captionSource: string
  senderDetections?: Detection[]
  transmittedDetections: TransmittedDetection[]
  models: CodecModels
}

const now = () => performance.now()

function checkChannels(c: number, latentChannels: number): void {
  if (!Number.isInteger(c) || c < 0 || c > Math.min(64, latentChannels))
    throw new GscError(`--channels must be 0..64 (normally 1, 2, 4, 8 or 16) or auto, got ${c}`)
}

/** A flow-step hint means something to a set with a flow only (set 1); another set writes 0. */
function checkStepsOption(steps: number | undefined, models: CodecModels): void {
  if (steps !== undefined && models.kind !== 'dct-flow')
    throw new GscError(`--steps applies to model set 1's flow only; model set ${models.modelId} (${models.kind}) decodes in one pass and writes steps 0`)
}

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
    rule === 'energy' ? energyScores(latent, models.latentChannels, lh, lw) : models.scoreChannels(latent, structurePlanes(padded))
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

export interface PackResult {
  packet: Uint8Array
  channels: number
  channelIndices: number[]
  quantStep: number
  bits: BitsReport
  targetBits: number
  fitsTarget: boolean
  stepsTried: { step: number; bits: number }[]
  header: GscHeader
}

/**
 * Packs a prepared image with C channels. Channel choice: the top C of the ranking, sent in ascending
 * index order. Step rule: the finest of QUANT_STEPS (1, 2, 4, ..., 128) whose whole packet (headers,
 * caption, latents, detections, CRC) fits targetBits(C) = targetBpp(C) x W x H (0.004 bpp at C = 1 ...
 * 0.02 bpp at C = 16); the coarsest if none does. Appended detections are not counted against the
 * target (they are reported separately). The step travels in the header.
 */
export async function packChannels(
  prep: PreparedImage,
  channels: number,
  opts: Pick<EncodeOptions, 'apid' | 'sequenceCount' | 'seed' | 'steps' | 'quantStep'> = {}
): Promise<PackResult> {
  checkChannels(channels, prep.models.latentChannels)
  checkStepsOption(opts.steps, prep.models)
  const { width, height } = prep.image
  const n = prep.lh * prep.lw
  const channelIndices = prep.ranking.slice(0, channels).sort((a, b) => a - b)
  const selected = gatherChannels(prep.latent, channelIndices, n)
  const base = {
    formatVersion: 1,
    width,
    height,
    modelId: prep.models.modelId,
    latentChannels: prep.models.latentChannels,
    channelIndices,
    steps: opts.steps ?? prep.models.headerSteps,
    seed: opts.seed ?? 0,
    hasDetections: prep.transmittedDetections.length > 0
  }
  const framing = { apid: opts.apid ?? 1, sequenceCount: opts.sequenceCount ?? 0 }
  const build = (step: number) => {
    const latents = quantize(selected, step)
    // 'static' = the shipped text model (with escapes for any UTF-8): far cheaper than raw 'utf8'.
    const header: GscHeader = { ...base, quantStep: step, captionMode: prep.captionMode }
    const packet = encodeGscPacket({ header, caption: prep.caption, latents, detections: prep.transmittedDetections }, framing)
    return { packet, header }
  }
  const budget = targetBits(Math.max(channels, 1), width, height)
  const built = new Map<number, { packet: Uint8Array; header: GscHeader }>()
  const steps = opts.quantStep !== undefined ? [opts.quantStep] : QUANT_STEPS
  // Appended detections (--send-detections) are extra: they do not eat into the image's bit target.
  const hasDets = prep.transmittedDetections.length > 0
  const choice = await chooseStep((step) => {
    const b = build(step)
    built.set(step, b)
    return b.packet.length * 8 - (hasDets ? decodeBits(b.packet).detections : 0)
  }, budget, steps)
  const { packet, header } = built.get(choice.step)!
  return {
    packet,
    channels,
    channelIndices,
    quantStep: choice.step,
    bits: bitsOf(packet, width, height),
    targetBits: budget,
    fitsTarget: choice.fits,
    stepsTried: choice.tried,
    header
  }
}

/** Per-part bit counts as the packet decoder accounts them. */
export function bitsOf(packet: Uint8Array, width: number, height: number): BitsReport {
  // The decoder is the single source of the per-section accounting.
  const b = decodeBits(packet)
  return { ...b, bpp: b.total / (width * height) }
}

function decodeBits(packet: Uint8Array) {
  return decodeGscPacket(packet).bits
}

export async function encodeImage(img: RgbImage, opts: EncodeOptions = {}): Promise<EncodeResult> {
  const timings: Record<string, number> = {}
  const t0 = now()
  const prep = await prepareImage(img, opts, timings)
  throwIfAborted(opts.signal, 'encode')
  let pack: PackResult
  let candidates: AutoCandidate[] | undefined
  const alpha = opts.alpha ?? 1
  const beta = opts.beta ?? 1e-4
  if (opts.channels === 'auto') {
    const auto = await chooseChannelsAuto(prep, opts, alpha, beta)
    candidates = auto.candidates
    pack = auto.best
  } else {
    const t = now()
    pack = await packChannels(prep, opts.channels ?? 1, opts)
    timings.packMs = now() - t
  }
  timings.totalMs = now() - t0
  return {
    packet: pack.packet,
    modelSet: prep.models.modelId,
    width: img.width,
    height: img.height,
    channels: pack.channels,
    channelIndices: pack.channelIndices,
    quantStep: pack.quantStep,
    quantStepTrained: withinTrainedSteps(pack.quantStep, prep.models.trainedQuantSteps),
    selection: prep.selection,
    seed: pack.header.seed,
    steps: pack.header.steps,
    caption: prep.caption,
    captionMode: pack.header.captionMode,
    captionSource: prep.captionSource,
    bits: pack.bits,
    targetBits: pack.targetBits,
    fitsTarget: pack.fitsTarget,
    stepsTried: pack.stepsTried,
    senderDetections: prep.senderDetections,
    transmittedDetections: prep.transmittedDetections,
    candidates,
    alpha: opts.channels === 'auto' ? alpha : undefined,
    beta: opts.channels === 'auto' ? beta : undefined,
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))
  }
}
