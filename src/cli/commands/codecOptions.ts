// Options shared by `gsc encode` and `gsc encode-dir`, turned into EncodeOptions.
import type { EncodeOptions, LumaRule } from '../../core/codec/types'
import type { CaptionerSpec } from '../../core/codec/captioning'
import { UsageError, numberOpt, stringOpt, type OptionSpec, type ParsedArgs } from '../framework'
import { DEFAULT_DECODE_LIMITS, WIRE_MAX_PIXELS, type DecodeLimits } from '../../core/bitstream/limits'
import { MAX_STEPS } from '../../core/bitstream/gscHeader'
import { DEFAULT_LUMA_RULE, LUMA_RULES } from '../../core/codec/lumaSearch'

/** The --luma-rule line of `gsc encode` and `gsc bench` usage. */
export const LUMA_RULE_HELP =
  `  --luma-rule search|search-from-c4|search-from-c8|fixed: model sets 28, 32, 33 and 35-37's luma plane: the sender decodes each candidate\n` +
  `    and keeps the best (search: at every C; search-from-c4, search-from-c8: from C = 4, from C = 8), or takes the fixed rule per C (default: ${DEFAULT_LUMA_RULE});\n` +
  `    a given --quant-step keeps the fixed rule.`

export const ENCODE_OPTIONS: OptionSpec = {
  output: { type: 'string', short: 'o' },
  channels: { type: 'string', short: 'c' },
  alpha: { type: 'string' },
  beta: { type: 'string' },
  caption: { type: 'string' },
  captioner: { type: 'string' },
  model: { type: 'string' },
  'captioner-timeout': { type: 'string' },
  apid: { type: 'string' },
  seed: { type: 'string' },
  steps: { type: 'string' },
  'quant-step': { type: 'string' },
  'luma-rule': { type: 'string' },
  'send-detections': { type: 'boolean', default: false },
  selection: { type: 'string' },
  'model-set': { type: 'string' },
  ep: { type: 'string' }
}

export const ENCODE_USAGE_OPTIONS =
  '[--channels 1|2|4|8|16|auto] [--alpha A --beta B] [--caption "..."] [--captioner builtin|none|<url> --model M] ' +
  '[--apid N] [--seed S] [--steps N] [--quant-step Q] [--luma-rule search|search-from-c4|search-from-c8|fixed] [--selection ssim|energy] [--send-detections] [--model-set N] [--ep cpu|cuda] [--json]\n' +
  '  --model-set N: the model set to encode with (gsc models lists them; default: the manifest\'s default set).\n' +
  '  --steps N: the flow-step hint of model set 1; a set without a flow writes 0 and refuses it.\n' +
  LUMA_RULE_HELP

/** --luma-rule search|search-from-c4|search-from-c8|fixed (absent: undefined, DEFAULT_LUMA_RULE). */
export function lumaRuleOf(args: ParsedArgs): LumaRule | undefined {
  const rule = stringOpt(args, 'luma-rule')
  if (rule !== undefined && !LUMA_RULES.includes(rule as LumaRule)) throw new UsageError(`--luma-rule must be one of ${LUMA_RULES.join(', ')}, got '${rule}'`)
  return rule as LumaRule | undefined
}

export function executionProvider(args: ParsedArgs): 'cpu' | 'cuda' {
  const ep = stringOpt(args, 'ep') ?? 'cpu'
  if (ep !== 'cpu' && ep !== 'cuda') throw new UsageError(`--ep must be cpu or cuda, got '${ep}'`)
  return ep
}

export function encodeOptionsFrom(args: ParsedArgs): EncodeOptions {
  const rawC = stringOpt(args, 'channels') ?? '1'
  let channels: number | 'auto'
  if (rawC === 'auto') channels = 'auto'
  else {
    channels = Number(rawC)
    if (!Number.isInteger(channels) || channels < 0 || channels > 64) throw new UsageError(`--channels must be 1, 2, 4, 8, 16 (or 0..64) or auto, got '${rawC}'`)
  }
  const alpha = numberOpt(args, 'alpha', undefined, { min: 0 })
  const beta = numberOpt(args, 'beta', undefined, { min: 0 })
  if ((alpha !== undefined || beta !== undefined) && channels !== 'auto') throw new UsageError('--alpha/--beta only apply to --channels auto')
  const captionerRaw = stringOpt(args, 'captioner') ?? 'builtin'
  let captioner: CaptionerSpec
  if (captionerRaw === 'builtin' || captionerRaw === 'none') captioner = captionerRaw
  else if (/^https?:\/\//.test(captionerRaw)) {
    const model = stringOpt(args, 'model')
    if (!model) throw new UsageError('--captioner <url> needs --model <name> (the endpoint\'s model)')
    captioner = {
      url: captionerRaw,
      model,
      timeoutMs: numberOpt(args, 'captioner-timeout', 60, { min: 1 })! * 1000,
      apiKey: process.env.GSC_CAPTIONER_API_KEY || undefined
    }
  } else throw new UsageError(`--captioner must be builtin, none or an http(s) URL, got '${captionerRaw}'`)
  const selection = stringOpt(args, 'selection') ?? 'ssim'
  if (selection !== 'ssim' && selection !== 'energy') throw new UsageError(`--selection must be ssim or energy, got '${selection}'`)
  return {
    selection,
    channels,
    alpha,
    beta,
    caption: stringOpt(args, 'caption'),
    captioner,
    apid: numberOpt(args, 'apid', 1, { int: true, min: 0, max: 2046 }),
    seed: numberOpt(args, 'seed', undefined, { int: true, min: 0, max: 0xffffffff }),
    steps: numberOpt(args, 'steps', undefined, { int: true, min: 1, max: 4096 }),
    quantStep: numberOpt(args, 'quant-step', undefined, { min: 1 / 64, max: 1024 }),
    lumaRule: lumaRuleOf(args),
    sendDetections: Boolean(args.values['send-detections']),
    modelSet: numberOpt(args, 'model-set', undefined, { int: true, min: 0, max: 255 }),
    executionProvider: executionProvider(args)
  }
}

/** The station's decode limits (docs/bitstream.md 4.1), options of gsc decode, inspect and serve. */
export const LIMIT_OPTIONS: OptionSpec = {
  'max-pixels': { type: 'string' },
  'max-flow-steps': { type: 'string' }
}

export const LIMIT_USAGE =
  `  --max-pixels N: decode no packet announcing more than N pixels (width x height; default ${DEFAULT_DECODE_LIMITS.maxPixels}, 2048x2048;\n` +
  '    decode memory grows with it, docs/bitstream.md 4.1); a larger one is refused in one line, never partly decoded.\n' +
  `  --max-flow-steps N: run no flow of more than N steps (default ${DEFAULT_DECODE_LIMITS.maxFlowSteps}), from the packet's hint or --steps.`

export function decodeLimitsFrom(args: ParsedArgs): DecodeLimits {
  return {
    maxPixels: numberOpt(args, 'max-pixels', DEFAULT_DECODE_LIMITS.maxPixels, { int: true, min: 1, max: WIRE_MAX_PIXELS })!,
    maxFlowSteps: numberOpt(args, 'max-flow-steps', DEFAULT_DECODE_LIMITS.maxFlowSteps, { int: true, min: 0, max: MAX_STEPS })!
  }
}
