// The packet archive in a shared PostgreSQL database: the SQLite log's schema and semantics (see ../packetLog.ts for
// the rules an operator should know), for a station whose workstations and `gsc serve` instances share one archive.
// Writes from every instance go through one advisory lock per transaction; each committed write NOTIFYs the others.
import type pg from 'pg'
import { IDLE_APID, MAX_APID } from '../../bitstream/ccsds'
import { GscError } from '../../util/errors'
import type { ArchiveChange, OpenArchiveOptions, PacketArchive, SubscribeOptions } from '../archiveTypes'
import { peekCaption } from '../captionPeek'
import { inspectPacket } from '../captureSource'
import { importCaptureWith, type ImportTarget } from '../importCapture'
import { rowToRecord, rowToSummary, SUMMARY_COLUMNS, type PacketRecordRow, type PacketRow } from '../packetQuery'
import {
  ALL_APIDS, binWidth, TIMELINE_ROWS_SQL, timelineFromRows, timelinePlan, type TimelineAggregate, type TimelineAxis, type TimelineQuery,
  type TimelineRow
} from '../timeline'
import {
  PACKET_STATUSES, type EventSeverity, type ExportFilter, type Gap, type ImageApids, type ImportOptions, type LogEvent, type LogStats, type PacketQuery,
  type PacketRecord, type PacketStatus, type PacketSummary
} from '../types'
import { connectionReason, poolFor, redactUrl, serverName, withConnectRetries } from './connection'
import { migratePostgres, PG_SCHEMA_VERSION, WRITE_LOCK } from './migrations'
import { listenForChanges } from './pgLiveFeed'
import { rebuildDerivedPg } from './pgRebuild'
import { canonicalKey } from '../decodeKey'
import { dollars, gapOf, iso, type GapRow } from './pgRows'
import { exportCapturePg } from './pgExport'
import { buildPacketQueryPg } from './pgPacketQuery'
import { readImageApidsPg, writeBatchPg } from './pgWriter'

export class PostgresArchive implements PacketArchive {
  readonly kind = 'postgres' as const
  readonly location: string
  private readonly subscriptions = new Set<() => Promise<void>>()
  private closed = false

  constructor(
    private readonly url: string,
    readonly pool: pg.Pool,
    readonly schemaVersion: number
  ) {
    this.location = redactUrl(url)
  }

  /** A failure while using the archive, named by server. */
  private fail(e: unknown): never {
    if (e instanceof GscError) throw e
    throw new GscError(`PostgreSQL archive at ${serverName(this.url)}: ${connectionReason(e)}`, 'EIO')
  }

  async query<R = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query(text, values)).rows as R[]
    } catch (e) {
      this.fail(e)
    }
  }

  /** Runs fn in one transaction on one pooled connection. */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let c: pg.PoolClient
    try {
      c = await this.pool.connect()
    } catch (e) {
      this.fail(e)
    }
    try {
      await c.query('BEGIN')
      const r = await fn(c)
      await c.query('COMMIT')
      return r
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined)
      this.fail(e)
    } finally {
      c.release()
    }
  }

  private importTarget(): ImportTarget {
    return {
      findImport: async (path, headHash) =>
        (await this.query<{ id: number; committed_offset: number; status: string; source_size: number }>(
          `SELECT id, committed_offset, status, source_size FROM imports WHERE kind = 'import' AND source_path = $1 AND head_hash = $2 ORDER BY id DESC LIMIT 1`,
          [path, headHash]
        ))[0],
      createImport: (kind, id) =>
        this.tx(async (c) => {
          await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
          const now = Date.now()
          const r = await c.query(
            `INSERT INTO imports (id, kind, source_path, source_size, source_mtime_ms, head_hash, committed_offset, status, started_at, updated_at)
              SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, 0, 'running', $6, $6 FROM imports RETURNING id`,
            [kind, id.path, id.size, id.mtimeMs, id.headHash, now]
          )
          return r.rows[0].id as number
        }),
      resumeImport: async (importId, id) => {
        await this.query(`UPDATE imports SET status = 'running', source_size = $1, source_mtime_ms = $2, updated_at = $3 WHERE id = $4`, [id.size, id.mtimeMs, Date.now(), importId])
      },
      setImportStatus: async (importId, status) => {
        await this.query(`UPDATE imports SET status = $1, updated_at = $2 WHERE id = $3`, [status, Date.now(), importId])
      },
      write: (batch, cp) => this.tx((c) => writeBatchPg(c, batch, cp))
    }
  }

  importCapture(path: string, opts: ImportOptions = {}) {
    return importCaptureWith(this.importTarget(), path, opts)
  }

  async ingest(bytes: Uint8Array, receivedAt: Date = new Date(), framed?: boolean) {
    const inspection = inspectPacket(bytes, { decode: false })
    const r = await this.tx((c) => writeBatchPg(c, [{ bytes, inspection, receivedAt: receivedAt.getTime(), framed }]))
    return { id: r.ids[0], duplicate: r.duplicateFlags[0], status: r.statuses[0], newGaps: r.newGaps }
  }

  async list(query: PacketQuery = {}): Promise<PacketSummary[]> {
    if (query.captionContains) await this.fillCaptions()
    const { sql, params } = buildPacketQueryPg(query, false)
    const rows = await this.query<PacketRow>(sql, params)
    for (const r of rows) if (r.caption === null && r.status === 'ok') r.caption = await this.fillCaption(r.id)
    return rows.map(rowToSummary)
  }

  async fillCaptions(limit = Number.POSITIVE_INFINITY): Promise<number> {
    let after = 0
    let filled = 0
    while (filled < limit) {
      const rows = await this.query<{ id: number; raw: Buffer }>(
        `SELECT id, raw FROM packets WHERE caption IS NULL AND status = 'ok' AND id > $1 ORDER BY id LIMIT 2000`,
        [after]
      )
      if (rows.length === 0) break
      const ids: number[] = []
      const caps: string[] = []
      for (const r of rows) {
        after = r.id
        const c = peekCaption(r.raw)
        if (c !== null) (ids.push(r.id), caps.push(c), filled++)
      }
      if (ids.length > 0)
        await this.query(
          `UPDATE packets p SET caption = v.c FROM unnest($1::bigint[], $2::text[]) AS v(id, c) WHERE p.id = v.id`,
          [ids, caps]
        )
      if (rows.length < 2000) break
    }
    return filled
  }

  private async fillCaption(id: number): Promise<string | null> {
    const row = (await this.query<{ raw: Buffer }>('SELECT raw FROM packets WHERE id = $1', [id]))[0]
    const c = row ? peekCaption(row.raw) : null
    if (c !== null) await this.query('UPDATE packets SET caption = $1 WHERE id = $2 AND caption IS NULL', [c, id])
    return c
  }

  async count(query: PacketQuery = {}) {
    return (await this.countMatches(query)).total
  }

  async countMatches(query: PacketQuery = {}) {
    if (query.captionContains) await this.fillCaptions()
    const { sql, params, capped } = buildPacketQueryPg(query, true)
    const total = (await this.query<{ n: number }>(sql, params))[0].n
    return { total, atLeast: capped !== undefined && total >= capped }
  }

  async get(id: number): Promise<PacketRecord | undefined> {
    const row = (await this.query<PacketRecordRow>(
      `SELECT ${SUMMARY_COLUMNS}, raw, hash, header_json FROM packets WHERE id = $1`,
      [id]
    ))[0]
    if (!row) return undefined
    if (row.caption === null && row.status === 'ok') row.caption = await this.fillCaption(id)
    return rowToRecord(row)
  }

  async gaps(apid?: number): Promise<Gap[]> {
    const rows = await this.query<GapRow>(`SELECT * FROM gaps ${apid === undefined ? '' : 'WHERE apid = $1'} ORDER BY apid, id`, apid === undefined ? [] : [apid])
    return rows.map(gapOf)
  }

  async stats(): Promise<LogStats> {
    const byStatus = Object.fromEntries(PACKET_STATUSES.map((k) => [k, 0])) as Record<PacketStatus, number>
    for (const r of await this.query<{ status: PacketStatus; n: number }>('SELECT status, COUNT(*) AS n FROM packets GROUP BY status')) byStatus[r.status] = r.n
    const t = (await this.query<{ n: number; bytes: number; first: number | null; last: number | null }>(
      'SELECT COUNT(*) AS n, COALESCE(SUM(octets), 0) AS bytes, MIN(received_at) AS first, MAX(received_at) AS last FROM packets'
    ))[0]
    const g = (await this.query<{ n: number; missing: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(missing), 0) AS missing FROM gaps'))[0]
    const gapsByApid = new Map<number, { n: number; missing: number }>()
    for (const r of await this.query<{ apid: number; n: number; missing: number }>('SELECT apid, COUNT(*) AS n, SUM(missing) AS missing FROM gaps GROUP BY apid'))
      gapsByApid.set(r.apid, r)
    const perApid = (
      await this.query<{ apid: number; packets: number; bytes: number; crcfailed: number; images: number; foreign: number; idle: number; first: number; last: number }>(
        `SELECT apid, COUNT(*) AS packets, SUM(octets) AS bytes, COUNT(*) FILTER (WHERE status = 'crc_failed') AS crcfailed,
          COUNT(*) FILTER (WHERE status = 'ok') AS images, COUNT(*) FILTER (WHERE status = 'foreign') AS "foreign",
          COUNT(*) FILTER (WHERE status = 'idle') AS idle, MIN(received_at) AS first, MAX(received_at) AS last
        FROM packets WHERE apid IS NOT NULL GROUP BY apid ORDER BY apid`
      )
    ).map((r) => ({
      apid: r.apid, packets: r.packets, bytes: r.bytes, crcFailed: r.crcfailed, images: r.images, foreign: r.foreign, idle: r.idle,
      gaps: gapsByApid.get(r.apid)?.n ?? 0, missing: gapsByApid.get(r.apid)?.missing ?? 0,
      firstReceivedAt: iso(r.first), lastReceivedAt: iso(r.last)
    }))
    const counts = (await this.query<{ duplicates: number; imports: number; events: number }>(
      'SELECT (SELECT COUNT(*) FROM duplicates) AS duplicates, (SELECT COUNT(*) FROM imports) AS imports, (SELECT COUNT(*) FROM events) AS events'
    ))[0]
    return {
      packets: t.n, byStatus, duplicates: counts.duplicates,
      gaps: g.n, missing: g.missing, bytes: t.bytes, firstReceivedAt: iso(t.first), lastReceivedAt: iso(t.last), perApid,
      imports: counts.imports, events: counts.events,
      imageApids: await this.imageApids(),
      schemaVersion: PG_SCHEMA_VERSION
    }
  }

  async imageApids(): Promise<ImageApids> {
    try {
      return await readImageApidsPg(this.pool)
    } catch (e) {
      this.fail(e)
    }
  }

  async setImageApids(v: ImageApids) {
    if (v !== 'auto') {
      if (!Array.isArray(v) || v.length === 0) throw new GscError(`image APIDs: give 'auto' or a list of APIDs`)
      for (const a of v)
        if (!Number.isInteger(a) || a < 0 || a >= IDLE_APID) throw new GscError(`image APID must be 0..${MAX_APID - 1} (${IDLE_APID} is the idle APID), got ${a}`)
    }
    const value = v === 'auto' ? 'auto' : [...new Set(v)].sort((a, b) => a - b)
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
      await c.query(`INSERT INTO station_settings (key, value) VALUES ('image_apids', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [JSON.stringify(value)])
      return rebuildDerivedPg(c)
    })
  }

  private async extent(axis: TimelineAxis, apid?: number): Promise<[number, number] | null> {
    if (apid === undefined) {
      const col = axis === 'time' ? 'received_at' : 'id'
      const r = (await this.query<{ lo: number | null; hi: number | null }>(`SELECT MIN(${col}) AS lo, MAX(${col}) AS hi FROM packets`))[0]
      return r.lo === null || r.hi === null ? null : [r.lo, r.hi]
    }
    const lv = axis === 'time' ? 0 : 10
    const end = async (dir: 'ASC' | 'DESC') =>
      (await this.query<{ bin: number; first_id: number; last_id: number }>(
        `SELECT bin, first_id, last_id FROM timeline_rollup WHERE level = $1 AND apid = $2 ORDER BY level ${dir}, apid ${dir}, bin ${dir} LIMIT 1`,
        [lv, apid]
      ))[0]
    const lo = await end('ASC')
    const hi = await end('DESC')
    if (!lo || !hi) return null
    if (axis === 'order') return [lo.first_id, hi.last_id]
    return [lo.bin * binWidth(0), (hi.bin + 1) * binWidth(0) - 1]
  }

  async timeline(q: TimelineQuery): Promise<TimelineAggregate> {
    const open = q.from === undefined || q.to === undefined
    const apidOk = q.apid === undefined || (Number.isInteger(q.apid) && q.apid >= ALL_APIDS && q.apid <= 2047)
    const ext = open && apidOk ? await this.extent(q.axis ?? 'time', q.apid) : null
    const plan = timelinePlan(q, () => ext)
    if (!('k' in plan)) return plan
    const rows = (await this.pool.query({ text: dollars(TIMELINE_ROWS_SQL), values: [plan.level, plan.apid, plan.binFrom, plan.binTo], rowMode: 'array' }).catch((e) => this.fail(e)))
      .rows as TimelineRow[]
    return timelineFromRows(plan, rows)
  }

  async packetsInRange(q: { axis: 'time' | 'order'; from: number; to: number; apid?: number; limit: number }, agg?: TimelineAggregate): Promise<PacketSummary[] | null> {
    const a = agg ?? (await this.timeline({ axis: q.axis, from: q.from, to: q.to, buckets: 1, apid: q.apid }))
    if (a.total > q.limit) return null
    if (a.buckets.length === 0) return []
    const lo = Math.min(...a.buckets.map((b) => b.firstId))
    const hi = Math.max(...a.buckets.map((b) => b.lastId))
    const params: unknown[] = [q.axis === 'order' ? Math.max(lo, Math.ceil(q.from)) : lo, q.axis === 'order' ? Math.min(hi, Math.floor(q.to)) : hi]
    const where = ['id BETWEEN $1 AND $2']
    if (q.axis === 'time') (params.push(q.from, q.to), where.push(`received_at BETWEEN $${params.length - 1} AND $${params.length}`))
    if (q.apid !== undefined) (params.push(q.apid), where.push(`apid = $${params.length}`))
    params.push(q.limit + 1)
    const rows = await this.query<PacketRow>(`SELECT ${SUMMARY_COLUMNS} FROM packets WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${params.length}`, params)
    if (rows.length > q.limit) return null
    return rows.map(rowToSummary)
  }

  async gapsInRange(q: { fromId?: number; toId?: number; apid?: number; limit?: number } = {}) {
    const where: string[] = []
    const params: unknown[] = []
    if (q.fromId !== undefined) (params.push(q.fromId), where.push(`g.before_packet_id >= $${params.length}`))
    if (q.toId !== undefined) (params.push(q.toId), where.push(`g.before_packet_id <= $${params.length}`))
    if (q.apid !== undefined) (params.push(q.apid), where.push(`g.apid = $${params.length}`))
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : ''
    const total = (await this.query<{ n: number }>(`SELECT COUNT(*) AS n FROM gaps g ${cond}`, params))[0].n
    const rows = await this.query<GapRow & { after_at: number | null; before_at: number | null }>(
      `SELECT g.*, pa.received_at AS after_at, pb.received_at AS before_at FROM gaps g
        LEFT JOIN packets pa ON pa.id = g.after_packet_id LEFT JOIN packets pb ON pb.id = g.before_packet_id
        ${cond} ORDER BY g.before_packet_id DESC NULLS LAST, g.id DESC LIMIT $${params.length + 1}`,
      [...params, Math.max(1, Math.min(q.limit ?? 500, 10_000))]
    )
    return { total, gaps: rows.reverse().map((r) => ({ ...gapOf(r), afterAt: iso(r.after_at), beforeAt: iso(r.before_at) })) }
  }

  async exportCapture(outPath: string, filter: ExportFilter = {}) {
    try {
      return await exportCapturePg(this.pool, outPath, filter)
    } catch (e) {
      this.fail(e)
    }
  }

  async addEvent(e: { severity: EventSeverity; source: string; message: string; packetId?: number; data?: unknown; time?: Date }): Promise<number> {
    if (!e.message) throw new GscError('an event needs a message')
    const r = await this.query<{ id: number }>('INSERT INTO events (time, severity, source, message, packet_id, data_json) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id', [
      (e.time ?? new Date()).getTime(), e.severity, e.source, e.message, e.packetId ?? null, e.data === undefined ? null : JSON.stringify(e.data)
    ])
    return r[0].id
  }

  async listEvents(q: { limit?: number; afterId?: number; severity?: EventSeverity; source?: string } = {}): Promise<LogEvent[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (q.afterId !== undefined) (params.push(q.afterId), where.push(`id > $${params.length}`))
    if (q.severity) (params.push(q.severity), where.push(`severity = $${params.length}`))
    if (q.source) (params.push(q.source), where.push(`source = $${params.length}`))
    params.push(Math.max(1, Math.min(q.limit ?? 200, 10_000)))
    const rows = await this.query<{ id: number; time: number; severity: EventSeverity; source: string; message: string; packet_id: number | null; data_json: string | null }>(
      `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params
    )
    return rows.map((r) => ({
      id: r.id, time: iso(r.time)!, severity: r.severity, source: r.source, message: r.message, packetId: r.packet_id,
      data: r.data_json ? JSON.parse(r.data_json) : null
    }))
  }

  async putDecode(packetId: number, params: Record<string, unknown>, result: { imagePng?: Uint8Array; result?: unknown }): Promise<void> {
    await this.query(
      `INSERT INTO decodes (packet_id, params_key, created_at, image_png, result_json) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (packet_id, params_key) DO UPDATE SET created_at = excluded.created_at, image_png = excluded.image_png, result_json = excluded.result_json`,
      [packetId, canonicalKey(params), Date.now(), result.imagePng ? Buffer.from(result.imagePng) : null, result.result === undefined ? null : JSON.stringify(result.result)]
    )
  }

  async getDecode(packetId: number, params: Record<string, unknown>) {
    const r = (await this.query<{ image_png: Buffer | null; result_json: string | null; created_at: number }>(
      'SELECT image_png, result_json, created_at FROM decodes WHERE packet_id = $1 AND params_key = $2',
      [packetId, canonicalKey(params)]
    ))[0]
    if (!r) return undefined
    return { imagePng: r.image_png, result: r.result_json ? JSON.parse(r.result_json) : null, createdAt: iso(r.created_at)! }
  }

  async savePlan(input: unknown, result: unknown, name?: string): Promise<number> {
    return (await this.query<{ id: number }>('INSERT INTO plans (created_at, name, input_json, result_json) VALUES ($1, $2, $3, $4) RETURNING id', [
      Date.now(), name ?? null, JSON.stringify(input), JSON.stringify(result)
    ]))[0].id
  }

  async listPlans(limit = 100) {
    return (await this.query<{ id: number; created_at: number; name: string | null; input_json: string; result_json: string }>('SELECT * FROM plans ORDER BY id DESC LIMIT $1', [limit])).map(
      (r) => ({ id: r.id, createdAt: iso(r.created_at)!, name: r.name, input: JSON.parse(r.input_json), result: JSON.parse(r.result_json) })
    )
  }

  rebuildDerived() {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
      return rebuildDerivedPg(c)
    })
  }

  /** Live notification of writes by any instance (pgLiveFeed.ts); close() stops every subscription. */
  async subscribe(callback: (change: ArchiveChange) => void, opts: SubscribeOptions = {}): Promise<() => Promise<void>> {
    const end = await listenForChanges(this.url, callback, opts)
    const stop = async () => {
      this.subscriptions.delete(stop)
      await end()
    }
    this.subscriptions.add(stop)
    return stop
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const stop of [...this.subscriptions]) await stop()
    await this.pool.end()
  }
}
