// Public shapes of the packet log (what the CLI, serve and the UI see).
/**
 * What the station made of one stored byte string: ok (a valid GSC image packet), crc_failed / malformed (a packet on
 * an image APID that fails its checks, or bytes that frame as no CCSDS packet at all: malformed with framed = false),
 * foreign (a well-framed CCSDS packet of an APID that carries no GSC images, kept raw), idle (an idle packet, APID 2047).
 */
export type PacketStatus = 'ok' | 'crc_failed' | 'malformed' | 'foreign' | 'idle'
export const PACKET_STATUSES: readonly PacketStatus[] = ['ok', 'crc_failed', 'malformed', 'foreign', 'idle']

/** Which APIDs carry GSC images: 'auto' = any APID that has carried a valid GSC packet, or a fixed list. */
export type ImageApids = 'auto' | number[]

export interface PacketSummary {
  id: number
  receivedAt: string // ISO 8601
  apid: number | null
  sequenceCount: number | null
  octets: number
  status: PacketStatus
  crcOk: boolean | null
  error: string | null
  formatVersion: number | null
  width: number | null
  height: number | null
  channels: number | null
  modelId: number | null
  caption: string | null
  importId: number | null
  sourceOffset: number | null
  /** False for bytes that framed as no CCSDS packet (an unframed span or a cut tail). */
  framed: boolean
}

export interface PacketRecord extends PacketSummary {
  raw: Uint8Array
  sha256: string
  header: Record<string, unknown> | null
}

export interface PacketQuery {
  /** Only packets stored after this id (for following the log as it grows). */
  afterId?: number
  apid?: number
  status?: PacketStatus
  /** Inclusive bounds on receive time. */
  from?: Date | string | number
  to?: Date | string | number
  captionContains?: string
  minC?: number
  maxC?: number
  limit?: number
  offset?: number
  orderBy?: 'id' | 'receivedAt' | 'apid' | 'sequenceCount' | 'octets' | 'channels'
  desc?: boolean
}

export interface Gap {
  id: number
  apid: number
  afterSequence: number
  beforeSequence: number
  missing: number
  afterPacketId: number | null
  beforePacketId: number | null
  detectedAt: string
}

export interface ApidStats {
  apid: number
  packets: number
  bytes: number
  crcFailed: number
  /** Valid GSC packets, foreign packets and idle packets of this APID. */
  images: number
  foreign: number
  idle: number
  gaps: number
  missing: number
  firstReceivedAt: string | null
  lastReceivedAt: string | null
}

export interface LogStats {
  packets: number
  byStatus: Record<PacketStatus, number>
  duplicates: number
  gaps: number
  missing: number
  bytes: number
  firstReceivedAt: string | null
  lastReceivedAt: string | null
  perApid: ApidStats[]
  imports: number
  events: number
  imageApids: ImageApids
  schemaVersion: number
}

export interface ImportProgress {
  bytesDone: number
  bytesTotal: number
  packets: number
  duplicates: number
  bad: number
  seconds: number
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void
  signal?: AbortSignal
  /** Continue a previous interrupted import of the same file (default true). */
  resume?: boolean
  /** Replay pacing: packets per second (receive times spaced 1/rate apart). Undefined = as fast as possible. */
  rate?: number
  kind?: 'import' | 'replay'
  /** Transaction size; defaults 2000 packets or 0.5 s, whichever comes first. */
  batchPackets?: number
  batchMs?: number
}

export interface ImportSummary {
  capture: string
  importId: number
  kind: 'import' | 'replay'
  imported: number
  duplicates: number
  bad: number
  crcFailed: number
  malformed: number
  /** Well-framed packets of APIDs that carry no GSC images, and idle packets (stored, counted apart from bad). */
  foreign: number
  idle: number
  gaps: number
  missing: number
  bytes: number
  resumedFrom: number
  committedOffset: number
  captureBytes: number
  alreadyComplete: boolean
  interrupted: boolean
  seconds: number
  packetsPerSecond: number
  mbPerSecond: number
}

export interface ExportFilter {
  apid?: number
  status?: PacketStatus
  /** Re-emit repeated receptions where they arrived, reproducing a capture that had duplicates. */
  withDuplicates?: boolean
}

export interface ExportSummary {
  path: string
  packets: number
  duplicates: number
  bytes: number
}

export type EventSeverity = 'debug' | 'info' | 'warning' | 'error'

export interface LogEvent {
  id: number
  time: string
  severity: EventSeverity
  source: string
  message: string
  packetId: number | null
  data: unknown
}

export interface IngestResult {
  id: number
  duplicate: boolean
  status: PacketStatus
  newGaps: number
}
