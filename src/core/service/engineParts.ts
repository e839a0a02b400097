// The one place the service reaches the other engine areas (store, codec, detector, models,
// planner). Everything else in src/core/service talks to these narrow shapes.
import type { ImportOptions, ImportSummary, IngestResult, PacketQuery, PacketRecord, Gap, LogStats } from '../store/types'
import type { RgbImage } from '../util/image'
import type { GscHeader, TransmittedDetection } from '../bitstream/types'

export interface PacketLogLike {
  importCapture(path: string, opts?: ImportOptions): Promise<ImportSummary>
  ingest(bytes: Uint8Array, receivedAt?: Date): IngestResult
  list(query?: PacketQuery): unknown[]
  get(id: number): PacketRecord | null | undefined
  gaps(): Gap[]
  stats(): LogStats
  count?(query?: PacketQuery): number
  close(): void
}

export interface DecodeResultLike {
  image: RgbImage
  samples?: RgbImage[]
  uncertainty?: RgbImage
  header: GscHeader
  caption: string
  detections: TransmittedDetection[]
}

export interface DecodeOptionsLike {
  steps?: number
  seed?: number
  samples?: number
  signal?: AbortSignal
  executionProvider?: 'cpu' | 'cuda'
}

// Module specifiers kept in variables: these areas are written in parallel and may land after this
// file; the service reports what is missing instead of failing to start.
const STORE = '../store/packetLog'
const DECODER = '../codec/decoder'
const MANIFEST = '../models/manifest'
const INSPECT = '../bitstream/inspect'

async function tryImport<T>(spec: string): Promise<T | null> {
  try {
    return (await import(/* @vite-ignore */ spec)) as T
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load|not found/i.test(String(e))) return null
    throw e
  }
}

export async function openPacketLog(file: string): Promise<PacketLogLike> {
  const m = await tryImport<{ openPacketLog(file: string): PacketLogLike }>(STORE)
  if (!m) throw new Error('the packet log (src/core/store/packetLog) is not available in this build')
  return m.openPacketLog(file)
}

export async function loadDecoder(): Promise<((bytes: Uint8Array, opts: DecodeOptionsLike) => Promise<DecodeResultLike>) | null> {
  const m = await tryImport<{ decodePacket(bytes: Uint8Array, opts: DecodeOptionsLike): Promise<DecodeResultLike> }>(DECODER)
  return m ? m.decodePacket : null
}

export interface ManifestLike {
  formatVersion: number
  models: Record<string, { stage: string; file: string; sha256: string; metrics?: Record<string, unknown>; notes?: string }>
}

export async function loadManifestModule(): Promise<{ loadManifest(dir?: string): ManifestLike } | null> {
  return tryImport(MANIFEST)
}

export interface InspectionLike {
  ok: boolean
  error?: string
  octets: number
  primary?: Record<string, number>
  header?: GscHeader
  crcOk?: boolean
  crcStored?: number
  crcComputed?: number
  caption?: string
  bits?: Record<string, number>
}

export async function loadInspector(): Promise<((bytes: Uint8Array) => InspectionLike) | null> {
  const m = await tryImport<{ inspectPacket(bytes: Uint8Array): InspectionLike }>(INSPECT)
  return m ? m.inspectPacket : null
}

export async function loadPacketDecoder(): Promise<((bytes: Uint8Array) => { detections: TransmittedDetection[]; header: GscHeader; caption: string; bits: Record<string, number> }) | null> {
  const m = await tryImport<{ decodeGscPacket(bytes: Uint8Array): { detections: TransmittedDetection[]; header: GscHeader; caption: string; bits: Record<string, number> } }>(
    '../bitstream/gscPacket'
  )
  return m ? m.decodeGscPacket : null
}

export interface CaptureItemLike {
  offset: number
  bytes: Uint8Array
  inspection: { ok: boolean; error?: string; octets: number }
}

export async function loadCaptureReader(): Promise<(path: string, opts?: { startOffset?: number; signal?: AbortSignal }) => AsyncGenerator<CaptureItemLike>> {
  const a = await tryImport<{ readCapture(path: string, opts?: { startOffset?: number; signal?: AbortSignal }): AsyncGenerator<CaptureItemLike> }>('../bitstream/capture')
  if (a) return a.readCapture
  const b = await tryImport<{ readCapture(path: string, opts?: { startOffset?: number; signal?: AbortSignal }): AsyncGenerator<CaptureItemLike> }>('../store/captureSource')
  if (b) return b.readCapture
  throw new Error('no capture reader (src/core/bitstream/capture) in this build')
}

export async function loadSsim(): Promise<((a: RgbImage, b: RgbImage) => number) | null> {
  const m = await tryImport<{ ssim(a: RgbImage, b: RgbImage): number }>('../analysis/metrics')
  return m ? m.ssim : null
}
