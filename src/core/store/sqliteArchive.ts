// The SQLite packet log behind the async archive interface: today's PacketLog, unchanged, each call wrapped.
import type { ArchiveChange, OpenArchiveOptions, PacketArchive, SubscribeOptions } from './archiveTypes'
import { SCHEMA_VERSION } from './migrations'
import { PacketLog } from './packetLog'
import type { TimelineAggregate, TimelineQuery } from './timeline'
import type { EventSeverity, ExportFilter, ImageApids, ImportOptions, PacketQuery } from './types'

/** How often a SQLite subscriber looks for packets written by another process (no server to notify it). */
const POLL_MS = 200

export class SqliteArchive implements PacketArchive {
  readonly kind = 'sqlite' as const
  readonly location: string
  readonly schemaVersion = SCHEMA_VERSION
  /** The synchronous log underneath (for code that still uses it directly). */
  readonly log: PacketLog
  private readonly stops = new Set<() => Promise<void>>()

  constructor(file: string, opts: OpenArchiveOptions = {}) {
    this.location = file
    this.log = new PacketLog(file, { mustExist: opts.mustExist, readonly: opts.readonly })
  }

  async importCapture(path: string, opts?: ImportOptions) {
    return this.log.importCapture(path, opts)
  }
  async ingest(bytes: Uint8Array, receivedAt?: Date, framed?: boolean) {
    return this.log.ingest(bytes, receivedAt, framed)
  }
  async list(query?: PacketQuery) {
    return this.log.list(query)
  }
  async fillCaptions(limit?: number) {
    return this.log.fillCaptions(limit)
  }
  async count(query?: PacketQuery) {
    return this.log.count(query)
  }
  async countMatches(query?: PacketQuery) {
    return this.log.countMatches(query)
  }
  async get(id: number) {
    return this.log.get(id)
  }
  async gaps(apid?: number) {
    return this.log.gaps(apid)
  }
  async stats() {
    return this.log.stats()
  }
  async imageApids() {
    return this.log.imageApids()
  }
  async setImageApids(v: ImageApids) {
    return this.log.setImageApids(v)
  }
  async timeline(q: TimelineQuery) {
    return this.log.timeline(q)
  }
  async packetsInRange(q: { axis: 'time' | 'order'; from: number; to: number; apid?: number; limit: number }, agg?: TimelineAggregate) {
    return this.log.packetsInRange(q, agg)
  }
  async gapsInRange(q?: { fromId?: number; toId?: number; apid?: number; limit?: number }) {
    return this.log.gapsInRange(q)
  }
  async exportCapture(outPath: string, filter?: ExportFilter) {
    return this.log.exportCapture(outPath, filter)
  }
  async addEvent(e: { severity: EventSeverity; source: string; message: string; packetId?: number; data?: unknown; time?: Date }) {
    return this.log.addEvent(e)
  }
  async listEvents(q?: { limit?: number; afterId?: number; severity?: EventSeverity; source?: string }) {
    return this.log.listEvents(q)
  }
  async putDecode(packetId: number, params: Record<string, unknown>, result: { imagePng?: Uint8Array; result?: unknown }) {
    this.log.putDecode(packetId, params, result)
  }
  async getDecode(packetId: number, params: Record<string, unknown>) {
    return this.log.getDecode(packetId, params)
  }
  async savePlan(input: unknown, result: unknown, name?: string) {
    return this.log.savePlan(input, result, name)
  }
  async listPlans(limit?: number) {
    return this.log.listPlans(limit)
  }
  async rebuildDerived() {
    return this.log.rebuildDerived()
  }

  /** Polls the newest packet id: sees writes by this process and by any other process on the same file. */
  async subscribe(callback: (change: ArchiveChange) => void, _opts?: SubscribeOptions): Promise<() => Promise<void>> {
    const newest = this.log.db.prepare('SELECT COALESCE(MAX(id), 0) FROM packets').pluck()
    const dups = this.log.db.prepare('SELECT COUNT(*) FROM duplicates').pluck()
    let lastId = newest.get() as number
    let lastDups = dups.get() as number
    const timer = setInterval(() => {
      const id = newest.get() as number
      const d = dups.get() as number
      if (id === lastId && d === lastDups) return
      const change = { lastId: id, inserted: id - lastId, duplicates: d - lastDups }
      lastId = id
      lastDups = d
      callback(change)
    }, POLL_MS)
    timer.unref()
    const stop = async () => {
      clearInterval(timer)
      this.stops.delete(stop)
    }
    this.stops.add(stop)
    return stop
  }

  async close() {
    for (const stop of [...this.stops]) await stop()
    this.log.close()
  }
}
