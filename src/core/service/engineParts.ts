// The one place the service reaches the other engine areas (store, codec, detector, models,
// bitstream). Everything else in src/core/service talks to these names.
import { openPacketLog as openStore, type PacketLog } from '../store/packetLog'
import { createCodecRunner, type CodecRunner } from '../codec/worker/runner'
import type { DecodeResult } from '../codec/decoder'
import type { CodecProgress } from '../codec/types'
import { inspectPacket } from '../bitstream/inspect'
import { decodeGscPacket } from '../bitstream/gscPacket'
import { readCapture } from '../bitstream/capture'
import { ssim } from '../analysis/metrics'
import { loadManifest, defaultModelsDir, type Manifest } from '../models/manifest'
import { BASELINES, type BaselineId } from '../baselines/codecs'
import { fitToSize, type FitResult } from '../baselines/fitToSize'
import { GscError, describeError } from '../util/errors'
import { performance } from 'node:perf_hooks'
import type { DecodeLimits } from '../bitstream/limits'
import type { RgbImage } from '../util/image'

export type PacketLogLike = PacketLog
export type DecodeResultLike = DecodeResult

export interface DecodeOptionsLike {
  steps?: number
  /** The station's decode-steps setting: used by a flow set's packet (set 1) when steps is not given; other sets ignore it. */
  defaultFlowSteps?: number
  seed?: number
  samples?: number
  signal?: AbortSignal
  executionProvider?: 'cpu' | 'cuda'
  modelsDir?: string
  /** The station's decode limits in force (docs/bitstream.md 4.1). */
  limits?: Partial<DecodeLimits>
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

export type BaselineIdLike = BaselineId

export interface BaselineAtSize {
  codec: BaselineId
  label: string
  knobName: string
  /** The bench's fit; null when the codec could not run (error says why). */
  fit: FitResult | null
  error: string | null
  ms: number
}

/**
 * G's baseline codec driven to the packet's size by the bench's own rule (fitToSize: downscale + quality
 * search), for the Image view. A codec that cannot run (missing tool) is reported, not thrown, as the bench does.
 */
export async function baselineAtSize(img: RgbImage, bytes: number, codec: BaselineId, signal?: AbortSignal): Promise<BaselineAtSize> {
  const c = BASELINES[codec]
  const t0 = performance.now()
  const out = { codec, label: c.label, knobName: c.knobName }
  const missing = await c.unavailable()
  if (missing) return { ...out, fit: null, error: missing, ms: performance.now() - t0 }
  try {
    return { ...out, fit: await fitToSize(c, img, bytes, signal), error: null, ms: performance.now() - t0 }
  } catch (e) {
    if (signal?.aborted || !(e instanceof GscError)) throw e
    return { ...out, fit: null, error: describeError(e), ms: performance.now() - t0 }
  }
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
