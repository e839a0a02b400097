// The packet archive's interface, apart from openArchive (archive.ts) so that the back ends implementing it do not
// import the module that loads them (no import loop).
import type { TimelineAggregate, TimelineQuery } from './timeline'
import type {
  EventSeverity, ExportFilter, ExportSummary, Gap, ImageApids, ImportOptions, ImportSummary, IngestResult, LogEvent, LogStats, PacketQuery,
  PacketRecord, PacketSummary
} from './types'

/** What a subscriber hears when packets were stored by any instance on the same archive. */
export interface ArchiveChange {
  /** The newest packet id after the write (list({ afterId }) reads what is new). */
  lastId: number
  /** Packets newly stored and repeated receptions counted by that write (0 when not known, e.g. polled SQLite). */
  inserted: number
  duplicates: number
}

export interface SubscribeOptions {
  /** Called when the live feed fails for good (after its bounded reconnect attempts); the subscription has ended. */
  onError?: (e: Error) => void
}

export interface PacketArchive {
  readonly kind: 'sqlite' | 'postgres'
  /** The file path, or the URL without its password: what messages name. */
  readonly location: string
  /** Schema version recorded in this archive. */
  readonly schemaVersion: number

  importCapture(path: string, opts?: ImportOptions): Promise<ImportSummary>
  ingest(bytes: Uint8Array, receivedAt?: Date, framed?: boolean): Promise<IngestResult>
  list(query?: PacketQuery): Promise<PacketSummary[]>
  fillCaptions(limit?: number): Promise<number>
  count(query?: PacketQuery): Promise<number>
  countMatches(query?: PacketQuery): Promise<{ total: number; atLeast: boolean }>
  get(id: number): Promise<PacketRecord | undefined>
  gaps(apid?: number): Promise<Gap[]>
  stats(): Promise<LogStats>
  imageApids(): Promise<ImageApids>
  setImageApids(v: ImageApids): Promise<{ packets: number; gaps: number }>
  timeline(q: TimelineQuery): Promise<TimelineAggregate>
  packetsInRange(q: { axis: 'time' | 'order'; from: number; to: number; apid?: number; limit: number }, agg?: TimelineAggregate): Promise<PacketSummary[] | null>
  gapsInRange(q?: { fromId?: number; toId?: number; apid?: number; limit?: number }): Promise<{ gaps: (Gap & { afterAt: string | null; beforeAt: string | null })[]; total: number }>
  exportCapture(outPath: string, filter?: ExportFilter): Promise<ExportSummary>
  addEvent(e: { severity: EventSeverity; source: string; message: string; packetId?: number; data?: unknown; time?: Date }): Promise<number>
  listEvents(q?: { limit?: number; afterId?: number; severity?: EventSeverity; source?: string }): Promise<LogEvent[]>
  putDecode(packetId: number, params: Record<string, unknown>, result: { imagePng?: Uint8Array; result?: unknown }): Promise<void>
  getDecode(packetId: number, params: Record<string, unknown>): Promise<{ imagePng: Uint8Array | null; result: unknown; createdAt: string } | undefined>
  savePlan(input: unknown, result: unknown, name?: string): Promise<number>
  listPlans(limit?: number): Promise<{ id: number; createdAt: string; name: string | null; input: unknown; result: unknown }[]>
  rebuildDerived(): Promise<{ packets: number; gaps: number }>
  /**
   * Calls back whenever packets are stored in this archive, by this instance or any other (PostgreSQL: LISTEN/NOTIFY,
   * delivered at commit; SQLite: the file is polled). Resolves once listening; the returned function stops it.
   */
  subscribe(callback: (change: ArchiveChange) => void, opts?: SubscribeOptions): Promise<() => Promise<void>>
  close(): Promise<void>
}

export interface OpenArchiveOptions {
  /** Fail instead of creating a new log (read-only commands such as stats and export). */
  mustExist?: boolean
  /** SQLite only: open the file read-only. */
  readonly?: boolean
  /** PostgreSQL only: connection attempts before giving up (default 5), first wait in ms (default 250, doubling). */
  connectAttempts?: number
  connectBackoffMs?: number
}
