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
import { canonicalKey } from './decodeKey'
import type Database from 'better-sqlite3'
import { GscError } from '../util/errors'
import { peekCaption } from './captionPeek'
import { inspectPacket } from './captureSource'
import { exportCaptureFrom } from './exportCapture'
import { importCaptureInto } from './importCapture'
import { SCHEMA_VERSION } from './migrations'
import { openDatabase, type OpenOptions } from './openDatabase'
import { PacketWriter, classify, headerColumns, readImageApids } from './packetWriter'
import { SUMMARY_COLUMNS, buildPacketQuery, rowToRecord, rowToSummary, type PacketRecordRow, type PacketRow } from './packetQuery'
import { IDLE_APID, MAX_APID } from '../bitstream/ccsds'
import { rebuildRollups, timelineAggregate, type TimelineAggregate, type TimelineQuery } from './timeline'
import {
  PACKET_STATUSES, type EventSeverity, type ExportFilter, type ExportSummary, type Gap, type ImageApids, type ImportOptions, type ImportSummary,
  type IngestResult, type LogEvent, type LogStats, type PacketQuery, type PacketRecord, type PacketStatus, type PacketSummary
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

  /**
   * Stores one received packet (live reception). Duplicates are counted, not stored again. `framed`: whether a
   * capture reader framed the bytes as one CCSDS packet (default: whether their primary header says so).
   */
  ingest(bytes: Uint8Array, receivedAt: Date = new Date(), framed?: boolean): IngestResult {
    const inspection = inspectPacket(bytes, { decode: false })
    const r = this.writer.write([{ bytes, inspection, receivedAt: receivedAt.getTime(), framed }])
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
    // Served by the partial index packets_caption_todo: nothing to read when every caption is filled.
    const page = this.db.prepare(`SELECT id, raw FROM packets INDEXED BY packets_caption_todo WHERE caption IS NULL AND status = 'ok' AND id > ? ORDER BY id LIMIT 2000`)
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
      if (rows.length < 2000) break
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
    return this.countMatches(query).total
  }

  /**
   * How many packets match. Exact, except for a caption search combined with other filters: counted up to
   * SEARCH_COUNT_CAP (10,000) matches, and `atLeast` is then true, so the answer stays fast in a log of millions.
   */
  countMatches(query: PacketQuery = {}): { total: number; atLeast: boolean } {
    if (query.captionContains) this.fillCaptions()
    const { sql, params, capped } = buildPacketQuery(query, true)
    const total = this.db.prepare(sql).pluck().get(params) as number
    return { total, atLeast: capped !== undefined && total >= capped }
  }

  get(id: number): PacketRecord | undefined {
    const row = this.db.prepare('SELECT * FROM packets WHERE id = ?').get(id) as PacketRecordRow | undefined
    if (!row) return undefined
    if (row.caption === null && row.status === 'ok') row.caption = this.fillCaption(id)
    return rowToRecord(row)
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
    const byStatus = Object.fromEntries(PACKET_STATUSES.map((k) => [k, 0])) as Record<PacketStatus, number>
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
      db.prepare(`SELECT apid, COUNT(*) AS packets, SUM(octets) AS bytes, SUM(status = 'crc_failed') AS crcFailed, SUM(status = 'ok') AS images,
        SUM(status = 'foreign') AS "foreign", SUM(status = 'idle') AS idle,
        MIN(received_at) AS first, MAX(received_at) AS last FROM packets WHERE apid IS NOT NULL GROUP BY apid ORDER BY apid`).all() as {
        apid: number; packets: number; bytes: number; crcFailed: number; images: number; foreign: number; idle: number; first: number; last: number
      }[]
    ).map((r) => ({
      apid: r.apid, packets: r.packets, bytes: r.bytes, crcFailed: r.crcFailed, images: r.images, foreign: r.foreign, idle: r.idle,
      gaps: gapsByApid.get(r.apid)?.n ?? 0, missing: gapsByApid.get(r.apid)?.missing ?? 0,
      firstReceivedAt: iso(r.first), lastReceivedAt: iso(r.last)
    }))
    return {
      packets: t.n, byStatus,
      duplicates: db.prepare('SELECT COUNT(*) FROM duplicates').pluck().get() as number,
      gaps: g.n, missing: g.missing, bytes: t.bytes, firstReceivedAt: iso(t.first), lastReceivedAt: iso(t.last), perApid,
      imports: db.prepare('SELECT COUNT(*) FROM imports').pluck().get() as number,
      events: db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number,
      imageApids: this.imageApids(),
      schemaVersion: SCHEMA_VERSION
    }
  }

  /** Which APIDs carry GSC images (a station setting kept in the log, so every front door classifies alike). */
  imageApids(): ImageApids {
    return readImageApids(this.db)
  }

  /**
   * Changes the image-APID setting and re-derives every packet's status with it (a packet of an APID no longer
   * listed becomes foreign; one newly listed is checked as GSC), then gaps and the timeline roll-ups.
   */
  setImageApids(v: ImageApids): { packets: number; gaps: number } {
    if (v !== 'auto') {
      if (!Array.isArray(v) || v.length === 0) throw new GscError(`image APIDs: give 'auto' or a list of APIDs`)
      for (const a of v)
        if (!Number.isInteger(a) || a < 0 || a >= IDLE_APID) throw new GscError(`image APID must be 0..${MAX_APID - 1} (${IDLE_APID} is the idle APID), got ${a}`)
    }
    const value = v === 'auto' ? 'auto' : [...new Set(v)].sort((a, b) => a - b)
    this.db.prepare(`INSERT INTO station_settings (key, value) VALUES ('image_apids', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(JSON.stringify(value))
    return this.rebuildDerived()
  }

  /** Timeline buckets at the zoom that fits the range; see timeline.ts. */
  timeline(q: TimelineQuery): TimelineAggregate {
    return timelineAggregate(this.db, q)
  }

  /**
   * The packets of a range on a timeline axis, in arrival order, at most `limit` (null when there are more: the
   * caller shows buckets instead). Ids are bounded through the roll-ups, so this reads no packet outside the range.
   */
  packetsInRange(q: { axis: 'time' | 'order'; from: number; to: number; apid?: number; limit: number }, agg?: TimelineAggregate): PacketSummary[] | null {
    const a = agg ?? this.timeline({ axis: q.axis, from: q.from, to: q.to, buckets: 1, apid: q.apid })
    if (a.total > q.limit) return null
    if (a.buckets.length === 0) return []
    const lo = Math.min(...a.buckets.map((b) => b.firstId))
    const hi = Math.max(...a.buckets.map((b) => b.lastId))
    const params: Record<string, unknown> = { lo: q.axis === 'order' ? Math.max(lo, Math.ceil(q.from)) : lo, hi: q.axis === 'order' ? Math.min(hi, Math.floor(q.to)) : hi, limit: q.limit + 1 }
    const where = ['id BETWEEN @lo AND @hi']
    if (q.axis === 'time') (where.push('received_at BETWEEN @from AND @to'), (params.from = q.from), (params.to = q.to))
    if (q.apid !== undefined) (where.push('apid = @apid'), (params.apid = q.apid))
    const rows = this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM packets WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`).all(params) as PacketRow[]
    if (rows.length > q.limit) return null
    return rows.map(rowToSummary)
  }

  /** Gaps whose later packet lies in [fromId, toId] (optionally of one APID), with the receive times of both sides. */
  gapsInRange(q: { fromId?: number; toId?: number; apid?: number; limit?: number } = {}): { gaps: (Gap & { afterAt: string | null; beforeAt: string | null })[]; total: number } {
    const where: string[] = []
    const params: Record<string, unknown> = { limit: Math.max(1, Math.min(q.limit ?? 500, 10_000)) }
    if (q.fromId !== undefined) (where.push('g.before_packet_id >= @fromId'), (params.fromId = q.fromId))
    if (q.toId !== undefined) (where.push('g.before_packet_id <= @toId'), (params.toId = q.toId))
    if (q.apid !== undefined) (where.push('g.apid = @apid'), (params.apid = q.apid))
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : ''
    const total = this.db.prepare(`SELECT COUNT(*) FROM gaps g ${cond}`).pluck().get(params) as number
    const rows = this.db
      .prepare(`SELECT g.*, pa.received_at AS after_at, pb.received_at AS before_at FROM gaps g
        LEFT JOIN packets pa ON pa.id = g.after_packet_id LEFT JOIN packets pb ON pb.id = g.before_packet_id
        ${cond} ORDER BY g.before_packet_id DESC, g.id DESC LIMIT @limit`)
      .all(params) as {
      id: number; apid: number; after_sequence: number; before_sequence: number; missing: number
      after_packet_id: number | null; before_packet_id: number | null; detected_at: number; after_at: number | null; before_at: number | null
    }[]
    return {
      total,
      gaps: rows.reverse().map((r) => ({
        id: r.id, apid: r.apid, afterSequence: r.after_sequence, beforeSequence: r.before_sequence, missing: r.missing,
        afterPacketId: r.after_packet_id, beforePacketId: r.before_packet_id, detectedAt: iso(r.detected_at)!,
        afterAt: iso(r.after_at), beforeAt: iso(r.before_at)
      }))
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
   * Recomputes everything derived from raw bytes: parsed columns and status (with the current inspector and the
   * image-APID setting), gaps and per-APID sequence state, the timeline roll-ups, and drops the decode cache.
   * Whether bytes were framed as a packet is kept: it is how they were received, not derived from them alone.
   */
  rebuildDerived(): { packets: number; gaps: number } {
    const db = this.db
    const update = db.prepare(`UPDATE packets SET apid = @apid, sequence_count = @sequence_count, status = @status, crc_ok = @crc_ok, error = @error,
      format_version = @format_version, width = @width, height = @height, channels = @channels, model_id = @model_id,
      caption = CASE WHEN @status = 'ok' AND status = 'ok' THEN caption ELSE @caption END,
      header_json = @header_json WHERE id = @id`)
    const page = db.prepare('SELECT id, raw, framed FROM packets WHERE id > ? ORDER BY id LIMIT 1000')
    const each = (fn: (id: number, i: ReturnType<typeof inspectPacket>, framed: boolean) => void) => {
      // Bounded chunks (iterate() cannot run while the same connection writes).
      let after = 0
      for (;;) {
        const rows = page.all(after) as { id: number; raw: Buffer; framed: number }[]
        if (rows.length === 0) break
        for (const r of rows) {
          fn(r.id, inspectPacket(new Uint8Array(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength), { decode: false }), r.framed === 1)
          after = r.id
        }
      }
    }
    let packets = 0
    db.transaction(() => {
      db.exec('DELETE FROM gaps; DELETE FROM apid_state; DELETE FROM decodes;')
      const setting = readImageApids(db)
      // First the APIDs that carry a packet passing the GSC CRC ('auto' image APIDs), then every status.
      const images = new Set<number>()
      each((_, i, framed) => {
        if (framed && i.crcOk === true && i.primary && i.primary.apid !== IDLE_APID) images.add(i.primary.apid)
      })
      each((id, i, framed) => {
        const status = classify(i, framed, setting, (a) => images.has(a))
        const gsc = status === 'ok' || status === 'crc_failed' || status === 'malformed'
        update.run({
          id, apid: i.primary?.apid ?? null, sequence_count: i.primary?.sequenceCount ?? null, status,
          crc_ok: gsc && i.crcOk !== undefined ? (i.crcOk ? 1 : 0) : null, error: gsc && !i.ok ? (i.error ?? 'unknown error') : null,
          ...headerColumns(i, status)
        })
        packets++
      })
      this.writer.recomputeGaps(images)
      rebuildRollups(db)
    }).immediate()
    return { packets, gaps: db.prepare('SELECT COUNT(*) FROM gaps').pluck().get() as number }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}

/** Opens (creating if needed, unless opts.mustExist) and migrates a packet log. */
export function openPacketLog(file: string, opts: OpenOptions = {}): PacketLog {
  return new PacketLog(file, opts)
}
