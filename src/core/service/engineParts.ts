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

export interface ManifestLike {
  formatVersion: number
  models: Record<string, { stage: string; file: string; sha256: string; metrics?: Record<string, unknown>; notes?: string }>
}

// The manifest module is D's and may land after this file: loaded by name at run time.
const MANIFEST = '../models/manifest'
export async function loadManifestModule(): Promise<{ loadManifest(dir?: string): ManifestLike; defaultModelsDir?: () => string } | null> {
  try {
    return (await import(/* @vite-ignore */ MANIFEST)) as { loadManifest(dir?: string): ManifestLike; defaultModelsDir?: () => string }
  } catch {
    return null
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
