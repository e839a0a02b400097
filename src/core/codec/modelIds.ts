// Model sets and the manifest ids of the models each one opens (codecModels.ts); kept free of imports so the
// engine can check availability without loading onnxruntime.
//
// A packet's header names its model set (modelId). Every set the manifest lists stays installable beside the
// others, so a packet decodes with exactly the set that made it, or is refused (never decoded with another).

/** Set 1 ('dct-flow'): block-DCT g_a, g_s, a generator prior and a rectified-flow generator. Today's manifest ids. */
export const CODEC_MODEL_IDS = ['g_a', 'g_s', 'generator', 'generator_prior', 'caption_encoder'] as const

export type ModelSetKind = 'dct-flow' | 'learned-generative'

/** The roles each kind of set needs (manifest modelSets[id].models maps role -> manifest model id). */
export const MODEL_SET_ROLES: Record<ModelSetKind, readonly string[]> = {
  'dct-flow': ['g_a', 'g_s', 'generator', 'generator_prior', 'caption_encoder'],
  // 'learned-generative': learned g_a (with the selection preview's patterns) and a one-pass generative decoder
  'learned-generative': ['g_a', 'decoder', 'caption_encoder']
}

/** Roles a set of this kind may name beyond MODEL_SET_ROLES, each opened only where named (set 35: the station's
 *  post-filter, postFilter.ts). A set that runs another's networks (networksOf) may add these as its own. */
export const OPTIONAL_MODEL_SET_ROLES: Record<ModelSetKind, readonly string[]> = {
  'dct-flow': [],
  'learned-generative': ['post_filter']
}

/** The roles a set opens: its kind's required ones, then the optional ones it names. */
export function rolesOf(kind: ModelSetKind, models: Record<string, string>): string[] {
  return [...MODEL_SET_ROLES[kind], ...OPTIONAL_MODEL_SET_ROLES[kind].filter((r) => models[r] !== undefined)]
}

export function isModelSetKind(k: unknown): k is ModelSetKind {
  return typeof k === 'string' && Object.prototype.hasOwnProperty.call(MODEL_SET_ROLES, k)
}

export interface ModelSetSpec {
  id: number
  /** One of ModelSetKind for the sets this build runs; a manifest may name others (refused when opened). */
  kind: string
  /** role -> manifest model id */
  models: Record<string, string>
  /** Channels the encoder always sends first, whatever C (set 4: its colour mosaic, channel 0); the rule picks the rest. */
  alwaysSend?: number[]
  /**
   * The set whose networks this one runs, each role either that set's model or one of this set's own: a set that
   * differs in its wire (docs/bitstream.md, e.g. set 21 = set 5's networks with §6.3's anchored thumbnails) or in a
   * retrained decoder only (export_latent_codec.py's decoder-only configs: set 5's g_a, the set's own decoder). Its
   * packets still name it.
   */
  networksOf?: number
  /** What its packets carry where that differs from the set whose networks it runs (manifest `wire`, for people). */
  wire?: string
  /** The steps this set's encoder chooses from, when they differ from its decoder entry's wireQuantSteps (set 21). */
  wireQuantSteps?: number[]
  /** Set 22: the station moves its picture onto the sent thumbnails (src/core/codec/consistentThumbnail.ts): how g_a's
   *  thumbnail channels map to Y, Cb, Cr window averages, and which planes it moves. */
  consistentThumbnail?: { scale: number[]; offset: number[]; planes: number[] }
  /** Set 32: the station steepens its picture's luma edges last (src/core/codec/lumaSharpening.ts). */
  sharpenLuma?: { sigma: number; amount: number }
}

/** What a manifest without "modelSets" means: set 1 alone, with today's ids. */
export const LEGACY_MODEL_SET: ModelSetSpec & { kind: ModelSetKind } = {
  id: 1,
  kind: 'dct-flow',
  models: Object.fromEntries(CODEC_MODEL_IDS.map((id) => [id, id]))
}
