// The one place the service reaches the other engine areas (store, codec, detector, models,
// bitstream). Everything else in src/core/service talks to these names.
import { openPacketLog as openStore, type PacketLog } from '../store/packetLog'
import { createCodecRunner, type CodecRunner } from '../codec/worker/runner'
import type { DecodeResult } from '../codec/decoder'
import type { CodecProgress } from '../codec/encoder'
import { inspectPacket } from '../bitstream/inspect'
import { decodeGscPacket } from '../bitstream/gscPacket'
import { readCapture } from '../bitstream/capture'
import { ssim } from '../analysis/metrics'
import { loadManifest, defaultModelsDir, type Manifest } from '../models/manifest'
import { BASELINES, type BaselineId } from '../baselines/codecs'
import { fitToSize } from '../baselines/fitToSize'
import type { RgbImage } from '../util/image'

export type PacketLogLike = PacketLog
export type DecodeResultLike = DecodeResult

export interface DecodeOptionsLike {
  steps?: number
  seed?: number
  samples?: number
  signal?: AbortSignal
  executionProvider?: 'cpu' | 'cuda'
  modelsDir?: string
  onProgress?(p: CodecProgress): void
}

export async function openPacketLog(file: string): Promise<PacketLogLike> {
  return openStore(file)
}

let runner: CodecRunner | null = null

/** Decodes in E's worker thread so the process serving the interface stays responsive. */
export async function loadDecoder(): Promise<(bytes: Uint8Array, opts: DecodeOptionsLike) => Promise<DecodeResultLike>> {
  return (bytes, opts) => {
    runner ??= createCodecRunner()
    const { signal, onProgress, ...rest } = opts
    return runner.decode(bytes, rest, { signal, onProgress })
  }
}

export async function closeDecoder(): Promise<void> {
  const r = runner
  runner = null
  if (r) await r.close()
}

export type ManifestLike = Manifest

export async function loadManifestModule(): Promise<{ loadManifest(dir?: string): ManifestLike; defaultModelsDir(): string }> {
  return { loadManifest, defaultModelsDir }
}

/** G's baseline codecs driven to the packet's size (downscale + quality search), for the Image view. */
export async function baselineAtSize(img: RgbImage, bytes: number, codec: BaselineId = 'webp'): Promise<{ image: RgbImage; bits: number; scale: number; label: string } | null> {
  const c = BASELINES[codec]
  if (await c.unavailable()) return null
  const r = await fitToSize(c, img, bytes)
  if (!r.reached || !r.image) return null
  return { image: r.image, bits: r.bytes * 8, scale: r.scale ?? 1, label: c.label }
}

export async function loadInspector() {
  return inspectPacket
}

export async function loadPacketDecoder() {
  return decodeGscPacket
}

export async function loadCaptureReader() {
  return readCapture
}

export async function loadSsim() {
  return ssim
}
