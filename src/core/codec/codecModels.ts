// The codec's model sets, wrapped in typed calls. A packet's header names its set (modelId); every set the
// manifest lists (manifest.json "modelSets", default "defaultModelSet"; a manifest without them has set 1 alone)
// opens on its own, so a packet decodes with exactly the set that made it.
//
// Set 1, kind 'dct-flow' (training/set1/export_onnx.py):
//   g_a:             image [1,3,H,W] RGB 0..1 (H, W multiples of 16) -> latent [1,320,H/16,W/16] (block DCT)
//   g_s:             latent [1,320,h,w] (dequantised y)               -> image [1,3,16h,16w] (clamp to 0..1)
//   caption_encoder: tokens int64 [1,L], mask float [1,L]              -> embedding [1,128]
//   generator_prior: caption [1,128], y_sel [1,320,h,w], mask [1,320], quant_step [1] -> centre [1,320,h,w]
//                    (conditional mean; transmitted channels: an estimate inside their quantisation bin)
//   generator:       r_t [1,320,h,w], t [1], caption, y_sel, mask, centre [1,320,h,w] -> v [1,320,h,w]
//   Both work in normalised latent space z = (y - mean_k) / std_k (manifest generator.normalisation); the flow
//   moves the residual r = z - centre, where centre = generator_prior's output.
// Set 3, kind 'learned-generative' (training/latent/export_latent_codec.py, networks in training/latent/latent_codec.py):
//   g_a:             image [1,3,H,W] RGB 0..1 -> latent [1,320,H/16,W/16] (learned, channel std ~ latent.scale)
//   decoder:         y_sel [1,320,h,w] (q * step where sent, 0 elsewhere), mask [1,320], caption [1,128],
//                    log_step [1] (log2 of the packet's step), noise [1,noiseChannels,h,w] -> image [1,3,16h,16w]
//   caption_encoder: as set 1's (same tokenizer and vocabulary)
//   Channel selection scores every channel through its preview patterns (manifest g_a latent.patterns).
import * as ort from 'onnxruntime-node'
import { resolve } from 'node:path'
import { closeModels, defaultModelsDir, generatorSampling, loadManifest, modelSetProblem, modelSetsOf, networksChain, openModel, type Manifest, type ModelEntry } from '../modelAssets/manifest'
import { loadCaptionVocab, tokenizeCaption } from '../modelAssets/tokenizer'
import { GscError, describeError } from '../util/errors'
import { COLOUR_THUMBNAIL_SETS } from '../bitstream/colourThumbnail'
import type { ThumbnailNorm } from './consistentThumbnail'
import type { LumaSharpening } from './lumaSharpening'
import { dctPatterns, scoreChannelPatterns, sendFirst, type ChannelBasis, type structurePlanes } from './channelSelection'
import { isModelSetKind, rolesOf, type ModelSetKind, type ModelSetSpec } from './modelIds'
import { QUANT_STEPS } from './quantize'
import { MAX_QUANT_STEP } from '../bitstream/gscHeader'

export type ExecutionProvider = 'cpu' | 'cuda'

/** What every model set offers the encoder and the decoder. */
export interface CodecModelsBase {
  /** How the set decodes: the decoder dispatches on it. */
  kind: ModelSetKind
  executionProvider: ExecutionProvider
  /** The model set's id, written to the GSC header; the decoder opens the set a packet names. */
  modelId: number
  /** The models directory the set was opened from. */
  dir: string
  /** role -> the manifest model id, file and sha256 the set opened (verified). */
  files: Record<string, { id: string; file: string; sha256: string }>
  latentChannels: number
  captionDim: number
  /** g_a's output per unit of the selection patterns (y / latentScale). */
  latentScale: number
  /** Quantisation steps the decoding networks saw in training. */
  trainedQuantSteps: number[]
  /** The steps the encoder's step rule chooses from, finest first (QUANT_STEPS unless the set's decoder entry lists
   * wireQuantSteps: set 4's colour channels are 8x finer, so its C = 1 packets need steps up to 256 to fit). */
  quantSteps: readonly number[]
  /** Flow-step hint the encoder writes to the header (0: the set has no flow). */
  headerSteps: number
  analysis(planar: Float32Array, height: number, width: number): Promise<Float32Array>
  /** Caption embedding; zeros for an empty caption. */
  embedCaption(caption: string): Promise<Float32Array>
  /** The set's SSIM selection rule: a score per channel (higher = send first). latent channel-major. */
  scoreChannels(latent: ArrayLike<number>, structure: ReturnType<typeof structurePlanes>): Float64Array
  /** Channels every packet of this set sends first, whatever the ranking rule (sets 4, 5: the colour mosaic). */
  alwaysSend: readonly number[]
  /** Channels no packet of this set lists on their own (set 22: the thumbnails its colour channel carries, 6.4). */
  neverSend: readonly number[]
}

/** Set 1: block-DCT latent, g_s, and the rectified-flow generator around its prior. */
export interface DctFlowModels extends CodecModelsBase {
  kind: 'dct-flow'
  /** Per-channel normalisation of the generator's latent space. */
  mean: Float32Array
  std: Float32Array
  recommendedSteps: number
  /** Scale of the starting noise the generator's sampling was evaluated with (1 = its training source). */
  recommendedTemperature: number
  /** Channels with DCT frequency u + v below this stay on the prior's estimate during the flow (0: none). */
  recommendedHoldBelow: number
  /** g_a's channel layout (colour plane, DCT frequency), for the channel-selection rule and the hold. */
  layout: ChannelBasis[]
  synthesis(latent: Float32Array, h: number, w: number): Promise<Float32Array>
  priorMean(caption: Float32Array, ySel: Float32Array, mask: Float32Array, quantStep: number, h: number, w: number): Promise<Float32Array>
  velocity(r: Float32Array, t: number, caption: Float32Array, ySel: Float32Array, mask: Float32Array, centre: Float32Array, h: number, w: number): Promise<Float32Array>
}

/** Set 3: learned latent, one-pass generative decoder driven by seeded noise. */
export interface LearnedGenerativeModels extends CodecModelsBase {
  kind: 'learned-generative'
  /** Channels of the decoder's noise input (standard Gaussian, from the packet's seed). */
  noiseChannels: number
  /** Selection preview patterns: [channel][plane Y, Cb, Cr] -> 16 values (4x4 row-major) per unit of y / latentScale. */
  patterns: Float64Array[][]
  /** Set 22: how the station moves its picture onto the sent thumbnails (consistentThumbnail.ts), when the set says so. */
  thumbnailNorm?: ThumbnailNorm
  /** Set 32: the unsharp mask the station puts on its picture's luma last (lumaSharpening.ts), when the set says so. */
  lumaSharpening?: LumaSharpening
  /** Set 35: the station's post-filter over its finished picture (planar RGB [3, H, W], H and W multiples of 16; the
   *  packet's C), run after the thumbnail correction; absent for a set without one. */
  postFilter?(planar: Float32Array, height: number, width: number, channels: number): Promise<Float32Array>
  /** Whether the decoder takes a luma plane's detail (set 29: input luma_detail [1,1,4h,4w], fineLuma.ts lumaDetail). */
  takesLumaDetail: boolean
  /** One decoder run: planar RGB [3, 16h, 16w] (not clamped). lumaDetail: [4h x 4w] for a decoder that takes it (zeros
   *  when omitted: a packet whose luma plane is its thumbnail). */
  generate(ySel: Float32Array, mask: Float32Array, caption: Float32Array, logStep: number, noise: Float32Array, h: number, w: number, lumaDetail?: Float32Array): Promise<Float32Array>
}

export type CodecModels = DctFlowModels | LearnedGenerativeModels

export interface LoadCodecModelsOptions {
  /** The model set (header modelId); default the manifest's defaultModelSet, else 1. */
  modelId?: number
  executionProvider?: ExecutionProvider
  dir?: string
}

const cache = new Map<string, Promise<CodecModels>>()

/**
 * Opens (once per execution provider, directory and set) and hash-checks one model set. A set the manifest does
 * not list is refused with code ENOMODELSET; a listed set with a model missing from the manifest or the disk with
 * one line naming the set and the model (ENOMODEL).
 */
export function loadCodecModels(opts: LoadCodecModelsOptions = {}): Promise<CodecModels> {
  const ep = opts.executionProvider ?? 'cpu'
  let dir: string
  let manifest: Manifest
  let id: number
  try {
    dir = resolve(opts.dir ?? defaultModelsDir())
    manifest = loadManifest(dir)
    id = opts.modelId ?? modelSetsOf(manifest).defaultId
  } catch (e) {
    return Promise.reject(e)
  }
  const key = `${ep}:${dir}:${id}`
  let p = cache.get(key)
  if (!p) {
    p = openSet(ep, dir, manifest, id)
    p.catch(() => cache.delete(key))
    cache.set(key, p)
  }
  return p
}

/** A flow set (kind 'dct-flow'; default set 1), for tools that drive set 1's prior, flow and g_s themselves. */
export async function loadFlowModels(opts: LoadCodecModelsOptions = {}): Promise<DctFlowModels> {
  const m = await loadCodecModels({ ...opts, modelId: opts.modelId ?? 1 })
  if (m.kind !== 'dct-flow') throw new GscError(`model set ${m.modelId} is of kind '${m.kind}', not a flow set (dct-flow)`)
  return m
}

/**
 * Decodes of images over this many pixels run on sessions of their own, released when the decode ends
 * (sizedForImage). onnxruntime's CPU memory arena keeps the largest run's memory for the session's life, so one
 * large decode on the cached sessions would leave its gigabytes held by an idle station; up to this size (Kodak
 * 768x512, KITTI 1242x375) the cached sessions' arenas make repeated decodes fast. Measured in docs/bench/decode-memory.md.
 */
export const ARENA_KEEP_PIXELS = 1024 * 512

/** One model of a set: a session for names, and the session a run uses (the same one, or a decode's own). */
interface RoleSessions {
  session: ort.InferenceSession
  forRun(): Promise<ort.InferenceSession>
}

async function single(model: RoleSessions, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await model.forRun()
  const out = await session.run(feeds)
  const t = out[session.outputNames[0]]
  const data = t.data as Float32Array
  // Tensors own native memory; copy out so the caller can keep the values.
  const copy = new Float32Array(data)
  for (const v of Object.values(out)) v.dispose?.()
  return copy
}

async function openSet(ep: ExecutionProvider, dir: string, manifest: Manifest, id: number): Promise<CodecModels> {
  const { sets } = modelSetsOf(manifest)
  const set = sets.find((s) => s.id === id)
  if (!set)
    throw new GscError(`model set ${id} is not installed in ${dir} (installed: ${sets.map((s) => s.id).join(', ') || 'none'})`, 'ENOMODELSET')
  const problem = modelSetProblem(set, manifest, dir)
  if (problem) throw new GscError(problem, 'ENOMODEL')
  const kind = set.kind
  if (!isModelSetKind(kind)) throw new GscError(`model set ${id} is of kind '${kind}', which this build cannot run`, 'ENOMODEL') // (modelSetProblem said so)
  const roles = rolesOf(kind, set.models)
  const entry = (role: string): ModelEntry => manifest.models[set.models[role]]
  // an entry that names its set (modelId, modelSet) must name this one, or one whose networks this set declares it
  // runs (networksOf, followed: set 28 runs set 27's, which runs set 5's g_a): a set never borrows a model by accident
  const runs = networksChain(id, (k) => sets.find((s) => s.id === k)?.networksOf)
  for (const role of roles) {
    const e = entry(role) as { modelId?: unknown; modelSet?: unknown }
    for (const named of [e.modelId, e.modelSet])
      if (named !== undefined && !runs.includes(named as number)) throw new GscError(`model set ${id}: manifest entry '${set.models[role]}' says it belongs to model set ${String(named)}`, 'ENOMODEL')
  }
  const openSession = async (role: string, fresh: boolean) => {
    try {
      // the post-filter runs once per decode at full resolution: without the arena its memory does not grow with each
      // new picture size (manifest.ts OpenModelOptions.memoryArena; ship-rule-set36.md criterion 8)
      return await openModel(set.models[role], { executionProvider: ep, dir, fresh, memoryArena: role !== 'post_filter' })
    } catch (e) {
      throw e instanceof GscError ? new GscError(`model set ${id}: ${describeError(e)}`, e.code) : e
    }
  }
  const open = async (role: string): Promise<RoleSessions> => {
    const session = await openSession(role, false)
    return { session, forRun: () => Promise.resolve(session) }
  }
  const files = Object.fromEntries(roles.map((role) => [role, { id: set.models[role], file: entry(role).file, sha256: entry(role).sha256 }]))
  const encoderEntry = entry('caption_encoder')
  const dim = encoderEntry.outputs?.[0]?.shape?.[1]
  const captionDim = typeof dim === 'number' ? dim : 128
  const captionEncoder = await open('caption_encoder')
  const vocab = loadCaptionVocab(dir, set.models.caption_encoder)
  const embedCaption = async (caption: string) => {
    if (caption.trim() === '') return new Float32Array(captionDim)
    const { ids, mask } = tokenizeCaption(caption, vocab)
    const L = ids.length
    return single(captionEncoder, { tokens: new ort.Tensor('int64', ids, [1, L]), mask: new ort.Tensor('float32', mask, [1, L]) })
  }
  const common = { executionProvider: ep, modelId: id, dir, files, captionDim, embedCaption }
  const build = (opener: Opener) => (kind === 'dct-flow' ? openDctFlow(set, entry, opener, common) : openLearned(set, entry, opener, common))
  const models = await build(open)
  // The same set on sessions of one decode's own, each opened on its first run (a decode never runs g_a).
  sized.set(models, async () => {
    const opened = new Map<string, Promise<ort.InferenceSession>>()
    const own = await build(async (role) => {
      const { session } = await open(role)
      return {
        session,
        forRun: () => {
          let mine = opened.get(role)
          if (!mine) opened.set(role, (mine = openSession(role, true)))
          return mine
        }
      }
    })
    const release = async () => {
      const all = [...opened.values()]
      opened.clear()
      for (const p of all) await (await p.catch(() => null))?.release()
    }
    return { models: own, release }
  })
  return models
}

type Common = Pick<CodecModelsBase, 'executionProvider' | 'modelId' | 'dir' | 'files' | 'captionDim' | 'embedCaption'>
type Opener = (role: string) => Promise<RoleSessions>

const PLANES: Record<string, number> = { Y: 0, Cb: 1, Cr: 2 }

interface GeneratorEntry {
  normalisation?: { mean: number[]; std: number[] }
  trainedQuantSteps?: number[]
  wireQuantSteps?: number[]
}

interface AnalysisEntry {
  latent?: { scale?: number; layout?: { plane: string; u: number; v: number }[]; patterns?: unknown }
}

function readLayout(set: ModelSetSpec, entry: AnalysisEntry, channels: number): { layout: ChannelBasis[]; scale: number } {
  const lat = entry.latent
  const layout = lat?.layout?.map((b) => ({ plane: PLANES[b.plane] ?? -1, u: b.u, v: b.v })) ?? []
  if (typeof lat?.scale !== 'number' || layout.length !== channels || layout.some((b) => b.plane < 0 || !Number.isInteger(b.u) || !Number.isInteger(b.v)))
    throw new GscError(`model set ${set.id}: manifest entry '${set.models.g_a}' lacks latent.scale or a valid latent.layout for every channel; re-run training/set1/export_onnx.py`, 'ENOMODEL')
  return { layout, scale: lat.scale }
}

async function openDctFlow(set: ModelSetSpec, entry: (role: string) => ModelEntry, open: Opener, common: Common): Promise<DctFlowModels> {
  const gen = entry('generator') as unknown as GeneratorEntry
  const sampling = generatorSampling(entry('generator'))
  const norm = gen.normalisation
  if (!norm || !Array.isArray(norm.mean) || !Array.isArray(norm.std))
    throw new GscError(`model set ${set.id}: manifest entry '${set.models.generator}' lacks normalisation.mean/std`, 'ENOMODEL')
  const [ga, gs, generator, prior] = await Promise.all(['g_a', 'g_s', 'generator', 'generator_prior'].map(open))
  const latentChannels = norm.mean.length
  const { layout, scale: latentScale } = readLayout(set, entry('g_a') as unknown as AnalysisEntry, latentChannels)
  const patterns = dctPatterns(layout)
  const { captionDim } = common
  return {
    ...common,
    kind: 'dct-flow',
    latentChannels,
    mean: Float32Array.from(norm.mean),
    std: Float32Array.from(norm.std),
    recommendedSteps: sampling.steps,
    recommendedTemperature: sampling.temperature,
    recommendedHoldBelow: sampling.holdBelowFrequency,
    headerSteps: sampling.steps,
    trainedQuantSteps: gen.trainedQuantSteps ?? [1, 2, 4, 8],
    quantSteps: wireSteps(set, 'generator', gen),
    layout,
    latentScale,
    scoreChannels: (latent, structure) => sendFirst(scoreChannelPatterns(latent, patterns, latentScale, structure), set.alwaysSend, neverListed(set.id)),
    alwaysSend: set.alwaysSend ?? [],
    neverSend: neverListed(set.id),
    analysis: (planar, H, W) => single(ga, { [ga.session.inputNames[0]]: new ort.Tensor('float32', planar, [1, 3, H, W]) }),
    synthesis: (latent, h, w) => single(gs, { [gs.session.inputNames[0]]: new ort.Tensor('float32', latent, [1, latentChannels, h, w]) }),
    priorMean: (caption, ySel, mask, quantStep, h, w) =>
      single(prior, {
        caption: new ort.Tensor('float32', caption, [1, captionDim]),
        y_sel: new ort.Tensor('float32', ySel, [1, latentChannels, h, w]),
        mask: new ort.Tensor('float32', mask, [1, latentChannels]),
        quant_step: new ort.Tensor('float32', Float32Array.of(quantStep), [1])
      }),
    velocity: (r, t, caption, ySel, mask, centre, h, w) =>
      single(generator, {
        r_t: new ort.Tensor('float32', r, [1, latentChannels, h, w]),
        t: new ort.Tensor('float32', Float32Array.of(t), [1]),
        caption: new ort.Tensor('float32', caption, [1, captionDim]),
        y_sel: new ort.Tensor('float32', ySel, [1, latentChannels, h, w]),
        mask: new ort.Tensor('float32', mask, [1, latentChannels]),
        centre: new ort.Tensor('float32', centre, [1, latentChannels, h, w])
      })
  }
}

interface DecoderEntry {
  noiseChannels?: number
  trainedQuantSteps?: number[]
  wireQuantSteps?: number[]
}

/** The channels a set's packets never list on their own: those its colour thumbnail carries (docs/bitstream.md 6.4). */
function neverListed(id: number): readonly number[] {
  return COLOUR_THUMBNAIL_SETS[id]?.planes ?? []
}

/** The steps the encoder chooses from: the set's own wireQuantSteps (manifest modelSets), else its generator/decoder
 *  entry's (ascending positive multiples of 1/64 up to the wire's largest), else QUANT_STEPS. */
function wireSteps(set: ModelSetSpec, role: 'generator' | 'decoder', e: { wireQuantSteps?: number[] }): readonly number[] {
  const s = set.wireQuantSteps ?? e.wireQuantSteps
  if (s === undefined) return QUANT_STEPS
  const ok = Array.isArray(s) && s.length > 0 && s.every((v, i) => typeof v === 'number' && v > 0 && v <= MAX_QUANT_STEP && Number.isInteger(v * 64) && (i === 0 || v > s[i - 1]))
  const where = set.wireQuantSteps ? 'its modelSets entry' : `manifest entry '${set.models[role]}'`
  if (!ok) throw new GscError(`model set ${set.id}: ${where} has an invalid wireQuantSteps (ascending multiples of 1/64 up to ${MAX_QUANT_STEP})`, 'ENOMODEL')
  return s
}

/** latent.patterns of a learned g_a: [channels][3][16] finite numbers. */
function readPatterns(set: ModelSetSpec, entry: AnalysisEntry): { patterns: Float64Array[][]; scale: number } {
  const lat = entry.latent
  const raw = lat?.patterns
  const ok =
    typeof lat?.scale === 'number' &&
    lat.scale > 0 &&
    Array.isArray(raw) &&
    raw.length > 0 &&
    raw.every((c) => Array.isArray(c) && c.length === 3 && c.every((p) => Array.isArray(p) && p.length === 16 && p.every((v) => typeof v === 'number' && Number.isFinite(v))))
  if (!ok)
    throw new GscError(`model set ${set.id}: manifest entry '${set.models.g_a}' lacks latent.scale or latent.patterns ([channels][3][16], the selection preview); re-run its export`, 'ENOMODEL')
  return { patterns: (raw as number[][][]).map((c) => c.map((p) => Float64Array.from(p))), scale: lat!.scale as number }
}

async function openLearned(set: ModelSetSpec, entry: (role: string) => ModelEntry, open: Opener, common: Common): Promise<LearnedGenerativeModels> {
  const { patterns, scale: latentScale } = readPatterns(set, entry('g_a') as unknown as AnalysisEntry)
  const latentChannels = patterns.length
  const out = entry('g_a').outputs?.[0]?.shape?.[1]
  if (typeof out === 'number' && out !== latentChannels)
    throw new GscError(`model set ${set.id}: g_a '${set.models.g_a}' outputs ${out} channels but its manifest lists ${latentChannels} selection patterns`, 'ENOMODEL')
  const dec = entry('decoder') as unknown as DecoderEntry
  const noiseChannels = dec.noiseChannels ?? 8
  if (!Number.isInteger(noiseChannels) || noiseChannels < 1)
    throw new GscError(`model set ${set.id}: manifest entry '${set.models.decoder}' has an invalid noiseChannels`, 'ENOMODEL')
  const [ga, decoder, post] = await Promise.all(['g_a', 'decoder', ...(set.models.post_filter ? ['post_filter'] : [])].map(open))
  const { captionDim } = common
  // a set running networks that take a colour thumbnail needs its own wire layout in this build, or its packets would be
  // written and read without one (session 42: a scratch set 37 before colourThumbnail.ts listed it decoded to ΔE00 19)
  if (set.networksOf !== undefined && COLOUR_THUMBNAIL_SETS[set.networksOf] && !COLOUR_THUMBNAIL_SETS[set.id])
    throw new GscError(`model set ${set.id} runs set ${set.networksOf}'s networks, which take a colour thumbnail, but this build has no wire layout for set ${set.id} (docs/bitstream.md 6.4)`, 'ENOMODEL')
  const takesLumaDetail = decoder.session.inputNames.includes('luma_detail')
  if (takesLumaDetail && !COLOUR_THUMBNAIL_SETS[set.id]?.lumaFactors.includes(4))
    throw new GscError(`model set ${set.id}: decoder '${set.models.decoder}' takes a luma plane's detail, which only a set with a 1/4-scale luma plane on the wire (docs/bitstream.md 6.4) carries`, 'ENOMODEL')
  return {
    ...common,
    kind: 'learned-generative',
    latentChannels,
    latentScale,
    patterns,
    noiseChannels,
    headerSteps: 0,
    trainedQuantSteps: dec.trainedQuantSteps ?? [8, 12, 16, 24, 32, 48, 64, 96],
    quantSteps: wireSteps(set, 'decoder', dec),
    scoreChannels: (latent, structure) => sendFirst(scoreChannelPatterns(latent, patterns, latentScale, structure), set.alwaysSend, neverListed(set.id)),
    alwaysSend: set.alwaysSend ?? [],
    neverSend: neverListed(set.id),
    ...(set.consistentThumbnail ? { thumbnailNorm: set.consistentThumbnail } : {}),
    ...(set.sharpenLuma ? { lumaSharpening: set.sharpenLuma } : {}),
    takesLumaDetail,
    ...(post
      ? {
          postFilter: (planar: Float32Array, H: number, W: number, channels: number) =>
            single(post, { picture: new ort.Tensor('float32', planar, [1, 3, H, W]), channels: new ort.Tensor('float32', Float32Array.of(channels), [1]) })
        }
      : {}),
    analysis: (planar, H, W) => single(ga, { [ga.session.inputNames[0]]: new ort.Tensor('float32', planar, [1, 3, H, W]) }),
    generate: (ySel, mask, caption, logStep, noise, h, w, lumaDetail) => {
      if (lumaDetail && lumaDetail.length !== 16 * h * w) throw new GscError(`luma detail of ${lumaDetail.length} values for a ${h}x${w} latent (want ${16 * h * w})`)
      return single(decoder, {
        y_sel: new ort.Tensor('float32', ySel, [1, latentChannels, h, w]),
        mask: new ort.Tensor('float32', mask, [1, latentChannels]),
        caption: new ort.Tensor('float32', caption, [1, captionDim]),
        log_step: new ort.Tensor('float32', Float32Array.of(logStep), [1]),
        noise: new ort.Tensor('float32', noise, [1, noiseChannels, h, w]),
        ...(takesLumaDetail ? { luma_detail: new ort.Tensor('float32', lumaDetail ?? new Float32Array(16 * h * w), [1, 1, 4 * h, 4 * w]) } : {})
      })
    }
  }
}

/** A set sized for one decode; release() closes the sessions it opened so far (a later run opens new ones). */
type Sized<M extends CodecModels> = { models: M; release(): Promise<void> }
const sized = new WeakMap<CodecModels, () => Promise<Sized<CodecModels>>>()

/**
 * The set to decode an image of `pixels` with: the set itself up to ARENA_KEEP_PIXELS; above it the same set on
 * sessions of this decode's own, which release() closes so their arenas' memory goes back (call it when done, and
 * between samples: an arena that serves several runs of this size grows past one run's need).
 */
export async function sizedForImage<M extends CodecModels>(models: M, pixels: number): Promise<Sized<M>> {
  const own = sized.get(models)
  if (pixels <= ARENA_KEEP_PIXELS || !own) return { models, release: async () => {} }
  return (await own()) as Sized<M>
}

/** Drops cached sessions (tests, or after the models on disk changed). */
export async function releaseCodecModels(): Promise<void> {
  cache.clear()
  // Sessions are shared through src/core/modelAssets/manifest's cache; closing them there releases them.
  await closeModels()
}
