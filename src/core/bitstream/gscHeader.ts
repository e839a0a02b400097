// The GSC header: format version octet, then bit-packed fields (see docs/bitstream.md §3).
import { GscError } from '../util/errors'
import { BitReader, BitWriter } from './bitPacking'
import type { CaptionMode, GscHeader } from './types'

export const GSC_FORMAT_VERSION = 1
export const MAX_DIMENSION = 16384
export const MAX_CHANNELS = 64
export const MAX_LATENT_CHANNELS = 1024
export const DEFAULT_LATENT_CHANNELS = 320
export const MAX_MODEL_ID = 255
export const MAX_STEPS = 4096
export const MAX_SEED = 0xffffffff
/** Quantization steps travel as integer multiples of 1/64. */
export const QUANT_STEP_UNITS = 64
export const MAX_QUANT_STEP = 1024
export const LATENT_DOWNSAMPLE = 16

const CAPTION_MODES: CaptionMode[] = ['none', 'static', 'utf8']

/** The nearest quantization step the wire format can carry (a positive multiple of 1/64). */
export function wireQuantStep(step: number): number {
  const q = Math.min(MAX_QUANT_STEP * QUANT_STEP_UNITS, Math.max(1, Math.round(step * QUANT_STEP_UNITS)))
  return q / QUANT_STEP_UNITS
}

export function latentShape(width: number, height: number): { h: number; w: number } {
  return { h: Math.ceil(height / LATENT_DOWNSAMPLE), w: Math.ceil(width / LATENT_DOWNSAMPLE) }
}

function indexBits(latentChannels: number): number {
  let n = 0
  while (1 << n < latentChannels) n++ // latentChannels <= MAX_LATENT_CHANNELS: a shift, not a power (issue 18)
  return n
}

function checkInt(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new GscError(`${what} must be an integer in ${min}..${max}, got ${String(v)}`)
  return v
}

/** Validates every cap; throws GscError naming the offending field. */
export function validateHeader(h: GscHeader): void {
  if (h.formatVersion !== GSC_FORMAT_VERSION) throw new GscError(`unknown GSC format version ${h.formatVersion} (this build writes ${GSC_FORMAT_VERSION})`)
  checkInt(h.width, 1, MAX_DIMENSION, 'width')
  checkInt(h.height, 1, MAX_DIMENSION, 'height')
  checkInt(h.modelId, 0, MAX_MODEL_ID, 'modelId')
  checkInt(h.latentChannels, 1, MAX_LATENT_CHANNELS, 'latentChannels')
  if (!Array.isArray(h.channelIndices) || h.channelIndices.length > MAX_CHANNELS)
    throw new GscError(`at most ${MAX_CHANNELS} channels per packet, got ${Array.isArray(h.channelIndices) ? h.channelIndices.length : 'none'}`)
  const seen = new Set<number>()
  for (const c of h.channelIndices) {
    checkInt(c, 0, h.latentChannels - 1, 'channel index')
    if (seen.has(c)) throw new GscError(`channel index ${c} is listed twice`)
    seen.add(c)
  }
  if (typeof h.quantStep !== 'number' || !(h.quantStep > 0) || h.quantStep > MAX_QUANT_STEP || !Number.isInteger(h.quantStep * QUANT_STEP_UNITS))
    throw new GscError(`quantStep must be a positive multiple of 1/${QUANT_STEP_UNITS} up to ${MAX_QUANT_STEP}, got ${h.quantStep} (see wireQuantStep)`)
  checkInt(h.steps, 0, MAX_STEPS, 'steps')
  checkInt(h.seed, 0, MAX_SEED, 'seed')
  if (!CAPTION_MODES.includes(h.captionMode)) throw new GscError(`unknown caption mode '${String(h.captionMode)}'`)
  if (typeof h.hasDetections !== 'boolean') throw new GscError('hasDetections must be a boolean')
}

/** Header octets: format version octet + bit-packed fields padded to an octet. */
export function writeHeader(h: GscHeader): Uint8Array {
  validateHeader(h)
  const w = new BitWriter()
  w.bits(h.formatVersion, 8)
  w.bits(h.width - 1, 14)
  w.bits(h.height - 1, 14)
  w.ue(h.modelId)
  if (h.latentChannels === DEFAULT_LATENT_CHANNELS) w.bits(1, 1)
  else {
    w.bits(0, 1)
    w.bits(h.latentChannels - 1, 10)
  }
  w.bits(h.channelIndices.length, 7)
  const ib = indexBits(h.latentChannels)
  for (const c of h.channelIndices) w.bits(c, ib)
  // Steps of the form m x 2^e / 64 with m in {1,3,5,7} (1, 2, 4, 8, 12, 24, 48, 96, ...) take 7 bits.
  const q = h.quantStep * QUANT_STEP_UNITS
  let e = 0
  while ((q / 2 ** e) % 2 === 0) e++
  const m = q / 2 ** e
  if (m <= 7 && e <= 15) {
    w.bits(1, 1)
    w.bits((m - 1) / 2, 2)
    w.bits(e, 4)
  } else {
    w.bits(0, 1)
    w.ue(q - 1)
  }
  w.ue(h.steps)
  w.ue(h.seed)
  w.bits(CAPTION_MODES.indexOf(h.captionMode), 2)
  w.bits(h.hasDetections ? 1 : 0, 1)
  return w.finish()
}

/** Reads the header starting at `start`; returns it with the offset of the first payload octet. */
export function readHeader(bytes: Uint8Array, start: number, end: number): { header: GscHeader; next: number } {
  if (start >= end) throw new GscError('truncated packet: no GSC header')
  const version = bytes[start]
  if (version !== GSC_FORMAT_VERSION) throw new GscError(`unknown GSC format version ${version} (this build reads version ${GSC_FORMAT_VERSION})`)
  const r = new BitReader(bytes, start + 1, end)
  const width = r.bits(14) + 1
  const height = r.bits(14) + 1
  const modelId = r.ue(MAX_MODEL_ID, 'modelId')
  const latentChannels = r.bit() === 1 ? DEFAULT_LATENT_CHANNELS : r.bits(10) + 1
  const count = r.bits(7)
  if (count > MAX_CHANNELS) throw new GscError(`GSC header lists ${count} channels, at most ${MAX_CHANNELS} allowed`)
  const ib = indexBits(latentChannels)
  const channelIndices: number[] = []
  const seen = new Set<number>()
  for (let i = 0; i < count; i++) {
    const c = r.bits(ib)
    if (c >= latentChannels) throw new GscError(`GSC header channel index ${c} >= latentChannels ${latentChannels}`)
    if (seen.has(c)) throw new GscError(`GSC header lists channel ${c} twice`)
    seen.add(c)
    channelIndices.push(c)
  }
  let q: number
  if (r.bit() === 1) {
    const m = 2 * r.bits(2) + 1
    q = m * 2 ** r.bits(4)
    if (q > MAX_QUANT_STEP * QUANT_STEP_UNITS) throw new GscError(`GSC header quantStep ${q / QUANT_STEP_UNITS} exceeds the cap ${MAX_QUANT_STEP}`)
  } else q = r.ue(MAX_QUANT_STEP * QUANT_STEP_UNITS - 1, 'quantStep') + 1
  const quantStep = q / QUANT_STEP_UNITS
  const steps = r.ue(MAX_STEPS, 'steps')
  const seed = r.ue(MAX_SEED, 'seed')
  const mode = r.bits(2)
  if (mode >= CAPTION_MODES.length) throw new GscError(`GSC header has unknown caption mode ${mode}`)
  const hasDetections = r.bit() === 1
  const next = r.finish()
  return {
    header: { formatVersion: version, width, height, modelId, latentChannels, channelIndices, quantStep, steps, seed, captionMode: CAPTION_MODES[mode], hasDetections },
    next
  }
}
