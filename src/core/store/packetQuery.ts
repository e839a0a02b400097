// Builds the parameterised SQL for PacketLog.list/count from a PacketQuery (whitelisted columns only).
import { GscError } from '../util/errors'
import { inspectPacket } from './captureSource'
import { PACKET_STATUSES, type PacketQuery, type PacketRecord, type PacketStatus, type PacketSummary } from './types'

export interface PacketRow {
  id: number
  received_at: number
  apid: number | null
  sequence_count: number | null
  octets: number
  status: PacketStatus
  crc_ok: number | null
  error: string | null
  format_version: number | null
  width: number | null
  height: number | null
  channels: number | null
  model_id: number | null
  caption: string | null
  import_id: number | null
  source_offset: number | null
  framed: number
}

export const SUMMARY_COLUMNS =
  'id, received_at, apid, sequence_count, octets, status, crc_ok, error, format_version, width, height, channels, model_id, caption, import_id, source_offset, framed'

/** The columns a query may order by (whitelisted: the SQL never takes a column name from input). */
export const ORDER_COLUMNS: Record<NonNullable<PacketQuery['orderBy']>, string> = {
  id: 'id', receivedAt: 'received_at', apid: 'apid', sequenceCount: 'sequence_count', octets: 'octets', channels: 'channels'
}

export function toMs(v: Date | string | number, what: string): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v)
  if (!Number.isFinite(ms)) throw new GscError(`${what} is not a valid time: ${String(v)}`)
  return ms
}

/**
 * Caption search text as an FTS5 query: its words (letters and digits; case and accents do not matter) in this
 * order, the last one as a prefix, so "red and whi" finds "... red and white ...". null when the text has no word.
 */
export function captionMatch(text: string): string | null {
  const words = text.match(/[\p{L}\p{N}]+/gu)
  return words ? `"${words.join(' ')}"*` : null
}

/** Most matches counted exactly when a caption search is combined with other filters (then the total is "at least"). */
export const SEARCH_COUNT_CAP = 10_000

export function buildPacketQuery(q: PacketQuery, countOnly: boolean): { sql: string; params: Record<string, unknown>; capped?: number } {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (q.afterId !== undefined) (where.push('p.id > @afterId'), (params.afterId = q.afterId))
  if (q.apid !== undefined) (where.push('p.apid = @apid'), (params.apid = q.apid))
  if (q.status !== undefined) {
    if (!PACKET_STATUSES.includes(q.status)) throw new GscError(`unknown packet status '${q.status}'`)
    where.push('p.status = @status')
    params.status = q.status
  }
  if (q.from !== undefined) (where.push('p.received_at >= @from'), (params.from = toMs(q.from, 'from')))
  if (q.to !== undefined) (where.push('p.received_at <= @to'), (params.to = toMs(q.to, 'to')))
  if (q.minC !== undefined) (where.push('p.channels >= @minC'), (params.minC = q.minC))
  if (q.maxC !== undefined) (where.push('p.channels <= @maxC'), (params.maxC = q.maxC))
  const orderKey = q.orderBy ?? 'id'
  const col = ORDER_COLUMNS[orderKey]
  if (!col) throw new GscError(`cannot order packets by '${String(orderKey)}'`)
  const dir = q.desc ? 'DESC' : 'ASC'
  const page = () => {
    params.limit = Math.max(1, Math.min(Math.floor(q.limit ?? 100), 10_000))
    params.offset = Math.max(0, Math.floor(q.offset ?? 0))
    return `LIMIT @limit OFFSET @offset`
  }
  const select = SUMMARY_COLUMNS.split(', ').map((c) => `p.${c}`).join(', ')
  if (q.captionContains) {
    const match = captionMatch(q.captionContains)
    if (match === null) {
      // No word to look up: a plain scan for the text (rare: punctuation only).
      where.push(`p.caption LIKE @caption ESCAPE '\\'`)
      params.caption = `%${q.captionContains.replace(/[\\%_]/g, (c) => '\\' + c)}%`
    } else {
      // Driven by the FTS5 index in packet id order (CROSS JOIN keeps that order): a page reads only its matches.
      params.match = match
      const cond = ['packets_fts MATCH @match', ...where].join(' AND ')
      if (countOnly) {
        if (where.length === 0) return { sql: `SELECT COUNT(*) FROM packets_fts WHERE packets_fts MATCH @match`, params }
        params.cap = SEARCH_COUNT_CAP
        return { sql: `SELECT COUNT(*) FROM (SELECT 1 FROM packets_fts f CROSS JOIN packets p ON p.id = f.rowid WHERE ${cond} LIMIT @cap)`, params, capped: SEARCH_COUNT_CAP }
      }
      const order = orderKey === 'id' ? `f.rowid ${dir}` : `p.${col} ${dir}, p.id ${dir}`
      return { sql: `SELECT ${select} FROM packets_fts f CROSS JOIN packets p ON p.id = f.rowid WHERE ${cond} ORDER BY ${order} ${page()}`, params }
    }
  }
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : ''
  if (countOnly) return { sql: `SELECT COUNT(*) FROM packets p ${cond}`, params }
  return { sql: `SELECT ${select} FROM packets p ${cond} ORDER BY p.${col} ${dir}, p.id ${dir} ${page()}`, params }
}

export function rowToSummary(r: PacketRow): PacketSummary {
  return {
    id: r.id,
    receivedAt: new Date(r.received_at).toISOString(),
    apid: r.apid,
    sequenceCount: r.sequence_count,
    octets: r.octets,
    status: r.status,
    crcOk: r.crc_ok === null ? null : r.crc_ok === 1,
    error: r.error,
    formatVersion: r.format_version,
    width: r.width,
    height: r.height,
    channels: r.channels,
    modelId: r.model_id,
    caption: r.caption,
    importId: r.import_id,
    sourceOffset: r.source_offset,
    framed: r.framed === 1
  }
}

/** A stored packet's row with its bytes, as both back ends read it for one packet's detail. */
export type PacketRecordRow = PacketRow & { raw: Buffer; hash: Buffer; header_json: string | null }

/** The detail of one packet: its summary, bytes, hash and parsed header (read from the bytes when not stored). */
export function rowToRecord(row: PacketRecordRow): PacketRecord {
  return {
    ...rowToSummary(row),
    raw: new Uint8Array(row.raw.buffer, row.raw.byteOffset, row.raw.byteLength),
    sha256: row.hash.toString('hex'),
    header: row.header_json
      ? (JSON.parse(row.header_json) as Record<string, unknown>)
      : ((inspectPacket(row.raw, { decode: false }).header as Record<string, unknown> | undefined) ?? null)
  }
}
