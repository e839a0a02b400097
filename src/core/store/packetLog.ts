// The packet log: one SQLite file holding every byte string received (raw, as received) plus
// what is derived from it (parsed headers, gaps, decodes, plans) and the operator event log.
//
// Choices an operator should know:
// - Everything the capture reader yields is stored, in receive order: good packets (status ok),
//   framed packets whose CRC fails (crc_failed) and unframeable spans or truncated tails
//   (malformed, the bytes exactly as they were). So `log export` reproduces an imported capture
//   byte for byte, garbage included.
// - Duplicates are decided on the sha256 of the raw bytes. A repeated reception is not stored
//   again; it is recorded in `duplicates` (which packet, when, from where, and after which packet
//   it arrived). Export writes each stored byte string once; --with-duplicates re-emits repeated
//   receptions in place, which reproduces captures that contained duplicates too.
// - Gaps: per APID, from 14-bit sequence counts of intact (ok) packets; a CRC-failed packet
//   counts as lost. See sequenceGaps.ts for wrap and late-arrival handling.
// - status ok means: framing, CRC-32 and the GSC header are valid. Caption and latents are decoded
//   when needed (captions lazily into the caption column; images by the decoder).
// - Derived columns and tables (header fields, captions, gaps, apid_state, decodes) can be rebuilt
//   from raw bytes with rebuildDerived(); raw bytes, receive times and the duplicates/imports
//   bookkeeping are the record.
import type Database from 'better-sqlite3'
import { GscError } from '../util/errors'
import { peekCaption } from './captionPeek'
import { inspectPacket } from './captureSource'
import { exportCaptureFrom } from './exportCapture'
import { importCaptureInto } from './importCapture'
import { SCHEMA_VERSION } from './migrations'
import { openDatabase, type OpenOptions } from './openDatabase'
import { PacketWriter, headerColumns, statusOf } from './packetWriter'
import { buildPacketQuery, rowToSummary, type PacketRow } from './packetQuery'
import type {
  EventSeverity, ExportFilter, ExportSummary, Gap, ImportOptions, ImportSummary, IngestResult, LogEvent, LogStats,
  PacketQuery, PacketRecord, PacketStatus, PacketSummary
} from './types'

export * from './types'

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())

export class PacketLog {
  readonly file: string
  readonly db: Database.Database
  private readonly writer: PacketWriter
  private closed = false

  constructor(file: string, opts: OpenOptions = {}) {
    this.file = file
    this.db = openDatabase(file, opts)
    this.writer = new PacketWriter(this.db)
  }

  /** Streams a capture file in (resumable); see importCapture.ts. */
  importCapture(path: string, opts: ImportOptions = {}): Promise<ImportSummary> {
    return importCaptureInto(this.db, this.writer, path, opts)
  }

  /** Stores one received packet (live reception). Duplicates are counted, not stored again. */
  ingest(bytes: Uint8Array, receivedAt: Date = new Date()): IngestResult {
    const inspection = inspectPacket(bytes, { decode: false })
    const r = this.writer.write([{ bytes, inspection, receivedAt: receivedAt.getTime() }])
    return { id: r.ids[0], duplicate: r.duplicateFlags[0], status: r.statuses[0], newGaps: r.newGaps }
  }

  list(query: PacketQuery = {}): PacketSummary[] {
    if (query.captionContains) this.fillCaptions()
    const { sql, params } = buildPacketQuery(query, false)
    const rows = this.db.prepare(sql).all(params) as PacketRow[]
    for (const r of rows) if (r.caption === null && r.status === 'ok') r.caption = this.fillCaption(r.id)
    return rows.map(rowToSummary)
  }

  /**
   * Captions are derived data: capture readers skip them for speed, so they are decoded from the
   * raw bytes when first needed (listing, caption search) and stored. Returns how many were filled.
   */
  fillCaptions(limit = Number.POSITIVE_INFINITY): number {
    const page = this.db.prepare(`SELECT id, raw FROM packets WHERE caption IS NULL AND status = 'ok' AND id > ? ORDER BY id LIMIT 2000`)
    const set = this.db.prepare('UPDATE packets SET caption = ? WHERE id = ?')
    let after = 0
    let filled = 0
    while (filled < limit) {
      const rows = page.all(after) as { id: number; raw: Buffer }[]
      if (rows.length === 0) break
      this.db.transaction(() => {
        for (const r of rows) {
          after = r.id
          const c = peekCaption(r.raw)
          if (c !== null) (set.run(c, r.id), filled++)
        }
      }).immediate()
    }
    return filled
  }

  private fillCaption(id: number): string | null {
    const raw = this.db.prepare('SELECT raw FROM packets WHERE id = ?').pluck().get(id) as Buffer | undefined
    const c = raw ? peekCaption(raw) : null
    if (c !== null) this.db.prepare('UPDATE packets SET caption = ? WHERE id = ? AND caption IS NULL').run(c, id)
    return c
  }

  count(query: PacketQuery = {}): number {
    const { sql, params } = buildPacketQuery(query, true)
    return this.db.prepare(sql).pluck().get(params) as number
  }

  get(id: number): PacketRecord | undefined {
    const row = this.db.prepare('SELECT * FROM packets WHERE id = ?').get(id) as (PacketRow & { raw: Buffer; hash: Buffer; header_json: string | null }) | undefined
    if (!row) return undefined
    if (row.caption === null && row.status === 'ok') row.caption = this.fillCaption(id)
    return {
      ...rowToSummary(row),
      raw: new Uint8Array(row.raw.buffer, row.raw.byteOffset, row.raw.byteLength),
      sha256: row.hash.toString('hex'),
      header: row.header_json
        ? (JSON.parse(row.header_json) as Record<string, unknown>)
        : ((inspectPacket(row.raw, { decode: false }).header as Record<string, unknown> | undefined) ?? null)
    }
  }

  gaps(apid?: number): Gap[] {
    const rows = this.db
      .prepare(`SELECT * FROM gaps ${apid === undefined ? '' : 'WHERE apid = ?'} ORDER BY apid, id`)
      .all(...(apid === undefined ? [] : [apid])) as {
      id: number; apid: number; after_sequence: number; before_sequence: number; missing: number
      after_packet_id: number | null; before_packet_id: number | null; detected_at: number
    }[]
    return rows.map((r) => ({
      id: r.id, apid: r.apid, afterSequence: r.after_sequence, beforeSequence: r.before_sequence, missing: r.missing,
      afterPacketId: r.after_packet_id, beforePacketId: r.before_packet_id, detectedAt: iso(r.detected_at)!
    }))
  }

  stats(): LogStats {
    const db = this.db
    const byStatus: Record<PacketStatus, number> = { ok: 0, crc_failed: 0, malformed: 0 }
    for (const r of db.prepare('SELECT status, COUNT(*) AS n FROM packets GROUP BY status').all() as { status: PacketStatus; n: number }[])
      byStatus[r.status] = r.n
    const t = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(octets), 0) AS bytes, MIN(received_at) AS first, MAX(received_at) AS last FROM packets').get() as {
      n: number; bytes: number; first: number | null; last: number | null
    }
    const g = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(missing), 0) AS missing FROM gaps').get() as { n: number; missing: number }
    const gapsByApid = new Map<number, { n: number; missing: number }>()
    for (const r of db.prepare('SELECT apid, COUNT(*) AS n, SUM(missing) AS missing FROM gaps GROUP BY apid').all() as { apid: number; n: number; missing: number }[])
      gapsByApid.set(r.apid, r)
    const perApid = (
      db.prepare(`SELECT apid, COUNT(*) AS packets, SUM(octets) AS bytes, SUM(status = 'crc_failed') AS crcFailed,
        MIN(received_at) AS first, MAX(received_at) AS last FROM packets WHERE apid IS NOT NULL GROUP BY apid ORDER BY apid`).all() as {
        apid: number; packets: number; bytes: number; crcFailed: number; first: number; last: number
      }[]
    ).map((r) => ({
      apid: r.apid, packets: r.packets, bytes: r.bytes, crcFailed: r.crcFailed,
      gaps: gapsByApid.get(r.apid)?.n ?? 0, missing: gapsByApid.get(r.apid)?.missing ?? 0,
      firstReceivedAt: iso(r.first), lastReceivedAt: iso(r.last)
    }))
    return {
      packets: t.n, byStatus,
      duplicates: db.prepare('SELECT COUNT(*) FROM duplicates').pluck().get() as number,
      gaps: g.n, missing: g.missing, bytes: t.bytes, firstReceivedAt: iso(t.first), lastReceivedAt: iso(t.last), perApid,
      imports: db.prepare('SELECT COUNT(*) FROM imports').pluck().get() as number,
      events: db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number,
      schemaVersion: SCHEMA_VERSION
    }
  }

  /** Writes stored bytes in receive order; see exportCapture.ts for duplicates. */
  exportCapture(outPath: string, filter: ExportFilter = {}): ExportSummary {
    return exportCaptureFrom(this.db, outPath, filter)
  }

  addEvent(e: { severity: EventSeverity; source: string; message: string; packetId?: number; data?: unknown; time?: Date }): number {
    if (!e.message) throw new GscError('an event needs a message')
    const info = this.db
      .prepare('INSERT INTO events (time, severity, source, message, packet_id, data_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run((e.time ?? new Date()).getTime(), e.severity, e.source, e.message, e.packetId ?? null, e.data === undefined ? null : JSON.stringify(e.data))
    return Number(info.lastInsertRowid)
  }

  listEvents(q: { limit?: number; afterId?: number; severity?: EventSeverity; source?: string } = {}): LogEvent[] {
    const where: string[] = []
    const params: Record<string, unknown> = { limit: Math.max(1, Math.min(q.limit ?? 200, 10_000)) }
    if (q.afterId !== undefined) (where.push('id > @afterId'), (params.afterId = q.afterId))
    if (q.severity) (where.push('severity = @severity'), (params.severity = q.severity))
    if (q.source) (where.push('source = @source'), (params.source = q.source))
    const rows = this.db
      .prepare(`SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT @limit`)
      .all(params) as { id: number; time: number; severity: EventSeverity; source: string; message: string; packet_id: number | null; data_json: string | null }[]
    return rows.map((r) => ({
      id: r.id, time: iso(r.time)!, severity: r.severity, source: r.source, message: r.message, packetId: r.packet_id,
      data: r.data_json ? JSON.parse(r.data_json) : null
    }))
  }

  /** Decode cache: keyed by packet id + canonical decode parameters. */
  putDecode(packetId: number, params: Record<string, unknown>, result: { imagePng?: Uint8Array; result?: unknown }): void {
    this.db
      .prepare(`INSERT INTO decodes (packet_id, params_key, created_at, image_png, result_json) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(packet_id, params_key) DO UPDATE SET created_at = excluded.created_at, image_png = excluded.image_png, result_json = excluded.result_json`)
      .run(packetId, canonicalKey(params), Date.now(), result.imagePng ? Buffer.from(result.imagePng) : null, result.result === undefined ? null : JSON.stringify(result.result))
  }

  getDecode(packetId: number, params: Record<string, unknown>): { imagePng: Uint8Array | null; result: unknown; createdAt: string } | undefined {
    const r = this.db.prepare('SELECT image_png, result_json, created_at FROM decodes WHERE packet_id = ? AND params_key = ?').get(packetId, canonicalKey(params)) as
      | { image_png: Buffer | null; result_json: string | null; created_at: number }
      | undefined
    if (!r) return undefined
    return { imagePng: r.image_png, result: r.result_json ? JSON.parse(r.result_json) : null, createdAt: iso(r.created_at)! }
  }

  savePlan(input: unknown, result: unknown, name?: string): number {
    return Number(
      this.db.prepare('INSERT INTO plans (created_at, name, input_json, result_json) VALUES (?, ?, ?, ?)').run(Date.now(), name ?? null, JSON.stringify(input), JSON.stringify(result)).lastInsertRowid
    )
  }

  listPlans(limit = 100): { id: number; createdAt: string; name: string | null; input: unknown; result: unknown }[] {
    return (this.db.prepare('SELECT * FROM plans ORDER BY id DESC LIMIT ?').all(limit) as { id: number; created_at: number; name: string | null; input_json: string; result_json: string }[]).map((r) => ({
      id: r.id, createdAt: iso(r.created_at)!, name: r.name, input: JSON.parse(r.input_json), result: JSON.parse(r.result_json)
    }))
  }

  /**
   * Recomputes everything derived from raw bytes: parsed columns and status (with the current
   * inspector), gaps and per-APID sequence state, and drops the decode cache.
   */
  rebuildDerived(): { packets: number; gaps: number } {
    const db = this.db
    const update = db.prepare(`UPDATE packets SET apid = @apid, sequence_count = @sequence_count, status = @status, crc_ok = @crc_ok, error = @error,
      format_version = @format_version, width = @width, height = @height, channels = @channels, model_id = @model_id, caption = @caption,
      header_json = @header_json WHERE id = @id`)
    let packets = 0
    db.transaction(() => {
      db.exec('DELETE FROM gaps; DELETE FROM apid_state; DELETE FROM decodes;')
      // Re-inspect in bounded chunks (iterate() cannot run while the same connection writes).
      let after = 0
      for (;;) {
        const rows = db.prepare('SELECT id, raw FROM packets WHERE id > ? ORDER BY id LIMIT 1000').all(after) as { id: number; raw: Buffer }[]
        if (rows.length === 0) break
        for (const r of rows) {
          const i = inspectPacket(new Uint8Array(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength), { decode: false })
          update.run({
            id: r.id, apid: i.primary?.apid ?? null, sequence_count: i.primary?.sequenceCount ?? null, status: statusOf(i),
            crc_ok: i.crcOk === undefined ? null : i.crcOk ? 1 : 0, error: i.ok ? null : (i.error ?? 'unknown error'), ...headerColumns(i)
          })
          after = r.id
          packets++
        }
      }
      this.writer.recomputeGaps()
    }).immediate()
    return { packets, gaps: db.prepare('SELECT COUNT(*) FROM gaps').pluck().get() as number }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}

function canonicalKey(params: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1))))
}

/** Opens (creating if needed, unless opts.mustExist) and migrates a packet log. */
export function openPacketLog(file: string, opts: OpenOptions = {}): PacketLog {
  return new PacketLog(file, opts)
}
