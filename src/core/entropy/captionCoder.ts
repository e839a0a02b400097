// Caption coding inside the packet's range-coded stream. Modes:
//  'none'   nothing is coded (caption must be empty)
//  'utf8'   byte length (adaptive Exp-Golomb) then raw UTF-8 octets as equiprobable bits
//  'static' the shipped static text model blended with adaptive fallback (see textModel.ts)
import { BitModels, EG_MODELS, encodeEG, decodeEG } from './bitModels'
import type { RangeDecoder, RangeEncoder } from './rangeCoder'
import { encodeStaticText, decodeStaticText } from './textModel'
import { GscError } from '../util/errors'

export type CaptionMode = 'none' | 'static' | 'utf8'
/** Longest caption a packet may carry, in UTF-8 octets. */
export const MAX_CAPTION_OCTETS = 4096

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 octets of a caption, refusing strings that are not valid Unicode (lone surrogates). */
export function captionOctets(caption: string): Uint8Array {
  if (LONE_SURROGATE.test(caption)) throw new GscError('caption is not valid Unicode (lone surrogate)')
  const b = utf8.encode(caption)
  if (b.length > MAX_CAPTION_OCTETS) throw new GscError(`caption is ${b.length} UTF-8 octets, at most ${MAX_CAPTION_OCTETS} fit a packet`)
  return b
}

export function octetsToCaption(b: Uint8Array): string {
  try {
    return strictUtf8.decode(b)
  } catch {
    throw new GscError('corrupt caption: not valid UTF-8')
  }
}

/** Returns the ideal code length spent, in bits (accounting). */
export function encodeCaption(enc: RangeEncoder, mode: CaptionMode, caption: string): number {
  if (mode === 'none') {
    if (caption !== '') throw new GscError("caption mode 'none' cannot carry a caption")
    return 0
  }
  const b = captionOctets(caption)
  if (mode === 'utf8') {
    const m = new BitModels(EG_MODELS)
    encodeEG(m, enc, 0, b.length)
    for (const x of b) enc.encodeDirect(x, 8)
    return m.cost + 8 * b.length
  }
  if (mode === 'static') return encodeStaticText(enc, b)
  throw new GscError(`unknown caption mode '${String(mode)}'`)
}

export function decodeCaption(dec: RangeDecoder, mode: CaptionMode): { caption: string; cost: number } {
  if (mode === 'none') return { caption: '', cost: 0 }
  if (mode === 'utf8') {
    const m = new BitModels(EG_MODELS)
    const n = decodeEG(m, dec, 0, MAX_CAPTION_OCTETS)
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = dec.decodeDirect(8)
    return { caption: octetsToCaption(b), cost: m.cost + 8 * n }
  }
  if (mode === 'static') {
    const { octets, cost } = decodeStaticText(dec, MAX_CAPTION_OCTETS)
    return { caption: octetsToCaption(octets), cost }
  }
  throw new GscError(`unknown caption mode '${String(mode)}'`)
}
