// The typed API between the interface and the engine. Every front door (Electron preload, the
// WebSocket client used by `gsc serve`) exposes exactly this shape as `window.gsc`.
import type * as S from './schemas'
import type { z } from 'zod'
import type { DepthView, SegmentationView } from './analysisApi'

export type { DepthView, PackedMap, SegmentationClassInfo, SegmentationModelId, SegmentationView } from './analysisApi'

/** ok / crc_failed / malformed: GSC image packets and bytes that frame as nothing (malformed); foreign: a
 *  well-framed CCSDS packet of an APID that carries no GSC images (kept raw); idle: APID 2047. */
export type PacketStatus = 'ok' | 'crc_failed' | 'malformed' | 'foreign' | 'idle'

export interface PacketSummary {
  id: number
  /** ISO-8601 time the station received (ingested) the packet. */
  receivedAt: string
  apid: number | null
  sequenceCount: number | null
  octets: number
  bits: number
  status: PacketStatus
  error: string | null
  /** Latent channels carried (chosen C); null when the header could not be read. */
  c: number | null
  width: number | null
  height: number | null
  caption: string | null
}

export interface GapInfo {
  apid: number
  /** Last sequence count seen before the gap and the first after it. */
  fromSeq: number
  toSeq: number
  missing: number
  /** Times of the packets either side, so the timeline can draw the gap. */
  fromTime: string
  toTime: string
  /** Ids of the packets either side (arrival-order axis). */
  fromId?: number | null
  toId?: number | null
}

/** Packets counted per bucket of the timeline's range (exact for each bucket's [start, end)). */
export interface TimelineBucket {
  /** ms since epoch (time axis) or packet ids (order axis). */
  start: number
  end: number
  packets: number
  byStatus: Partial<Record<PacketStatus, number>>
  octets: number
  maxOctets: number
  cPackets: number
  cMean: number | null
  cMin: number | null
  cMax: number | null
  firstId: number
  lastId: number
}

export interface TimelineView {
  axis: 'time' | 'order'
  /** Range the buckets cover (whole buckets) and the width of one. */
  from: number
  to: number
  bucketWidth: number
  /** Packets in the range. */
  total: number
  /** Non-empty buckets, in order. */
  buckets: TimelineBucket[]
  /** True when the range holds at most `limit` packets: then `packets` are all of them (draw those, not the buckets). */
  detail: boolean
  /** The packets of [start, end] themselves when `detail`, else empty. */
  packets: PacketSummary[]
  gaps: GapInfo[]
  /** Gaps in the range (only the last 500 are sent). */
  gapsTotal: number
}

export interface PacketPage {
  total: number
  /** A caption search with other filters counts up to 10,000 matches: then total is a lower bound. */
  totalAtLeast?: boolean
  packets: PacketSummary[]
}

export interface TransmittedBox {
  classId: number
  className: string
  score: number
  /** Normalised x1,y1,x2,y2 in 0..1. */
  box: [number, number, number, number]
}

/** The colour thumbnail a packet carries (sets 22-31, docs/bitstream.md 6.4): its luma plane's factor (samples per
 *  latent cell side: 1 = 1/16 scale, 4 = 1/4) and the steps its luma and chroma were quantised with; the sender picks
 *  them per packet (set 28's luma search). Set 30's packets also say how strong a grain they ask for (0: none). */
export interface ColourPlanes {
  lumaFactor: number
  lumaStep: number
  chromaStep: number
  textureStrength?: number
}

export interface PacketDetail extends PacketSummary {
  primary: Record<string, number> | null
  header: Record<string, unknown> | null
  /** null: the packet carries no colour thumbnail, or could not be read. */
  colour: ColourPlanes | null
  bitsBreakdown: Record<string, number> | null
  transmitted: TransmittedBox[]
  crcStored: number | null
  crcComputed: number | null
  /** First octets of the raw packet as hex, for the operator. */
  hexPreview: string
  hasOriginal: boolean
}

export interface Agreement {
  precision: number
  recall: number
  f1: number
}

export interface Reconstruction {
  packetId: number
  width: number
  height: number
  /** PNG as a data: URL. */
  image: string
  uncertainty: string | null
  caption: string
  /** Detections run on the reconstruction (normalised boxes). */
  detected: TransmittedBox[]
  transmitted: TransmittedBox[]
  agreement: Agreement | null
  decodeMs: number
  steps: number | null
  notes: string[]
  /** Model set 30 only: the strength of the synthesised grain the packet asks for (0: none) and whether this
   *  image has it drawn (invented detail, not transmitted; reconstruct's `texture: false` leaves it out). */
  texture?: TextureInfo
}

export interface TextureInfo {
  strength: number
  drawn: boolean
}

export type BaselineCodecId = z.infer<typeof S.baselineCodec>

export interface ImageMetrics {
  psnr: number
  ssim: number
}

/**
 * One baseline codec fitted to a packet's bytes by the bench's rule (src/core/baselines/fitToSize.ts:
 * downscale and quality search for the best file not above the target, upscaled back).
 */
export interface BaselineFit {
  codec: BaselineCodecId
  /** Short name, e.g. "JPEG XL". */
  name: string
  /** What exactly ran (encoder, container, options). */
  label: string
  /** The packet's size in octets: the budget the codec was fitted to. */
  targetBytes: number
  /** True when a file of at most targetBytes was found; only then is there an image. */
  reached: boolean
  /**
   * Size of the file shown; when not reached, the smallest file this codec makes of this image (its
   * lowest setting at the smallest scale). null when the codec could not run.
   */
  bytes: number | null
  bits: number | null
  /** The codec's knob at the chosen file ("quality" 37, "distance" 12.1, ...); null when not reached. */
  setting: { name: string; value: number } | null
  /** Linear scale the image was coded at (1 = full size) and the coded size; null when not reached. */
  scale: number | null
  codedWidth: number | null
  codedHeight: number | null
  /** The decoded file upscaled to the original size, as a PNG data: URL; null when not reached. */
  image: string | null
  metrics: ImageMetrics | null
  /** Why the codec could not run here (encoder missing, tool failed); null when it ran. */
  error: string | null
  /** One line: what is shown (bytes, setting, coded size), or why nothing is. */
  summary: string
  /** Time the fit took when it was computed (a cached answer keeps its first time). */
  fitMs: number
}

export interface Comparison {
  packetId: number
  original: string | null
  /** The reconstruction against the original (once the packet was decoded). */
  metrics: ImageMetrics | null
  /** The chosen baseline at the packet's bytes; null without an original. */
  baseline: BaselineFit | null
  note: string | null
}

export type JobState = 'running' | 'done' | 'failed' | 'cancelled'
export type JobKind = 'import' | 'replay' | 'decode' | 'upload'

export interface JobInfo {
  id: string
  kind: JobKind
  label: string
  state: JobState
  done: number
  total: number | null
  detail: string | null
  error: string | null
  startedAt: string
  /** Replay only: paused flag and packets-per-second pace. */
  paused?: boolean
  speed?: number
}

export type Severity = 'debug' | 'info' | 'watch' | 'warning' | 'distress' | 'critical'

export interface EventLogEntry {
  id: number
  at: string
  severity: Severity
  source: string
  message: string
}

export interface ModelInfo {
  id: string
  stage: string
  file: string
  sha256: string
  verified: boolean | null
  metrics: Record<string, unknown>
  notes: string | null
}

export interface Settings {
  executionProvider: 'cpu' | 'cuda'
  captionerUrl: string
  captionerModel: string
  /** Flow steps for decodes in the interface; null = the packet's hint, else the generator's recommendation. */
  decodeSteps: number | null
  /** The APIDs that carry GSC images: 'auto' (any APID whose packets pass the GSC CRC) or a list; other APIDs' packets are foreign. */
  imageApids: 'auto' | number[]
  /** The station's own pixel limit for decoding (width x height); null = the front door's (gsc serve --max-pixels,
   *  default 2048 x 2048). It can only lower that one (docs/bitstream.md 4.1). */
  maxPixels: number | null
  /** The station's own flow-step limit; null = the front door's (gsc serve --max-flow-steps, default 64). */
  maxFlowSteps: number | null
  /** The limits in force (read-only): each setting, or the front door's limit where it is null. */
  decodeLimits: { maxPixels: number; maxFlowSteps: number }
}

/** A decode worker (`gsc worker`) of the shared archive, from its presence heartbeat. */
export interface DecodeWorkerInfo {
  /** host:pid */
  name: string
  host: string
  executionProvider: 'cpu' | 'cuda'
  concurrency: number
  startedAt: string
  lastSeen: string
  /** Seconds since its last heartbeat (the database's clock). */
  ageSeconds: number
  /** Heartbeat within staleAfterSeconds: decodes are handed to the workers while any is live. */
  live: boolean
}

export interface DecodeWorkers {
  /** Only a PostgreSQL archive has workers; a SQLite log always decodes in this engine. */
  archive: 'sqlite' | 'postgres'
  staleAfterSeconds: number
  /** How long a reconstruction waits for a worker before this engine decodes it itself. */
  waitSeconds: number
  workers: DecodeWorkerInfo[]
}

export interface SystemInfo {
  dbFile: string
  eventsFile: string
  version: string
  modelsDir: string
  models: ModelInfo[]
  modelsError: string | null
  frontDoor: 'electron' | 'serve'
  engine: Record<string, boolean>
}

export interface CalibrationPoint {
  c: number
  bits: number
  disagreement: number
}

export interface CalibrationTable {
  source: string
  /** 'bench' = measured by `gsc bench`; 'log-estimate' = scaled from packets in the log. */
  kind: 'bench' | 'log-estimate'
  images: { id: string; candidates: CalibrationPoint[] }[]
  /** Mean curve per C over images, for the RD plot. */
  curve: CalibrationPoint[]
}

export interface PlanView {
  calibration: CalibrationTable
  result: {
    images: { id: string; chosenC: number | null; bits: number; disagreement: number | null; cost: number | null }[]
    totals: { imagesRequested: number; imagesSent: number; linkBitsUsed: number; bitsAvailable: number | null; meanDisagreement: number | null; objective: number }
    passFrontier: { totalBits: number; meanDisagreement: number }[]
    method: string
  }
}

export interface EventMap {
  packets: { added: PacketSummary[] }
  job: JobInfo
  log: EventLogEntry
}
export type EventName = keyof EventMap

/** What each call returns. A call's arguments are its runtime schema's type (ArgsOf), so the two cannot drift. */
export interface ApiResults {
  systemInfo: SystemInfo
  listPackets: PacketPage
  /** Without `buckets`: the newest `limit` packets and the newest gaps. With `buckets`: a TimelineView. */
  timeline: { packets: PacketSummary[]; gaps: GapInfo[]; view?: TimelineView }
  getPacket: PacketDetail
  reconstruct: Reconstruction
  compare: Comparison
  attachOriginal: Comparison
  uploadBegin: { uploadId: string }
  uploadChunk: { received: number }
  uploadEnd: { fileRef: string; octets: number }
  importCapture: { jobId: string }
  replayStart: { jobId: string }
  replayControl: JobInfo
  listJobs: JobInfo[]
  listWorkers: DecodeWorkers
  cancelJob: JobInfo
  plan: PlanView
  loadCalibration: CalibrationTable
  clearCalibration: { ok: true }
  getSettings: Settings
  setSettings: Settings
  listEvents: EventLogEntry[]
  logEvent: EventLogEntry
  verifyModels: ModelInfo[]
  imageSegmentation: SegmentationView
  imageDepth: DepthView
}
/** The API's methods are the schemas' (src/shared/schemas.ts ARG_SCHEMAS). */
export type MethodName = keyof typeof S.ARG_SCHEMAS
export type ArgsOf<M extends MethodName> = z.infer<(typeof S.ARG_SCHEMAS)[M]>
export type ResultOf<M extends MethodName> = ApiResults[M]
/** A compile error unless ApiResults names no method without a schema. */
type NoneLeft<T extends never> = T
export type ResultsWithoutSchema = NoneLeft<Exclude<keyof ApiResults, MethodName>>

export type GscApi = {
  [M in MethodName]: (args: ArgsOf<M>) => Promise<ResultOf<M>>
} & {
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (data: EventMap[E]) => void): () => void
  /** Which front door this is. */
  readonly transport: 'electron' | 'websocket'
}
