// One packing of a prepared image: the top C channels, quantised with the step rule, framed as one CCSDS packet
// carrying the header, caption, latents and any appended detections; and the packet's per-part bit counts.
import { decodeGscPacket, encodeGscPacket, type GscHeader } from '../bitstream/gscPacket'
import { GscError } from '../util/errors'
import { gatherChannels } from './channelSelection'
import type { CodecModels } from './codecModels'
import { hasAnchoredThumbnails, roundingTolerances, quantizeChannels } from './predictiveQuantize'
import { finestThatFits, targetBits } from './quantize'
import { colourThumbnailOf } from '../bitstream/colourThumbnail'
import { MAX_STEP_EXPONENT, MAX_TEXTURE_EXPONENT, colourStep, textureExponentOf, textureStrength } from '../bitstream/colourCoder'
import { colourCoefficients, lumaDeadZoneOf, quantizeColourThumbnail } from './colourThumbnailCodec'
import { fineLumaPlane } from './fineLuma'
import { regenerate } from './decoder'
import { fitTextureStrength, grainPowerOf } from './textureSynthesis'
import { lumaSearchSpace, searchesLuma, searchLumaPlane } from './lumaSearch'
import { chooseSharpening, choosesSharpening } from './sharpenChoice'
import type { BitsReport, EncodeOptions, LumaChoice, PackResult, PreparedImage } from './types'

function checkChannels(c: number, latentChannels: number): void {
  if (!Number.isInteger(c) || c < 0 || c > Math.min(64, latentChannels))
    throw new GscError(`--channels must be 0..64 (normally 1, 2, 4, 8 or 16) or auto, got ${c}`)
}

/** A flow-step hint means something to a set with a flow only (set 1); another set writes 0. */
export function checkStepsOption(steps: number | undefined, models: CodecModels): void {
  if (steps !== undefined && models.kind !== 'dct-flow')
    throw new GscError(`--steps applies to model set 1's flow only; model set ${models.modelId} (${models.kind}) decodes in one pass and writes steps 0`)
}

/** Changes whenever set 22's colour step search picks different packets (bench caches key on it). 2: coarser colour
 *  steps where even the coarsest step does not fit (ship-rule-set22.md, round 2). 3: sets 28, 32 and 33 below C = 8
 *  fill what the colour step leaves (fillSlack; ship-rule-low-c-fill.md). */
export const COLOUR_STEP_RULE_VERSION = 3

/**
 * Sets 28, 32 and 33 below this C fill what the colour step leaves of the bit target (fillSlack). At C = 8 and 16 the
 * fill bought no structure (MS-SSIM +0.0004 / -0.0000 on 58 judging photos, most of the slack going to the chroma)
 * and a little 16-px blockiness (+0.003 / +0.001): ship-rule-slack-fill.md, which failed on the latter.
 */
export const SLACK_FILL_BELOW_CHANNELS = 8

/** The luma dead zones fillSlack tries last, in order, each only below the plane's own (colourThumbnailCodec.ts). */
export const SLACK_FILL_LUMA_DEAD_ZONES: readonly number[] = [0.05, 0]

/** Set 22: how many quarter-octaves finer than the packet's step the colour step may go to fill the budget. */
export const MAX_COLOUR_REFINEMENT = 8

/**
 * Set 28's choice per C (the row of the largest C listed at or below the packet's): the luma plane's factor
 * (colourThumbnail.ts lumaFactors), how many quarter-octaves finer than the luma Cb and Cr are quantised (the chroma
 * exponent = the colour's + this, clamped to the wire's range: a fine luma plane's far higher cost per step must not
 * coarsen the colour with it). Chosen on 16 training photos (docs/bench/latent-codec/ship-rule-set28.md): below C = 8
 * the fine plane bought little MS-SSIM for much colour (at C = 4, +0.005 for +0.87 ΔE00), so those packets are set
 * 27's (factor 1, one step for all three planes).
 */
export const FINE_LUMA_RULE: readonly ({ channels: number } & LumaChoice)[] = [
  { channels: 1, lumaFactor: 1, chromaOffset: 0 },
  { channels: 8, lumaFactor: 4, chromaOffset: -8 },
  { channels: 16, lumaFactor: 4, chromaOffset: -6 }
]
export function fineLumaRule(channels: number): LumaChoice {
  const { lumaFactor, chromaOffset } = [...FINE_LUMA_RULE].reverse().find((r) => channels >= r.channels) ?? FINE_LUMA_RULE[0]
  return { lumaFactor, chromaOffset }
}

/**
 * The encoder's grain rule per set (not part of the wire): it sends `gain` x the fitted strength (textureSynthesis.ts
 * fitTextureStrength) from C = `fromChannels`, and exponent 0 (no grain, one short code) below. Set 30: gain 0.3 at
 * every C: grain with the original's full missing energy reads as noise and costs MS-SSIM (the largest of 0.3 and 0.5
 * whose grain in the originals' flattest quarter stayed under a third of the photographs' own detail there, 0.5: 0.56,
 * 0.3: 0.22 at C = 4; docs/bench/latent-codec/ship-rule-set30.md). Set 31 (its amplitude squared, so its grain stays
 * in texture): gain 0.85 from C = 3. Below C = 3 packets are the smallest (119-179 bytes on set 30's judging photos)
 * and the exponent's 5-11 bits pushed some a step coarser (set 30's ΔE00 +0.058 / +0.051 at C = 1 / 2, its rule's
 * criterion 3), where exponent 0 codes in about a bit. The gain is the largest of 0.6, 0.85 and 1.2 whose false texture (medians over 16 training
 * photos) stayed within set 28's + 0.1 at C = 4, 8 and 16 (0.85: +0.06 / +0.04 / +0.05, 1.2: +0.10 / +0.08 / +0.12;
 * docs/bench/latent-codec/ship-rule-set31.md).
 */
export const TEXTURE_RULES: Readonly<Record<number, { gain: number; fromChannels: number }>> = {
  30: { gain: 0.3, fromChannels: 1 },
  31: { gain: 0.85, fromChannels: 3 }
}

/** Changes whenever the step rule picks different packets for the same models (bench caches key on it).
 *  2: the rule scans instead of bisecting, and tries rounding tolerances on the colour mosaic (sets 4, 5). */
export const STEP_RULE_VERSION = 2

/**
 * Packs a prepared image with C channels. Channel choice: the top C of the ranking, sent in ascending
 * index order. Step rule (quantize.ts finestThatFits): the finest of the set's steps (QUANT_STEPS 1, 1.5, 2, ..., 128;
 * sets 4 and 5: every short-form step up to 512, each with rounding tolerances 0.5-0.7 on the colour mosaic,
 * predictiveQuantize.ts; set 21 as set 5 from its own longer list, its sent thumbnails' mosaic samples rounded plainly
 * unless no step fits so) whose whole packet (headers, caption, latents, detections, CRC) fits targetBits(C) =
 * targetBpp(C) x W x H (0.004 bpp at C = 1 ... 0.02 bpp at C = 16); the coarsest, plain rounding, if none does. Set 22
 * (docs/bitstream.md 6.4): its colour thumbnail at the packet's step, then finer colour steps while the packet still
 * fits, or coarser ones where nothing fits. Appended detections are not counted against the target (they are
 * reported separately). The step travels in the header.
 */
export async function packChannels(
  prep: PreparedImage,
  channels: number,
  opts: PackOptions & Pick<EncodeOptions, 'lumaRule'> & { lumaChoice?: LumaChoice } = {}
): Promise<PackResult> {
  const fixed = await packWith(prep, channels, opts, opts.lumaChoice)
  // Set 28 with a searching --luma-rule: the sender decodes every luma candidate and keeps the best (lumaSearch.ts); a
  // given step or luma plane keeps the rule per C
  const searches = opts.lumaChoice === undefined && opts.quantStep === undefined && searchesLuma(prep.models.modelId, channels, opts.lumaRule)
  const pack = !searches || !fixed.lumaChoice ? fixed : await searchLumaPlane(prep, { ...fixed, lumaChoice: fixed.lumaChoice }, (choice) => packWith(prep, channels, opts, choice), lumaSearchSpace(channels, opts.lumaRule))
  if (!choosesSharpening(prep.models.modelId)) return pack
  // Set 32: its station's sharpening only where it costs no detections, else set 28's packet (sharpenChoice.ts)
  const { sharpening, plain } = await chooseSharpening(prep, pack)
  if (!plain) return { ...pack, sharpening }
  const bits = bitsOf(plain.packet, prep.image.width, prep.image.height)
  return { ...pack, ...plain, bits, fitsTarget: bits.total - bits.detections <= pack.targetBits, sharpening }
}

type PackOptions = Pick<EncodeOptions, 'apid' | 'sequenceCount' | 'seed' | 'steps' | 'quantStep'>

/** One packing with the given luma plane (set 28), or the fixed rule's for C. */
async function packWith(prep: PreparedImage, channels: number, opts: PackOptions, lumaChoice?: LumaChoice): Promise<PackResult> {
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
  // Set 22: the colour thumbnail travels transform-coded in channel 0's place (docs/bitstream.md 6.4), its step the
  // packet's times 2^(colourExponent / 4)
  const colourLayout = colourThumbnailOf(prep.models.modelId, channelIndices)
  const colourSlot = channelIndices.indexOf(colourLayout?.channel ?? -1)
  // Set 28: its luma plane's resolution and the chroma's own step, by C (FINE_LUMA_RULE)
  const lumaRule = colourLayout && colourLayout.lumaFactors.length > 1 ? (lumaChoice ?? fineLumaRule(channels)) : { lumaFactor: 1, chromaOffset: 0 }
  const fineLuma = lumaRule.lumaFactor > 1 ? fineLumaOf(prep, lumaRule.lumaFactor) : undefined
  const colourCoeffs = colourLayout && colourCoefficients(prep.latent, colourLayout, prep.lh, prep.lw, lumaRule.lumaFactor, fineLuma)
  // Sets 30, 31: a first step search runs with the longest texture exponent, a second with the one measured; below the
  // set's fromChannels the exponent is 0 (no grain) from the start
  const textureRule = colourLayout?.texture ? textureRuleOf(prep.models.modelId) : undefined
  let textureExponent = textureRule && (channels >= textureRule.fromChannels ? MAX_TEXTURE_EXPONENT : 0)
  const chromaExponentOf = (k: number) => Math.max(-MAX_STEP_EXPONENT, Math.min(MAX_STEP_EXPONENT, k + lumaRule.chromaOffset))
  type Candidate = { step: number; roundingTolerance: number; snapAnchored?: boolean; colourExponent?: number; chromaExponent?: number; lumaDeadZone?: number }
  const build = ({ step, roundingTolerance, snapAnchored = false, colourExponent = 0, chromaExponent, lumaDeadZone }: Candidate) => {
    const latents = quantizeChannels(selected, step, prep.models.modelId, channelIndices, prep.lh, prep.lw, roundingTolerance, snapAnchored)
    if (colourSlot >= 0) latents.fill(0, colourSlot * n, (colourSlot + 1) * n)
    const quantised = colourCoeffs && quantizeColourThumbnail(colourCoeffs, lumaRule.lumaFactor, prep.lh, prep.lw, step, colourExponent, colourLayout.chromaExponent ? (chromaExponent ?? chromaExponentOf(colourExponent)) : undefined, lumaDeadZone)
    const colour = quantised && textureExponent !== undefined ? { ...quantised, textureExponent } : quantised
    // 'static' = the shipped text model (with escapes for any UTF-8): far cheaper than raw 'utf8'.
    const header: GscHeader = { ...base, quantStep: step, captionMode: prep.captionMode }
    const packet = encodeGscPacket({ header, caption: prep.caption, latents, detections: prep.transmittedDetections, ...(colour ? { colour } : {}) }, framing)
    return { packet, header }
  }
  const budget = targetBits(Math.max(channels, 1), width, height)
  // A given --quant-step is honoured with plain rounding; the step rule also tries the set's rounding tolerances.
  const candidates: Candidate[] =
    opts.quantStep !== undefined
      ? [{ step: opts.quantStep, roundingTolerance: 0.5 }]
      : prep.models.quantSteps.flatMap((step) => roundingTolerances(prep.models.modelId).map((roundingTolerance) => ({ step, roundingTolerance })))
  const built = new Map<(typeof candidates)[number], { packet: Uint8Array; header: GscHeader }>()
  // Appended detections (--send-detections) are extra: they do not eat into the image's bit target.
  const hasDets = prep.transmittedDetections.length > 0
  // None fits (a tiny image, or a caption longer than the budget): the coarsest step, plain rounding, as before.
  const fallback = candidates.find((c) => c.step === candidates[candidates.length - 1].step && c.roundingTolerance === 0.5)
  const measure = (c: Candidate) => {
    const b = build(c)
    built.set(c, b)
    return b.packet.length * 8 - (hasDets ? decodeBits(b.packet).detections : 0)
  }
  const search = async () => {
    let choice = await finestThatFits(candidates, measure, budget, fallback)
    // Set 21: when nothing fits, the thumbnails may share the mosaic's tolerant rounding (a dotted grid where a smooth
    // colour crosses a level, but a packet within its budget): measured in docs/bench/latent-codec/ship-rule-set21.md
    if (!choice.fits && opts.quantStep === undefined && hasAnchoredThumbnails(prep.models.modelId, channelIndices)) {
      const snapped = candidates.filter((c) => c.roundingTolerance > 0.5).map((c) => ({ ...c, snapAnchored: true }))
      const last = await finestThatFits(snapped, measure, budget)
      if (last.fits) choice = { ...last, tried: [...choice.tried, ...last.tried] }
    }
    if (colourLayout && opts.quantStep === undefined) choice = searchColourStep(choice, measure, budget)
    if (colourLayout?.chromaExponent && opts.quantStep === undefined && choice.fits && channels < SLACK_FILL_BELOW_CHANNELS)
      choice = fillSlack(choice, measure, budget, chromaExponentOf, lumaDeadZoneOf(lumaRule.lumaFactor))
    return choice
  }
  let choice = await search()
  if (textureRule && textureExponent === MAX_TEXTURE_EXPONENT) {
    // Sets 30, 31: the exponent measured on the first search's packet, then the search again with its real cost (the
    // placeholder's longer code left packets a step coarser than their target allows: ship-rule-set30.md, criterion 3)
    textureExponent = await measuredTextureExponent(prep, built.get(choice.choice)!.packet, textureRule.gain)
    built.clear()
    choice = await search()
  }
  const { packet, header } = built.get(choice.choice)!
  return {
    packet,
    channels,
    channelIndices,
    quantStep: choice.choice.step,
    roundingTolerance: choice.choice.roundingTolerance,
    snapAnchored: choice.choice.snapAnchored === true,
    ...(colourLayout ? { colourStep: colourStep(choice.choice.step, choice.choice.colourExponent ?? 0) } : {}),
    ...(textureExponent !== undefined ? { textureStrength: textureStrength(textureExponent) } : {}),
    ...(colourLayout && colourLayout.lumaFactors.length > 1 ? { lumaChoice: lumaRule } : {}),
    bits: bitsOf(packet, width, height),
    targetBits: budget,
    fitsTarget: choice.fits,
    stepsTried: choice.tried,
    header
  }
}

type StepChoice<T> = { choice: T; bits: number; fits: boolean; tried: (T & { bits: number })[] }

/**
 * Set 22's colour step around the step rule's choice (docs/bitstream.md 6.4: colour step = step x 2^(k / 4)): where even
 * the coarsest step does not fit, the first coarser colour step that does (k = 1 ... MAX_STEP_EXPONENT); where the
 * packet fits, the finest colour step that still does (k = -1 ... -MAX_COLOUR_REFINEMENT), so what the step leaves of
 * the target goes to the colour.
 */
function searchColourStep<T extends { colourExponent?: number }>(start: StepChoice<T>, measure: (c: T) => number, budget: number): StepChoice<T> {
  const trials = trialsFrom(start, measure, budget)
  const tryExponent = (k: number) => trials.fits({ ...start.choice, colourExponent: k })
  if (!start.fits) {
    for (let k = 1; k <= MAX_STEP_EXPONENT && !tryExponent(k); k++);
  } else {
    for (let k = -1; k >= -MAX_COLOUR_REFINEMENT && tryExponent(k); k--);
  }
  return trials.choice()
}

/** Trials after `start`: each candidate measured and listed in `tried`, and kept as the choice when it fits `budget`. */
function trialsFrom<T>(start: StepChoice<T>, measure: (c: T) => number, budget: number) {
  let choice = start
  return {
    fits(c: T): boolean {
      const bits = measure(c)
      choice = { ...choice, tried: [...choice.tried, { ...c, bits }] }
      if (bits > budget) return false
      choice = { ...choice, choice: c, bits, fits: true }
      return true
    },
    choice: (): StepChoice<T> => choice
  }
}

/**
 * Sets 28, 32 and 33 below C = 8 (their wire carries the luma's and the chroma's step exponents apart, docs/bitstream.md
 * 6.4): the colour step moves all three planes a quarter octave at a time, about a tenth of the thumbnail's bits, so a
 * packet ended on average 3-4 % under its target (probes-session39.md). What is left goes first to the luma's step
 * alone, a quarter octave finer while the packet fits, then to the chroma's, then to the luma's dead zone
 * (SLACK_FILL_LUMA_DEAD_ZONES, the encoder's rounding: the coarsest of the three knobs is spent first, the finest last).
 */
function fillSlack<T extends { colourExponent?: number; chromaExponent?: number; lumaDeadZone?: number }>(
  start: StepChoice<T>,
  measure: (c: T) => number,
  budget: number,
  chromaExponentOf: (colourExponent: number) => number,
  lumaDeadZone: number
): StepChoice<T> {
  const trials = trialsFrom(start, measure, budget)
  // each knob from the candidate kept so far
  const finer = (knob: { colourExponent?: number; chromaExponent?: number; lumaDeadZone?: number }) => trials.fits({ ...trials.choice().choice, ...knob })
  const luma = start.choice.colourExponent ?? 0
  const chroma = start.choice.chromaExponent ?? chromaExponentOf(luma)
  for (let k = luma - 1; k >= -MAX_STEP_EXPONENT && finer({ colourExponent: k, chromaExponent: chroma }); k--);
  for (let j = chroma - 1; j >= -MAX_STEP_EXPONENT && finer({ chromaExponent: j }); j--);
  for (const deadZone of SLACK_FILL_LUMA_DEAD_ZONES.filter((d) => d < lumaDeadZone)) if (!finer({ lumaDeadZone: deadZone })) break
  return trials.choice()
}

/** The encoder's grain rule for a set with a texture exponent; one line for a set the table lacks. */
function textureRuleOf(modelId: number): { gain: number; fromChannels: number } {
  const rule = TEXTURE_RULES[modelId]
  if (!rule) throw new GscError(`model set ${modelId} carries a texture exponent but the encoder has no grain rule for it`)
  return rule
}

/** Sets 30, 31: the texture exponent for a packet, from the station's own decode of it without grain against the original. */
async function measuredTextureExponent(prep: PreparedImage, packet: Uint8Array, gain: number): Promise<number> {
  const decoded = await regenerate(decodeGscPacket(packet), prep.models, { texture: false })
  return textureExponentOf(gain * fitTextureStrength(prep.image, decoded.image, grainPowerOf(prep.models.modelId)))
}

/** Set 28's luma plane (fineLuma.ts) in the units of the set's Y thumbnail (its manifest consistentThumbnail norm). */
function fineLumaOf(prep: PreparedImage, factor: number): Float64Array {
  const norm = prep.models.kind === 'learned-generative' ? prep.models.thumbnailNorm : undefined
  if (!norm) throw new GscError(`model set ${prep.models.modelId} carries a luma plane at ${factor}x its thumbnail's resolution, but its manifest entry has no consistentThumbnail norm to give it g_a's units`)
  return fineLumaPlane(prep.padded, factor, norm)
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
