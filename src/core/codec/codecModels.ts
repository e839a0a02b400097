// The five ONNX models the codec runs (g_a, g_s, caption_encoder, generator_prior, generator), wrapped in typed calls.
// Interfaces as exported by training/export_onnx.py and recorded in resources/models/manifest.json:
//   g_a:             image [1,3,H,W] RGB 0..1 (H, W multiples of 16) -> latent [1,320,H/16,W/16]
//   g_s:             latent [1,320,h,w] (dequantised y)               -> image [1,3,16h,16w] (clamp to 0..1)
//   caption_encoder: tokens int64 [1,L], mask float [1,L]              -> embedding [1,128]
//   generator_prior: caption [1,128], y_sel [1,320,h,w], mask [1,320], quant_step [1] -> centre [1,320,h,w]
//                    (conditional mean; transmitted channels: an estimate inside their quantisation bin)
//   generator:       r_t [1,320,h,w], t [1], caption, y_sel, mask, centre [1,320,h,w] -> v [1,320,h,w]
// Both work in normalised latent space z = (y - mean_k) / std_k (manifest generator.normalisation); the flow
// moves the residual r = z - centre, where centre = generator_prior's output.
import * as ort from 'onnxruntime-node'
import { closeModels, generatorSampling, loadManifest, openModel } from '../models/manifest'
import { loadCaptionVocab, tokenizeCaption } from '../models/tokenizer'
import { GscError } from '../util/errors'
import type { ChannelBasis } from './channelSelection'
import { CODEC_MODEL_IDS } from './modelIds'

export type ExecutionProvider = 'cpu' | 'cuda'

export interface CodecModels {
  executionProvider: ExecutionProvider
  /** Numeric id written to the GSC header; the decoder refuses packets made with another model set. */
  modelId: number
  latentChannels: number
  captionDim: number
  /** Per-channel normalisation of the generator's latent space. */
  mean: Float32Array
  std: Float32Array
  recommendedSteps: number
  /** Scale of the starting noise the generator's sampling was evaluated with (1 = its training source). */
  recommendedTemperature: number
  /** Channels with DCT frequency u + v below this stay on the prior's estimate during the flow (0: none). */
  recommendedHoldBelow: number
  /** Quantisation steps the generator saw in training. */
  trainedQuantSteps: number[]
  /** g_a's channel layout (colour plane, DCT frequency) and scale, for the channel-selection rule. */
  layout: ChannelBasis[]
  latentScale: number
  analysis(planar: Float32Array, height: number, width: number): Promise<Float32Array>
  synthesis(latent: Float32Array, h: number, w: number): Promise<Float32Array>
  embedCaption(caption: string): Promise<Float32Array>
  priorMean(caption: Float32Array, ySel: Float32Array, mask: Float32Array, quantStep: number, h: number, w: number): Promise<Float32Array>
  velocity(r: Float32Array, t: number, caption: Float32Array, ySel: Float32Array, mask: Float32Array, centre: Float32Array, h: number, w: number): Promise<Float32Array>
}

interface GeneratorEntry {
  modelId?: number
  normalisation?: { mean: number[]; std: number[] }
  trainedQuantSteps?: number[]
}

interface AnalysisEntry {
  latent?: { scale?: number; layout?: { plane: string; u: number; v: number }[] }
}

const PLANES: Record<string, number> = { Y: 0, Cb: 1, Cr: 2 }

function readLayout(entry: AnalysisEntry, channels: number): { layout: ChannelBasis[]; scale: number } {
  const lat = entry.latent
  const layout = lat?.layout?.map((b) => ({ plane: PLANES[b.plane] ?? -1, u: b.u, v: b.v })) ?? []
  if (typeof lat?.scale !== 'number' || layout.length !== channels || layout.some((b) => b.plane < 0 || !Number.isInteger(b.u) || !Number.isInteger(b.v)))
    throw new GscError('manifest g_a entry lacks latent.scale or a valid latent.layout for every channel; re-run training/export_onnx.py')
  return { layout, scale: lat.scale }
}

const cache = new Map<string, Promise<CodecModels>>()

/** Opens (once per execution provider and directory) and hash-checks the codec's models. */
export function loadCodecModels(opts: { executionProvider?: ExecutionProvider; dir?: string } = {}): Promise<CodecModels> {
  const ep = opts.executionProvider ?? 'cpu'
  const key = `${ep}:${opts.dir ?? ''}`
  let p = cache.get(key)
  if (!p) {
    p = openAll(ep, opts.dir)
    p.catch(() => cache.delete(key))
    cache.set(key, p)
  }
  return p
}

async function single(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const out = await session.run(feeds)
  const t = out[session.outputNames[0]]
  const data = t.data as Float32Array
  // Tensors own native memory; copy out so the caller can keep the values.
  const copy = new Float32Array(data)
  for (const v of Object.values(out)) v.dispose?.()
  return copy
}

async function openAll(ep: ExecutionProvider, dir?: string): Promise<CodecModels> {
  const manifest = loadManifest(dir)
  for (const id of CODEC_MODEL_IDS) {
    if (!manifest.models[id]) throw new GscError(`model '${id}' is missing from resources/models/manifest.json; run the training export (training/export_onnx.py)`)
  }
  const gen = manifest.models.generator as unknown as GeneratorEntry
  const sampling = generatorSampling(manifest.models.generator)
  const norm = gen.normalisation
  if (!norm || !Array.isArray(norm.mean) || !Array.isArray(norm.std)) throw new GscError('manifest generator entry lacks normalisation.mean/std')
  const [ga, gs, generator, prior, captionEncoder] = await Promise.all(CODEC_MODEL_IDS.map((id) => openModel(id, { executionProvider: ep, dir })))
  const vocab = loadCaptionVocab(dir)
  const latentChannels = norm.mean.length
  const dim = manifest.models.caption_encoder.outputs?.[0]?.shape?.[1]
  const captionDim = typeof dim === 'number' ? dim : 128
  const { layout, scale: latentScale } = readLayout(manifest.models.g_a as unknown as AnalysisEntry, latentChannels)
  const mean = Float32Array.from(norm.mean)
  const std = Float32Array.from(norm.std)
  return {
    executionProvider: ep,
    modelId: Number.isInteger(gen.modelId) ? (gen.modelId as number) : 0,
    latentChannels,
    captionDim,
    mean,
    std,
    recommendedSteps: sampling.steps,
    recommendedTemperature: sampling.temperature,
    recommendedHoldBelow: sampling.holdBelowFrequency,
    trainedQuantSteps: gen.trainedQuantSteps ?? [1, 2, 4, 8],
    layout,
    latentScale,
    analysis: (planar, H, W) => single(ga, { [ga.inputNames[0]]: new ort.Tensor('float32', planar, [1, 3, H, W]) }),
    synthesis: (latent, h, w) => single(gs, { [gs.inputNames[0]]: new ort.Tensor('float32', latent, [1, latentChannels, h, w]) }),
    async embedCaption(caption) {
      if (caption.trim() === '') return new Float32Array(captionDim)
      const { ids, mask } = tokenizeCaption(caption, vocab)
      const L = ids.length
      return single(captionEncoder, {
        tokens: new ort.Tensor('int64', ids, [1, L]),
        mask: new ort.Tensor('float32', mask, [1, L])
      })
    },
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
      }),
  }
}

/** Drops cached sessions (tests, or after the models on disk changed). */
export async function releaseCodecModels(): Promise<void> {
  cache.clear()
  // Sessions are shared through src/core/models/manifest's cache; closing them there releases them.
  await closeModels()
}
