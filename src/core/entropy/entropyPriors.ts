// Trained starting states of the entropy models, per model set (docs/bitstream.md 6.5). A packet of a few hundred
// octets codes a few thousand binary decisions over a few hundred models: started at 1/2, each model spends bits
// learning what every photo's packet shows (fine wavelet coefficients are almost all zero, signs follow their
// neighbours), about 8 % of a C = 1 payload. A set listed here starts its banks where the fit photos' packets left
// them (training/eval/priors/fit_priors.ts); the tables are part of its wire, so a changed table is a new set.
import type { ModelStarts } from './bitModels'
import { SET_33_COLOUR_STARTS, SET_33_LATENT_STARTS } from './priors/set33'

export interface EntropyPriors {
  /** The colour thumbnail's bank (colourCoder.ts). */
  colour: ModelStarts
  /** The latent channels' bank (latentCoder.ts). */
  latent: ModelStarts
}

/** Per model id; a set not listed starts every model at 1/2. */
export const ENTROPY_PRIORS: Readonly<Record<number, EntropyPriors>> = {
  33: { colour: SET_33_COLOUR_STARTS, latent: SET_33_LATENT_STARTS },
  // set 33's wire, its station with a post-filter (34-36: not installed, their rules failed; 37)
  34: { colour: SET_33_COLOUR_STARTS, latent: SET_33_LATENT_STARTS },
  35: { colour: SET_33_COLOUR_STARTS, latent: SET_33_LATENT_STARTS },
  36: { colour: SET_33_COLOUR_STARTS, latent: SET_33_LATENT_STARTS },
  37: { colour: SET_33_COLOUR_STARTS, latent: SET_33_LATENT_STARTS }
}

/** One bank's starts for a packet of `modelId` (undefined: every model at 1/2, as for a set not listed). */
export function entropyStarts(modelId: number | undefined, bank: keyof EntropyPriors): ModelStarts | undefined {
  return modelId === undefined ? undefined : ENTROPY_PRIORS[modelId]?.[bank]
}
