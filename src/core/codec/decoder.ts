// The station's side: packet -> (CRC, parse) -> the model set the packet names (refused when not installed, never
// decoded with another) -> caption embedding + transmitted channels -> that set's generation from the packet's
// seeded noise -> image at the original size.
//   set 1 (dct-flow): rectified-flow sampling around the generator prior's estimate, then g_s;
//   set 3 (learned-generative): one decoder run on the dequantised channels, their mask, the caption, log2 of the
//   step and Gaussian noise from the seed.
import { decodeGscPacket, type BitsBreakdown, type DecodedGscPacket, type GscHeader, type PrimaryHeader, type TransmittedDetection } from '../bitstream/gscPacket'
import { GscError } from '../util/errors'
import { checkFlowStepLimit, checkPixelLimit, decodeLimits, decodedPixels, type DecodeLimits } from '../bitstream/limits'
import { cropImage, fromPlanarFloat, type RgbImage } from '../image/rgbImage'
import { LATENT_FACTOR, type ChannelBasis } from './channelSelection'
import { resolve } from 'node:path'
import { loadManifest, modelSetsOf, defaultModelsDir } from '../modelAssets/manifest'
import { loadCodecModels, sizedForImage, type CodecModels, type DctFlowModels, type ExecutionProvider, type LearnedGenerativeModels } from './codecModels'
import { throwIfAborted } from './cancellation'
import { sampleFlow } from './flowSampler'
import { gaussianNoise32 } from './prng'
import { uncertaintyMap, type UncertaintyStats } from './uncertainty'
import { colourThumbnailOf } from '../bitstream/colourThumbnail'
import { mosaicOf, reconstructColourThumbnail } from './colourThumbnailCodec'
import { makeThumbnailConsistent } from './consistentThumbnail'
import { sharpenLuma } from './lumaSharpening'
import { coarseLumaThumbnail, lumaDetail } from './fineLuma'
import { grainPowerOf, synthesizeTexture } from './textureSynthesis'
import { textureStrength } from '../bitstream/colourCoder'
import type { CodecProgress } from './types'

export const MAX_SAMPLES = 16
/** Highest DCT frequency u + v of a 16x16 block, plus one (hold every channel). */
export const MAX_HOLD_BELOW = 31

export interface DecodeOptions {
  /** Flow steps; default: defaultFlowSteps, else the header's hint, else the generator's recommended count. 0: no
   *  flow, the prior's conditional-mean estimate alone (fast and blurry; noise and temperature play no part).
   *  steps, temperature and holdBelowFrequency apply to set 1's flow only: given for a packet of a set without a
   *  flow, the decode is refused. */
  steps?: number
  /** A station's preferred flow steps (a setting, not a request): used for a flow set's packet when steps is not
   *  given; sets without a flow ignore it. */
  defaultFlowSteps?: number
  /** Noise seed; default: the header's seed. Sample k uses seed + k. */
  seed?: number
  /** Scale of the starting noise, 0..2; default the generator's recommended value (manifest sampling.temperature)
   *  for one reconstruction, and 1 (samples of the trained distribution) when samples >= 2, so the spread the
   *  uncertainty map shows is the model's own. */
  temperature?: number
  /** Channels whose DCT frequency u + v is below this stay on the prior's estimate during the flow, held the way
   *  transmitted channels are; default the generator's recommendation (manifest sampling.holdBelowFrequency).
   *  Why: a flow trained on 2 CPU cores shifts the lowest frequencies (brightness) when run for several steps, while
   *  its finer detail helps the detector. 0: the flow moves every channel that was not transmitted. */
  holdBelowFrequency?: number
  /** Number of reconstructions (>= 2 adds an uncertainty map). Default 1. */
  samples?: number
  signal?: AbortSignal
  onProgress?(p: CodecProgress): void
  executionProvider?: ExecutionProvider
  modelsDir?: string
  /** The station's decode limits (docs/bitstream.md 4.1), checked on the header before anything the image size
   *  depends on is allocated: decodePacket applies the defaults (2048 x 2048 pixels, 64 flow steps) to what is not
   *  given; regenerate checks only limits it is given (an encoder regenerating its own packet). */
  limits?: Partial<DecodeLimits>
  /** Also return the first sample's latent (320 x h x w), e.g. to check transmitted channels: set 1 the flow's
   *  final latent, set 3 the decoder's latent input (dequantised transmitted channels, zeros elsewhere). */
  returnLatent?: boolean
  /** Set 30: draw the grain the packet's texture exponent asks for (textureSynthesis.ts). Default true; false gives
   *  the picture without invented detail (what the packet itself determines). Other sets have no grain to draw. */
  texture?: boolean
}

export interface DecodeResult {
  image: RgbImage
  /** All K reconstructions when samples >= 2 (image is samples[0]). */
  samples?: RgbImage[]
  /** Per-pixel spread across samples as a heat map (RGB), when samples >= 2. */
  uncertainty?: RgbImage
  uncertaintyStats?: UncertaintyStats
  /** The model set that decoded the packet (its header's modelId) and its kind. */
  modelSet: number
  modelKind: CodecModels['kind']
  header: GscHeader
  primary: PrimaryHeader
  bits: BitsBreakdown & { bpp: number }
  caption: string
  /** Detections the sender appended (normalised boxes), if any. */
  detections: TransmittedDetection[]
  seeds: number[]
  /** Flow steps run (0 for a set without a flow). */
  steps: number
  /** Scale of the starting noise (1 for a set without a flow: its noise is standard Gaussian). */
  temperature: number
  /** 0 for a set without a flow. */
  holdBelowFrequency: number
  latent?: Float32Array
  /** Set 30: the grain's strength the packet asks for (0: none), and whether it was drawn (DecodeOptions.texture). */
  texture?: { strength: number; drawn: boolean }
  timingsMs: Record<string, number>
}

/** Decodes and validates the packet, then regenerates the image. Any packet error is a GscError; no image is produced. */
export async function decodePacket(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<DecodeResult> {
  const t0 = performance.now()
  const limits = decodeLimits(opts.limits)
  // The pixel limit is checked on the header, before the latents are allocated or any model is opened.
  const packet = decodeGscPacket(bytes, { maxPixels: limits.maxPixels })
  const models = await modelsForPacket(packet.header.modelId, opts)
  return regenerate(packet, models, { ...opts, limits }, t0)
}

/** The model set a packet names; one line naming the set and the directory when it is not installed. */
export async function modelsForPacket(modelId: number, opts: Pick<DecodeOptions, 'executionProvider' | 'modelsDir'> = {}): Promise<CodecModels> {
  const dir = resolve(opts.modelsDir ?? defaultModelsDir())
  const installed = modelSetsOf(loadManifest(dir)).sets.map((s) => s.id)
  if (!installed.includes(modelId))
    throw new GscError(
      `packet was made with model set ${modelId}, which is not installed in ${dir} (installed: ${installed.join(', ') || 'none'}); it is never decoded with another set`,
      'ENOMODELSET'
    )
  return loadCodecModels({ modelId, executionProvider: opts.executionProvider, dir })
}

function checkCompatible(h: GscHeader, models: CodecModels): void {
  if (h.latentChannels !== models.latentChannels)
    throw new GscError(`packet was made for a ${h.latentChannels}-channel codec; this station's models have ${models.latentChannels}`)
  if (h.modelId !== models.modelId)
    throw new GscError(`packet was made with model set ${h.modelId}; these models are set ${models.modelId}`)
}

/** Regenerates the image of a parsed packet with `models`, which must be the set the packet names. */
export async function regenerate(packet: DecodedGscPacket, models: CodecModels, opts: DecodeOptions = {}, t0 = performance.now()): Promise<DecodeResult> {
  const h = packet.header
  checkCompatible(h, models)
  if (opts.limits?.maxPixels !== undefined) checkPixelLimit(h, opts.limits.maxPixels)
  const samples = opts.samples ?? 1
  if (!Number.isInteger(samples) || samples < 1 || samples > MAX_SAMPLES) throw new GscError(`--samples must be 1..${MAX_SAMPLES}, got ${samples}`)
  const baseSeed = opts.seed ?? h.seed
  if (!Number.isInteger(baseSeed) || baseSeed < 0 || baseSeed > 0xffffffff) throw new GscError(`--seed must be 0..4294967295, got ${baseSeed}`)
  // A large image decodes on sessions of its own, closed when it ends, so its memory goes back (codecModels.ts).
  const sized = await sizedForImage(models, decodedPixels(h))
  try {
    const m = sized.models
    const endSample = sized.release // sessions of a large decode are renewed for each sample
    return m.kind === 'dct-flow' ? await regenerateFlow(packet, m, opts, samples, baseSeed, t0, endSample) : await regenerateOnePass(packet, m, opts, samples, baseSeed, t0, endSample)
  } finally {
    await sized.release()
  }
}

/** Set 1: rectified flow around the prior's estimate, then g_s (the path every set-1 packet has always taken). */
async function regenerateFlow(packet: DecodedGscPacket, models: DctFlowModels, opts: DecodeOptions, samples: number, baseSeed: number, t0: number, endSample: () => Promise<void>): Promise<DecodeResult> {
  const h = packet.header
  const steps = opts.steps ?? opts.defaultFlowSteps ?? (h.steps > 0 ? h.steps : models.recommendedSteps)
  if (!Number.isInteger(steps) || steps < 0 || steps > 4096) throw new GscError(`--steps must be 0..4096, got ${steps}`)
  if (opts.limits?.maxFlowSteps !== undefined)
    checkFlowStepLimit(steps, opts.steps !== undefined ? 'option' : opts.defaultFlowSteps !== undefined ? 'setting' : h.steps > 0 ? 'packet' : 'model', opts.limits.maxFlowSteps)
  const temperature = opts.temperature ?? (samples >= 2 ? 1 : models.recommendedTemperature)
  if (!(temperature >= 0 && temperature <= 2)) throw new GscError(`--temperature must be 0..2, got ${temperature}`)
  const holdBelowFrequency = opts.holdBelowFrequency ?? models.recommendedHoldBelow
  if (!Number.isInteger(holdBelowFrequency) || holdBelowFrequency < 0 || holdBelowFrequency > MAX_HOLD_BELOW)
    throw new GscError(`--hold-below must be 0..${MAX_HOLD_BELOW}, got ${holdBelowFrequency}`)
  const timings: Record<string, number> = {}
  const N = models.latentChannels
  const { lh, lw, n } = latentGrid(h)

  // Transmitted channels: dequantised values (the bin centres) and their normalised form for the generator.
  const mask = new Float32Array(N)
  const ySel = new Float32Array(N * n)
  const yKnown = new Float32Array(h.channelIndices.length * n)
  h.channelIndices.forEach((c, k) => {
    mask[c] = 1
    for (let i = 0; i < n; i++) {
      const v = packet.latents[k * n + i] * h.quantStep
      yKnown[k * n + i] = v
      ySel[c * n + i] = (v - models.mean[c]) / models.std[c]
    }
  })

  const held = heldChannels(h.channelIndices, models.layout, holdBelowFrequency)

  let t = performance.now()
  const caption = await models.embedCaption(packet.caption)
  timings.captionMs = performance.now() - t
  // The flow's source is centred on the prior's conditional-mean estimate; transmitted channels on its estimate
  // inside their quantisation bin (a coarse step is smoothed, yet the latent still quantises back to the packet).
  t = performance.now()
  const centre = await models.priorMean(caption, ySel, mask, h.quantStep, lh, lw)
  if (centre.length !== N * n) throw new GscError(`generator_prior returned ${centre.length} values for a ${lh}x${lw} latent`)
  keepInBin(centre, yKnown, h.channelIndices, h.quantStep, models.mean, models.std, n)
  timings.priorMs = performance.now() - t

  const total = samples * (steps + 1)
  const images: RgbImage[] = []
  const seeds: number[] = []
  let firstLatent: Float32Array | undefined
  t = performance.now()
  let genMs = 0
  let synthMs = 0
  for (let k = 0; k < samples; k++) {
    throwIfAborted(opts.signal)
    const seed = (baseSeed + k) >>> 0
    seeds.push(seed)
    const r = new Float32Array(N * n) // steps 0: no flow, the prior's estimate alone
    const tg = performance.now()
    if (steps > 0) {
      const noise = gaussianNoise32(seed, N * n)
      // Below 1 the residual starts nearer zero (the prior's estimate): fewer invented details, what SSIM and detection reward.
      if (temperature !== 1) for (let i = 0; i < noise.length; i++) noise[i] *= temperature
      r.set(noise)
      await sampleFlow(r, {
        steps,
        schedule: { noiseT: 1, dataT: 0 },
        velocity: (rr, tt) => models.velocity(rr, tt, caption, ySel, mask, centre, lh, lw),
        // Keep held channels (transmitted, low frequencies) on their straight path r_t = t * noise: exactly on the centre at t = 0.
        constrain: (rr, tt) => {
          for (const c of held) {
            const o = c * n
            for (let i = 0; i < n; i++) rr[o + i] = tt * noise[o + i]
          }
        },
        onStep: (done) => opts.onProgress?.({ stage: 'generate', done: k * (steps + 1) + done, total }),
        signal: opts.signal
      })
    }
    genMs += performance.now() - tg
    // z = centre + r, back to g_a units (transmitted channels: r = 0, the centre's in-bin estimate).
    const y = new Float32Array(N * n)
    for (let c = 0; c < N; c++) {
      const m = models.mean[c]
      const s = models.std[c]
      for (let i = 0; i < n; i++) y[c * n + i] = (centre[c * n + i] + r[c * n + i]) * s + m
    }
    if (k === 0 && opts.returnLatent) firstLatent = y
    throwIfAborted(opts.signal)
    const ts = performance.now()
    const planar = await models.synthesis(y, lh, lw)
    synthMs += performance.now() - ts
    if (planar.length !== 3 * n * LATENT_FACTOR * LATENT_FACTOR) throw new GscError(`g_s returned ${planar.length} values for a ${lh}x${lw} latent`)
    const full = fromPlanarFloat(planar, lw * LATENT_FACTOR, lh * LATENT_FACTOR)
    images.push(cropImage(full, h.width, h.height))
    await endSample()
    opts.onProgress?.({ stage: 'generate', done: (k + 1) * (steps + 1), total })
  }
  timings.generateMs = genMs
  timings.synthesisMs = synthMs
  return finish(packet, models, images, { seeds, steps, temperature, holdBelowFrequency, latent: firstLatent }, timings, t0)
}

/** The latent grid of a packet's image: one value per 16x16 block of the image padded to multiples of 16. */
function latentGrid(h: GscHeader): { lh: number; lw: number; n: number } {
  const lh = Math.ceil(h.height / LATENT_FACTOR)
  const lw = Math.ceil(h.width / LATENT_FACTOR)
  return { lh, lw, n: lh * lw }
}

/** The result of either path: first image, samples and their uncertainty map, the packet's facts. */
function finish(
  packet: DecodedGscPacket,
  models: CodecModels,
  images: RgbImage[],
  run: Pick<DecodeResult, 'seeds' | 'steps' | 'temperature' | 'holdBelowFrequency' | 'latent' | 'texture'>,
  timings: Record<string, number>,
  t0: number
): DecodeResult {
  const h = packet.header
  let uncertainty: RgbImage | undefined
  let uncertaintyStats: UncertaintyStats | undefined
  if (images.length >= 2) {
    const u = uncertaintyMap(images)
    uncertainty = u.image
    uncertaintyStats = u.stats
  }
  timings.totalMs = performance.now() - t0
  return {
    image: images[0],
    samples: images.length >= 2 ? images : undefined,
    uncertainty,
    uncertaintyStats,
    modelSet: models.modelId,
    modelKind: models.kind,
    header: h,
    primary: packet.primary,
    bits: { ...packet.bits, bpp: packet.bits.total / (h.width * h.height) },
    caption: packet.caption,
    detections: packet.detections,
    ...run,
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))
  }
}

/**
 * Set 3: one decoder run per sample on the transmitted channels (dequantised, q * step, zeros elsewhere), their
 * mask, the caption embedding, log2 of the step and standard Gaussian noise from seed + k; clamped and cropped.
 */
async function regenerateOnePass(
  packet: DecodedGscPacket,
  models: LearnedGenerativeModels,
  opts: DecodeOptions,
  samples: number,
  baseSeed: number,
  t0: number,
  endSample: () => Promise<void>
): Promise<DecodeResult> {
  const h = packet.header
  const flowOnly = [
    opts.steps !== undefined && '--steps',
    opts.temperature !== undefined && '--temperature',
    opts.holdBelowFrequency !== undefined && '--hold-below'
  ].filter((x): x is string => typeof x === 'string')
  if (flowOnly.length)
    throw new GscError(
      `${flowOnly.join(', ')} ${flowOnly.length > 1 ? 'apply' : 'applies'} to model set 1's flow only; this packet was made with model set ${models.modelId}, which decodes in one pass`
    )
  const timings: Record<string, number> = {}
  const N = models.latentChannels
  const { lh, lw, n } = latentGrid(h)
  const mask = new Float32Array(N)
  const ySel = new Float32Array(N * n)
  h.channelIndices.forEach((c, k) => {
    mask[c] = 1
    for (let i = 0; i < n; i++) ySel[c * n + i] = packet.latents[k * n + i] * h.quantStep
  })
  const thumbnails = fillColourChannels(packet, ySel, mask, lh, lw)
  // set 29: the luma plane's detail beyond the networks' Y thumbnail, as a decoder input
  const detail = models.takesLumaDetail && thumbnails ? lumaDetail(thumbnails.planes.subarray(0, thumbnails.lumaFactor ** 2 * n), thumbnails.networksY, lh, lw, thumbnails.lumaFactor) : undefined
  let t = performance.now()
  const caption = await models.embedCaption(packet.caption)
  timings.captionMs = performance.now() - t
  const logStep = Math.log2(h.quantStep)
  // sets 30 and 31: the grain the sender measured, drawn over each sample from its own seed
  const textureExponent = packet.colour?.textureExponent
  const texture = textureExponent === undefined ? undefined : { strength: textureStrength(textureExponent), drawn: textureExponent > 0 && opts.texture !== false }
  const images: RgbImage[] = []
  const seeds: number[] = []
  t = performance.now()
  for (let k = 0; k < samples; k++) {
    throwIfAborted(opts.signal)
    const seed = (baseSeed + k) >>> 0
    seeds.push(seed)
    const noise = gaussianNoise32(seed, models.noiseChannels * n)
    let planar = await models.generate(ySel, mask, caption, logStep, noise, lh, lw, detail)
    if (planar.length !== 3 * n * LATENT_FACTOR * LATENT_FACTOR) throw new GscError(`decoder of model set ${models.modelId} returned ${planar.length} values for a ${lh}x${lw} latent`)
    if (thumbnails && models.thumbnailNorm) makeThumbnailConsistent(planar, lh, lw, thumbnails.planes, models.thumbnailNorm, thumbnails.lumaFactor)
    if (models.postFilter) planar = await postFiltered(models, planar, lh, lw, h.channelIndices.length)
    if (models.lumaSharpening) sharpenLuma(planar, lw * LATENT_FACTOR, lh * LATENT_FACTOR, models.lumaSharpening)
    const picture = cropImage(fromPlanarFloat(planar, lw * LATENT_FACTOR, lh * LATENT_FACTOR), h.width, h.height)
    images.push(texture?.drawn ? synthesizeTexture(picture, texture.strength, seed, grainPowerOf(h.modelId)) : picture)
    await endSample()
    opts.onProgress?.({ stage: 'generate', done: k + 1, total: samples })
  }
  throwIfAborted(opts.signal)
  timings.generateMs = performance.now() - t
  return finish(packet, models, images, { seeds, steps: 0, temperature: 1, holdBelowFrequency: 0, latent: opts.returnLatent ? ySel : undefined, ...(texture ? { texture } : {}) }, timings, t0)
}

/**
 * Set 22 (docs/bitstream.md 6.4): the colour thumbnail the packet carries in its colour channel's place becomes the four
 * colour channels the networks take: the Y, Cb, Cr thumbnails and the mosaic cut from them, all marked as sent (set 28:
 * the Y thumbnail computed from its finer luma plane, fineLuma.ts). Returns the planes as the wire carried them (the
 * decoded picture is then moved onto them, consistentThumbnail.ts), the layout's luma factor and the networks' Y
 * thumbnail, undefined without.
 */
function fillColourChannels(
  packet: DecodedGscPacket,
  ySel: Float32Array,
  mask: Float32Array,
  lh: number,
  lw: number
): { planes: Float32Array; lumaFactor: number; networksY: Float32Array } | undefined {
  const layout = colourThumbnailOf(packet.header.modelId, packet.header.channelIndices)
  if (!layout || !packet.colour) return undefined
  const n = lh * lw
  const planes = reconstructColourThumbnail(packet.colour, lh, lw, packet.header.quantStep)
  const f = packet.colour.lumaFactor
  const thumbnails = f === 1 ? planes : new Float32Array(3 * n)
  if (f !== 1) {
    thumbnails.set(coarseLumaThumbnail(planes.subarray(0, f * f * n), lh, lw, f))
    thumbnails.set(planes.subarray(f * f * n), n)
  }
  layout.planes.forEach((c, p) => {
    mask[c] = 1
    ySel.set(thumbnails.subarray(p * n, (p + 1) * n), c * n)
  })
  mask[layout.channel] = 1
  ySel.set(mosaicOf(thumbnails, lh, lw), layout.channel * n)
  return { planes, lumaFactor: f, networksY: thumbnails.subarray(0, n) }
}

/**
 * Clamps the transmitted channels of the prior's centre (normalised units) into their quantisation bins
 * [v - step/2, v + step/2] (g_a units, v = the dequantised value). The prior's tanh keeps them there already;
 * the clamp makes "the decoded latent quantises back to the packet" hold whatever model file is loaded.
 */
function keepInBin(centre: Float32Array, yKnown: Float32Array, channels: readonly number[], step: number, mean: ArrayLike<number>, std: ArrayLike<number>, n: number): void {
  const half = step * 0.499 // just inside: round-half-away would carry an exact edge into the next bin
  channels.forEach((c, j) => {
    for (let i = 0; i < n; i++) {
      const v = yKnown[j * n + i]
      const y = centre[c * n + i] * std[c] + mean[c]
      const clamped = Math.min(v + half, Math.max(v - half, y))
      if (clamped !== y) centre[c * n + i] = (clamped - mean[c]) / std[c]
    }
  })
}

/** The channels the flow leaves on the prior's estimate: the transmitted ones, and those with u + v < holdBelow. */
export function heldChannels(transmitted: readonly number[], layout: readonly ChannelBasis[], holdBelow: number): number[] {
  const held = new Set(transmitted)
  layout.forEach((b, c) => {
    if (b.u + b.v < holdBelow) held.add(c)
  })
  return [...held].sort((a, b) => a - b)
}

/** Set 35: the station's post-filter over its finished picture (codecModels postFilter), its output checked. */
async function postFiltered(models: LearnedGenerativeModels, planar: Float32Array, lh: number, lw: number, channels: number): Promise<Float32Array> {
  const out = await models.postFilter!(planar, lh * LATENT_FACTOR, lw * LATENT_FACTOR, channels)
  if (out.length !== planar.length) throw new GscError(`post-filter of model set ${models.modelId} returned ${out.length} values for a ${lh}x${lw} latent`)
  return out
}
