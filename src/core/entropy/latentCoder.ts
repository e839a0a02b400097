// Context-adaptive coding of quantized latent channels (channel-major, raster order inside a channel).
// Each value is binarised as zero flag, sign, Exp-Golomb magnitude; every binary decision has an
// adaptive model chosen from already-coded neighbours (left, top, top-left, top-right, and the same
// position in the previous channel), so no side information is transmitted.
import { BitModels, EG_MODELS, encodeEG, decodeEG } from './bitModels'
import type { RangeDecoder, RangeEncoder } from './rangeCoder'
import { entropyStarts } from './entropyPriors'
import { GscError } from '../util/errors'

const MAG_CLASSES = 8
const CH_CLASSES = 3
const ZERO_CTX = MAG_CLASSES * CH_CLASSES
const SIGN_CTX = 5 * 2
const EG_GROUPS = 4
const ZERO_BASE = 0
const SIGN_BASE = ZERO_BASE + ZERO_CTX
const EG_BASE = SIGN_BASE + SIGN_CTX
const MODEL_COUNT = EG_BASE + EG_GROUPS * EG_MODELS

/** Largest magnitude a transmitted latent may have (Int32 range). */
const MAX_MAGNITUDE_MINUS_1 = 2 ** 31 - 1

/** The magnitude class of a = 2(|L|+|T|) + |TL| + |TR| (docs/bitstream.md §6; also the colour thumbnail's, §6.4). */
export function magClass(a: number): number {
  // quantized so the common small cases get their own class
  if (a < 3) return a
  if (a < 5) return 3
  if (a < 8) return 4
  if (a < 13) return 5
  if (a < 24) return 6
  return 7
}

function sgn(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0
}

/** Context of position i: packs zero, sign and Exp-Golomb model bases into one number (no allocation). */
function context(lat: Int32Array, c: number, y: number, x: number, w: number, plane: number, i: number): number {
  const L = x > 0 ? lat[i - 1] : 0
  const T = y > 0 ? lat[i - w] : 0
  const TL = x > 0 && y > 0 ? lat[i - w - 1] : 0
  const TR = y > 0 && x + 1 < w ? lat[i - w + 1] : 0
  const a = Math.min(2 * (Math.abs(L) + Math.abs(T)) + Math.abs(TL) + Math.abs(TR), 1 << 20)
  const mc = magClass(a)
  const chc = c === 0 ? 0 : lat[i - plane] === 0 ? 1 : 2
  const s = sgn(L) + sgn(T) + 2
  const zero = ZERO_BASE + mc * CH_CLASSES + chc
  const sign = SIGN_BASE + s * 2 + (chc === 2 ? 1 : 0)
  const eg = mc < 2 ? 0 : mc < 4 ? 1 : mc < 6 ? 2 : 3
  return zero | (sign << 8) | (eg << 16)
}

/** The latents' bank for a packet of `modelId`: its set's trained starts where it has them (entropyPriors.ts). */
export function newLatentModels(modelId?: number): BitModels {
  return new BitModels(MODEL_COUNT, entropyStarts(modelId, 'latent'))
}

/**
 * `uncoded` (optional, one flag per value): positions the stream does not carry; they are 0 on both sides (a model
 * set whose layout leaves them empty, docs/bitstream.md 6.2). The encoder refuses a non-zero value there.
 */
export function encodeLatents(enc: RangeEncoder, m: BitModels, lat: Int32Array, channels: number, h: number, w: number, uncoded: Uint8Array | null = null): void {
  const plane = h * w
  if (lat.length !== channels * plane) throw new GscError(`latents have ${lat.length} values, expected ${channels}x${h}x${w} = ${channels * plane}`)
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = c * plane + y * w + x
        const v = lat[i]
        if (uncoded !== null && uncoded[i] === 1) {
          if (v !== 0) throw new GscError(`latent ${v} at channel ${c}, row ${y}, column ${x}: this model set's layout leaves that position empty (it must be 0)`)
          continue
        }
        const ctx = context(lat, c, y, x, w, plane, i)
        if (v === 0) {
          m.encode(enc, ctx & 255, 0)
          continue
        }
        m.encode(enc, ctx & 255, 1)
        m.encode(enc, (ctx >> 8) & 255, v < 0 ? 1 : 0)
        encodeEG(m, enc, EG_BASE + (ctx >> 16) * EG_MODELS, Math.abs(v) - 1)
      }
}

export function decodeLatents(dec: RangeDecoder, m: BitModels, channels: number, h: number, w: number, uncoded: Uint8Array | null = null): Int32Array {
  const plane = h * w
  const lat = new Int32Array(channels * plane)
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = c * plane + y * w + x
        if (uncoded !== null && uncoded[i] === 1) continue
        const ctx = context(lat, c, y, x, w, plane, i)
        if (m.decode(dec, ctx & 255) === 0) continue
        const neg = m.decode(dec, (ctx >> 8) & 255) === 1
        const mag = decodeEG(m, dec, EG_BASE + (ctx >> 16) * EG_MODELS, MAX_MAGNITUDE_MINUS_1) + 1
        if (!neg && mag > 2 ** 31 - 1) throw new GscError('corrupt latent payload: value out of Int32 range')
        lat[i] = neg ? -mag : mag
      }
  return lat
}
