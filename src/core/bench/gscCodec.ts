// The GSC codec as the bench drives it: prepare once per image (caption, g_a, channel ranking), pack per C, decode.
import { performance } from 'node:perf_hooks'
import { packChannels, prepareImage } from '../codec/encoder'
import { decodePacket } from '../codec/decoder'
import type { RgbImage } from '../util/image'

export interface GscPacked {
  packet: Uint8Array
  quantStep: number
  fitsTarget: boolean
  targetBits: number
  channelIndices: number[]
  /** Bits per section as the packet decoder accounts them. */
  sections: { header: number; caption: number; latents: number; detections: number; total: number }
  packMs: number
}

export interface GscPrepared {
  prepareMs: number
  caption: string
  captionSource: string
  pack(c: number): Promise<GscPacked>
}

export interface GscBenchCodec {
  prepare(img: RgbImage, signal?: AbortSignal): Promise<GscPrepared>
  decode(packet: Uint8Array, signal?: AbortSignal): Promise<{ image: RgbImage; decodeMs: number; steps: number }>
}

export interface GscBenchOptions {
  executionProvider?: 'cpu' | 'cuda'
  modelsDir?: string
  /** Flow steps at decode (default: the packet header's). */
  steps?: number
}

export function realGscCodec(opts: GscBenchOptions = {}): GscBenchCodec {
  return {
    async prepare(img, signal) {
      const t0 = performance.now()
      const prep = await prepareImage(img, { executionProvider: opts.executionProvider, modelsDir: opts.modelsDir, signal })
      const prepareMs = performance.now() - t0
      return {
        prepareMs,
        caption: prep.caption,
        captionSource: prep.captionSource,
        async pack(c) {
          const t = performance.now()
          const p = await packChannels(prep, c)
          const packMs = performance.now() - t
          const { bpp: _bpp, ...sections } = p.bits
          return { packet: p.packet, quantStep: p.quantStep, fitsTarget: p.fitsTarget, targetBits: p.targetBits, channelIndices: p.channelIndices, sections, packMs }
        }
      }
    },
    async decode(packet, signal) {
      const t0 = performance.now()
      const r = await decodePacket(packet, { steps: opts.steps, executionProvider: opts.executionProvider, modelsDir: opts.modelsDir, signal })
      return { image: r.image, decodeMs: performance.now() - t0, steps: r.steps }
    }
  }
}
