// What a decode job asks for, and the key its result is stored under in the archive's decode cache (decodes table):
// one row per (packet, params), so a result is written once whichever worker, and whichever attempt, gets there first.

export type DecodeJobKind = 'reconstruction' | 'uncertainty'

export interface DecodeJobData {
  kind: DecodeJobKind
  packetId: number
  /** Flow steps (set 1); absent: the station default (the header's hint, else the generator's recommendation). */
  steps?: number
  /** Noise seed; absent: the header's seed. */
  seed?: number
  /** Set 30's synthesised grain (DecodeOptions.texture): false decodes without it; absent, it is drawn. Only a
   *  packet whose set draws grain is sent false (the service drops it for others, whose pixels it cannot change). */
  texture?: boolean
  /** The requesting engine's decode limits (its station's settings), refused as it would refuse them; not part of the
   *  result's key, since they refuse a decode but never change its pixels. Absent: the decoder's defaults. */
  limits?: { maxPixels: number; maxFlowSteps: number }
}

/** Samples an uncertainty map is computed from (as the service's reconstruct with uncertainty does). */
export const UNCERTAINTY_SAMPLES = 3

/** The decode cache key of a job's result: what changes the decoded pixels, nothing else. */
export function decodeParams(job: DecodeJobData): Record<string, unknown> {
  const p: Record<string, unknown> = { kind: job.kind }
  if (job.steps !== undefined) p.steps = job.steps
  if (job.seed !== undefined) p.seed = job.seed
  // only when left out, so the keys of decodes with the grain (and every other set's) stay what they were
  if (job.texture === false) p.texture = false
  if (job.kind === 'uncertainty') p.samples = UNCERTAINTY_SAMPLES
  return p
}

/**
 * The decode cache rows a job's result is stored in, in the order they are written; the last one's presence means the
 * whole result is stored. An uncertainty job stores its map under decodeParams (what `gsc decode-queue --kind
 * uncertainty` counts) and its first sample beside it: the image the Image view shows with the map (drawn at
 * temperature 1, so not the plain reconstruction).
 */
export function resultRows(job: DecodeJobData): { params: Record<string, unknown>; picture: 'image' | 'uncertainty' }[] {
  const p = decodeParams(job)
  return job.kind === 'uncertainty' ? [{ params: p, picture: 'uncertainty' }, { params: { ...p, picture: 'first sample' }, picture: 'image' }] : [{ params: p, picture: 'image' }]
}

/** The key of the row whose presence means a job's whole result is stored (resultRows' last). */
export const completeParams = (job: DecodeJobData): Record<string, unknown> => resultRows(job).at(-1)!.params

/** The queue's name in pg-boss (one queue for every decode kind; the kind travels in the job's data). */
export const DECODE_QUEUE = 'gsc-decode'
