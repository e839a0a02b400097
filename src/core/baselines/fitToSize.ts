/**
 * Drives a baseline codec to a byte budget: searches downscaling and the quality knob for files not above
 * the target, decodes, and upscales back to the original size.
 *
 * Method (documented in the report):
 *  - scales 2^(-k/2), k = 0..12 (1 down to 1/64), each side rounded to the codec's size multiple, min 8 px;
 *    downscaling and upscaling back use sharp's Lanczos3;
 *  - the largest scale whose lowest-quality file fits is found by bisection; that scale and the next
 *    smaller one are tried;
 *  - at each tried scale the knob is bisected for the largest file not above the target;
 *  - among those (one per scale) the reconstruction with the highest PSNR against the original wins
 *    (an encoder-side choice: the sender has the original), ties to the larger file.
 * If even the smallest scale at the lowest quality is above the target, the result says so and gives that
 * smallest achievable size (container overhead included).
 */
import { performance } from 'node:perf_hooks'
import { psnr } from '../analysis/metrics'
import { resizeImage, type RgbImage } from '../image/rgbImage'
import type { BaselineCodec, BaselineId } from './codecs'

export const SCALES = Array.from({ length: 13 }, (_, k) => Math.pow(2, -k / 2))
export const SCALES_TRIED = 2
export const RESAMPLE_KERNEL = 'lanczos3' as const

export interface FitResult {
  codec: BaselineId
  targetBytes: number
  reached: boolean
  /** Size of the chosen file; when not reached, the smallest size this codec can produce here. */
  bytes: number
  smallestBytes: number
  scale: number | null
  codedWidth: number | null
  codedHeight: number | null
  knob: number | null
  encodeMs: number | null
  decodeMs: number | null
  encodes: number
  /** The chosen file's bytes; null when the size was not reached. */
  encoded: Uint8Array | null
  /** Decoded and upscaled to the original size; null when the size was not reached. */
  image: RgbImage | null
}

function scaledSize(w: number, h: number, s: number, m: number): [number, number] {
  const side = (n: number) => Math.max(Math.min(n, 8), Math.round((n * s) / m) * m || m)
  return [Math.min(w, side(w)), Math.min(h, side(h))]
}

/**
 * Trial encodes and decodes of one image with one codec, kept across several targets (the bench fits the
 * same image to the GSC packet size of every C): the same (scale, knob) is never encoded twice.
 */
export interface FitMemo {
  scaled: Map<number, RgbImage>
  encoded: Map<string, { bytes: Uint8Array; ms: number }>
  decoded: Map<string, { image: RgbImage; ms: number; psnr: number }>
}

export function newFitMemo(): FitMemo {
  return { scaled: new Map(), encoded: new Map(), decoded: new Map() }
}

export async function fitToSize(codec: BaselineCodec, img: RgbImage, targetBytes: number, signal?: AbortSignal, memo: FitMemo = newFitMemo()): Promise<FitResult> {
  const sizes = SCALES.map((s) => scaledSize(img.width, img.height, s, codec.sizeMultiple))
  const scaledCache = memo.scaled
  const encCache = memo.encoded
  let encodes = 0
  const scaled = async (si: number) => {
    let im = scaledCache.get(si)
    if (!im) {
      const [w, h] = sizes[si]
      im = w === img.width && h === img.height ? img : await resizeImage(img, w, h, RESAMPLE_KERNEL)
      scaledCache.set(si, im)
    }
    return im
  }
  const encode = async (si: number, ki: number) => {
    const key = `${si}:${ki}`
    let e = encCache.get(key)
    if (!e) {
      signal?.throwIfAborted()
      const im = await scaled(si)
      const t0 = performance.now()
      const bytes = await codec.encode(im, codec.knobs[ki])
      e = { bytes, ms: performance.now() - t0 }
      encCache.set(key, e)
      encodes++
    }
    return e
  }

  // Scale indices ordered from smallest picture to largest.
  const order = SCALES.map((_, i) => SCALES.length - 1 - i)
  const smallest = await encode(order[0], 0)
  const base = {
    codec: codec.id,
    targetBytes,
    smallestBytes: smallest.bytes.length
  }
  if (smallest.bytes.length > targetBytes) {
    return { ...base, reached: false, bytes: smallest.bytes.length, scale: null, codedWidth: null, codedHeight: null, knob: null, encodeMs: null, decodeMs: null, encodes, encoded: null, image: null }
  }
  // Largest position in `order` whose lowest-quality file fits (bisection; assumes size grows with scale).
  let lo = 0
  let hi = order.length - 1
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if ((await encode(order[mid], 0)).bytes.length <= targetBytes) lo = mid
    else hi = mid - 1
  }
  type Cand = { si: number; ki: number; bytes: Uint8Array; encMs: number; decMs: number; image: RgbImage; psnr: number }
  let best: Cand | null = null
  // A knob that fits at a larger scale also fits at a smaller one: it is the next search's lower bound.
  let floor = 0
  for (let pos = lo; pos >= Math.max(0, lo - (SCALES_TRIED - 1)); pos--) {
    const si = order[pos]
    let a = floor
    let b = codec.knobs.length - 1
    if ((await encode(si, a)).bytes.length > targetBytes) continue
    while (a < b) {
      const mid = Math.ceil((a + b) / 2)
      if ((await encode(si, mid)).bytes.length <= targetBytes) a = mid
      else b = mid - 1
    }
    floor = a
    const e = await encode(si, a)
    const key = `${si}:${a}`
    let d = memo.decoded.get(key)
    if (!d) {
      const t0 = performance.now()
      const dec = await codec.decode(e.bytes)
      const up = dec.width === img.width && dec.height === img.height ? dec : await resizeImage(dec, img.width, img.height, RESAMPLE_KERNEL)
      d = { image: up, ms: performance.now() - t0, psnr: psnr(img, up) }
      memo.decoded.set(key, d)
    }
    const { image: up, ms: decMs, psnr: p } = d
    if (!best || p > best.psnr || (p === best.psnr && e.bytes.length > best.bytes.length))
      best = { si, ki: a, bytes: e.bytes, encMs: e.ms, decMs, image: up, psnr: p }
  }
  const c = best!
  return {
    ...base,
    reached: true,
    bytes: c.bytes.length,
    scale: SCALES[c.si],
    codedWidth: sizes[c.si][0],
    codedHeight: sizes[c.si][1],
    knob: codec.knobs[c.ki],
    encodeMs: c.encMs,
    decodeMs: c.decMs,
    encodes,
    encoded: c.bytes,
    image: c.image
  }
}
