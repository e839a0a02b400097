// The GSC codec as the bench drives it: prepare once per image (caption, g_a, channel ranking), pack per C, decode;
// with one model set (default: the manifest's default set), whose id and model hashes key the bench's cache.
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { COLOUR_STEP_RULE_VERSION, FINE_LUMA_RULE, packChannels, STEP_RULE_VERSION, TEXTURE_RULES } from '../codec/packing'
import { SHARPEN_CHOICE_VERSION, choosesSharpening } from '../codec/sharpenChoice'
import { LOW_C_SEARCH_BELOW, LUMA_CANDIDATES, LUMA_SCORE_WEIGHTS, LUMA_SEARCH_VERSION, lowCSearchOf, lumaSearchFromC } from '../codec/lumaSearch'
import type { LumaRule } from '../codec/types'
import { BAND_SIGMAS, EDGE_POWER, ENERGY_SIGMA, GRAIN_AMPLITUDE_POWER, GRAIN_SIGMA } from '../codec/textureSynthesis'
import { COLOUR_THUMBNAIL_SETS } from '../bitstream/colourThumbnail'
import { DEAD_ZONE, FINE_LUMA_DEAD_ZONE } from '../codec/colourThumbnailCodec'
import { prepareImage } from '../codec/prepare'
import { decodePacket } from '../codec/decoder'
import { generatorSampling, loadManifest, modelSetsOf } from '../modelAssets/manifest'
import { describeError } from '../util/errors'
import type { RgbImage } from '../image/rgbImage'

export interface GscPacked {
  packet: Uint8Array
  quantStep: number
  fitsTarget: boolean
  targetBits: number
  channelIndices: number[]
  /** The model set the packet names. */
  modelSet: number
  /** Bits per section as the packet decoder accounts them. */
  sections: { header: number; caption: number; latents: number; detections: number; total: number }
  packMs: number
}

export interface GscPrepared {
  prepareMs: number
  caption: string
  captionSource: string
  pack(c: number): Promise<GscPacked>
}

export interface GscBenchCodec {
  prepare(img: RgbImage, signal?: AbortSignal): Promise<GscPrepared>
  decode(packet: Uint8Array, signal?: AbortSignal): Promise<{ image: RgbImage; decodeMs: number; steps: number }>
  /** What a cached measurement of this codec depends on (gscCodecFingerprint): a new set or new files re-measure. */
  fingerprint?: string
}

export interface GscBenchOptions {
  executionProvider?: 'cpu' | 'cuda'
  modelsDir?: string
  /** Model set to encode with (default: the manifest's default set). */
  modelSet?: number
  /** Flow steps at decode for a flow set (default: the packet header's); sets without a flow ignore it. */
  steps?: number
  /** Set 28's luma plane: searched per photo or the fixed rule per C (EncodeOptions.lumaRule; default DEFAULT_LUMA_RULE). */
  lumaRule?: LumaRule
}

/**
 * Key of the bench's cached GSC measurements: the model set's id and kind, every model it opens with its file and
 * sha256 (the manifest's, which the decoder verifies against the file), and for a flow set how it is sampled
 * (manifest sampling and a steps override). Another set, other files or another setting give another key.
 */
export function gscCodecFingerprint(opts: Pick<GscBenchOptions, 'modelsDir' | 'modelSet' | 'steps' | 'lumaRule'> = {}): string {
  let key: unknown
  try {
    const m = loadManifest(opts.modelsDir)
    const { sets, defaultId } = modelSetsOf(m)
    const id = opts.modelSet ?? defaultId
    const set = sets.find((s) => s.id === id)
    if (!set) key = { modelSet: id, error: 'not installed' }
    else {
      const models = Object.fromEntries(Object.entries(set.models).map(([role, mid]) => [role, { id: mid, file: m.models[mid]?.file ?? null, sha256: m.models[mid]?.sha256 ?? null }]))
      const flow = set.kind === 'dct-flow'
      const sampling = flow && m.models[set.models.generator]?.sampling ? generatorSampling(m.models[set.models.generator]) : null
      const wireSteps = set.wireQuantSteps ?? m.models[set.models[flow ? 'generator' : 'decoder']]?.wireQuantSteps ?? null
      // the encoder's step rule and step list decide the packets as much as the weights do
      // (set 22's colour step search and decoder-side thumbnail correction too; other sets' keys are unchanged, JSON
      // leaves undefined fields out)
      const colourRule = COLOUR_THUMBNAIL_SETS[id] ? COLOUR_STEP_RULE_VERSION : undefined
      // set 28: its luma factor and chroma offset per C (the table itself, so any change to it is a new key)
      const fineLumaRule = (COLOUR_THUMBNAIL_SETS[id]?.lumaFactors.length ?? 0) > 1 ? FINE_LUMA_RULE : undefined
      // and its fine plane's dead zone (keys before it had none: the shipped 0.1 was DEAD_ZONE's)
      const fineLumaDeadZone = fineLumaRule && FINE_LUMA_DEAD_ZONE !== DEAD_ZONE ? FINE_LUMA_DEAD_ZONE : undefined
      // sets 30, 31: the encoder's grain rule and the grain's shape (the station draws it in every decode the bench scores)
      const textureRule = COLOUR_THUMBNAIL_SETS[id]?.texture ? { ...TEXTURE_RULES[id], power: GRAIN_AMPLITUDE_POWER[id], grain: GRAIN_SIGMA, band: BAND_SIGMAS, energy: ENERGY_SIGMA, edge: EDGE_POWER } : undefined
      // set 28: the sender's luma search and the C it starts at (the fixed rule's key is the one before the search; a
      // search at every C keeps its first key)
      const fromC = lumaSearchFromC(id, opts.lumaRule)
      const lowC = lowCSearchOf(opts.lumaRule)
      const lumaSearch = fineLumaRule && fromC !== undefined ? { v: LUMA_SEARCH_VERSION, candidates: LUMA_CANDIDATES, weights: LUMA_SCORE_WEIGHTS, ...(fromC > 1 ? { fromC } : {}), ...(lowC ? { lowC: { ...lowC, below: LOW_C_SEARCH_BELOW } } : {}) } : undefined
      key = { modelSet: id, kind: set.kind, models, sampling, stepsOverride: flow ? (opts.steps ?? null) : null, stepRule: STEP_RULE_VERSION, wireSteps, colourRule, consistentThumbnail: set.consistentThumbnail, sharpenLuma: set.sharpenLuma, sharpenChoice: choosesSharpening(id) ? SHARPEN_CHOICE_VERSION : undefined, fineLumaRule, fineLumaDeadZone, textureRule, lumaSearch }
    }
  } catch (e) {
    key = { error: describeError(e) }
  }
  return createHash('sha256').update(JSON.stringify(key)).digest('hex')
}

export function realGscCodec(opts: GscBenchOptions = {}): GscBenchCodec {
  return {
    fingerprint: gscCodecFingerprint(opts),
    async prepare(img, signal) {
      const t0 = performance.now()
      const prep = await prepareImage(img, { modelSet: opts.modelSet, executionProvider: opts.executionProvider, modelsDir: opts.modelsDir, signal })
      const prepareMs = performance.now() - t0
      return {
        prepareMs,
        caption: prep.caption,
        captionSource: prep.captionSource,
        async pack(c) {
          const t = performance.now()
          const p = await packChannels(prep, c, { lumaRule: opts.lumaRule })
          const packMs = performance.now() - t
          const { bpp: _bpp, ...sections } = p.bits
          return { packet: p.packet, quantStep: p.quantStep, fitsTarget: p.fitsTarget, targetBits: p.targetBits, channelIndices: p.channelIndices, modelSet: p.header.modelId, sections, packMs }
        }
      }
    },
    async decode(packet, signal) {
      const t0 = performance.now()
      const r = await decodePacket(packet, { defaultFlowSteps: opts.steps, executionProvider: opts.executionProvider, modelsDir: opts.modelsDir, signal })
      return { image: r.image, decodeMs: performance.now() - t0, steps: r.steps }
    }
  }
}
