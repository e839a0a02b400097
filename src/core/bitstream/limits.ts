// A station's decode limits (docs/bitstream.md §4.1). The wire caps bound what a header can announce
// (16384 x 16384 pixels, 4096 flow steps); a station decodes only what is also within these lower limits,
// checked on the header before anything the size depends on is allocated, so a tiny packet cannot make the
// decoder exhaust memory or CPU. Both are settings (gsc decode/inspect/serve --max-pixels, --max-flow-steps).
import { GscError } from '../util/errors'
import { LATENT_DOWNSAMPLE, MAX_DIMENSION, MAX_STEPS } from './gscHeader'

export interface DecodeLimits {
  /** Largest width x height decoded. Decode memory grows linearly with it (docs/bitstream.md §4.1). */
  maxPixels: number
  /** Most flow steps one decode runs (model sets with a flow; the CPU time grows with steps x pixels). */
  maxFlowSteps: number
}

/** The largest width x height a header can announce. */
export const WIRE_MAX_PIXELS = MAX_DIMENSION * MAX_DIMENSION

/** 2048 x 2048 = 4,194,304 pixels: about 2.3 GB of decode memory with model set 1, 1.2 GB with set 3 (docs/bitstream.md §4.1). */
export const DEFAULT_MAX_PIXELS = 2048 * 2048
/** 16 times the shipped flow's recommended 4 steps; the interface's decode-steps setting goes up to 64 as well. */
export const DEFAULT_MAX_FLOW_STEPS = 64

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({ maxPixels: DEFAULT_MAX_PIXELS, maxFlowSteps: DEFAULT_MAX_FLOW_STEPS })

const fmt = (n: number) => n.toLocaleString('en-US')

/** The defaults with `given` applied; a limit outside 1..16384^2 pixels or 0..4096 steps is refused. */
export function decodeLimits(given: Partial<DecodeLimits> = {}): DecodeLimits {
  const maxPixels = given.maxPixels ?? DEFAULT_MAX_PIXELS
  const maxFlowSteps = given.maxFlowSteps ?? DEFAULT_MAX_FLOW_STEPS
  if (!Number.isInteger(maxPixels) || maxPixels < 1 || maxPixels > WIRE_MAX_PIXELS) throw new GscError(`the pixel limit must be an integer in 1..${WIRE_MAX_PIXELS}, got ${maxPixels}`)
  if (!Number.isInteger(maxFlowSteps) || maxFlowSteps < 0 || maxFlowSteps > MAX_STEPS) throw new GscError(`the flow-step limit must be an integer in 0..${MAX_STEPS}, got ${maxFlowSteps}`)
  return { maxPixels, maxFlowSteps }
}

/** The pixels a decoder makes for a width x height image: whole 16 x 16 blocks (the latent grid), cropped after. */
export function decodedPixels(h: { width: number; height: number }): number {
  return Math.ceil(h.width / LATENT_DOWNSAMPLE) * Math.ceil(h.height / LATENT_DOWNSAMPLE) * LATENT_DOWNSAMPLE * LATENT_DOWNSAMPLE
}

/** Refuses a header whose image, in whole 16 x 16 blocks, is over the station's pixel limit, in one line (code ELIMIT). */
export function checkPixelLimit(h: { width: number; height: number }, maxPixels: number): void {
  const px = decodedPixels(h)
  if (px > maxPixels) {
    const blocks = px !== h.width * h.height ? ` in whole 16x16 blocks` : ''
    throw new GscError(
      `packet announces a ${h.width}x${h.height} image (${fmt(px)} pixels${blocks}), over this station's decode limit of ${fmt(maxPixels)} pixels (--max-pixels; docs/bitstream.md 4.1); not decoded`,
      'ELIMIT'
    )
  }
}

/** Refuses a flow decode of more steps than the station's limit, naming where the count came from (code ELIMIT). */
export function checkFlowStepLimit(steps: number, from: 'packet' | 'option' | 'setting' | 'model', maxFlowSteps: number): void {
  if (steps <= maxFlowSteps) return
  const what = {
    packet: `packet asks for ${fmt(steps)} flow steps,`,
    option: `--steps ${steps} is`,
    setting: `the decode-steps setting (${steps}) is`,
    model: `the model's recommended ${steps} flow steps are`
  }[from]
  throw new GscError(`${what} over this station's limit of ${maxFlowSteps} flow steps (--max-flow-steps; docs/bitstream.md 4.1); not decoded`, 'ELIMIT')
}
