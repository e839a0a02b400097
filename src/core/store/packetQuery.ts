// Builds the parameterised SQL for PacketLog.list/count from a PacketQuery (whitelisted columns only).
import { GscError } from '../util/errors'
import type { PacketQuery, PacketStatus, PacketSummary } from './types'

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
}

const SUMMARY_COLUMNS =
  'id, received_at, apid, sequence_count, octets, status, crc_ok, error, format_version, width, height, channels, model_id, caption, import_id, source_offset'

const ORDER_COLUMNS: Record<NonNullable<PacketQuery['orderBy']>, string> = {
  id: 'id', receivedAt: 'received_at', apid: 'apid', sequenceCount: 'sequence_count', octets: 'octets', channels: 'channels'
}

function toMs(v: Date | string | number, what: string): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v)
  if (!Number.isFinite(ms)) throw new GscError(`${what} is not a valid time: ${String(v)}`)
  return ms
}

export function buildPacketQuery(q: PacketQuery, countOnly: boolean): { sql: string; params: Record<string, unknown> } {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (q.afterId !== undefined) (where.push('id > @afterId'), (params.afterId = q.afterId))
  if (q.apid !== undefined) (where.push('apid = @apid'), (params.apid = q.apid))
  if (q.status !== undefined) {
    if (!['ok', 'crc_failed', 'malformed'].includes(q.status)) throw new GscError(`unknown packet status '${q.status}'`)
    where.push('status = @status')
    params.status = q.status
  }
  if (q.from !== undefined) (where.push('received_at >= @from'), (params.from = toMs(q.from, 'from')))
  if (q.to !== undefined) (where.push('received_at <= @to'), (params.to = toMs(q.to, 'to')))
  if (q.captionContains) {
    where.push(`caption LIKE @caption ESCAPE '\\'`)
    params.caption = `%${q.captionContains.replace(/[\\%_]/g, (c) => '\\' + c)}%`
  }
  if (q.minC !== undefined) (where.push('channels >= @minC'), (params.minC = q.minC))
  if (q.maxC !== undefined) (where.push('channels <= @maxC'), (params.maxC = q.maxC))
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : ''
  if (countOnly) return { sql: `SELECT COUNT(*) FROM packets ${cond}`, params }
  const orderKey = q.orderBy ?? 'id'
  const col = ORDER_COLUMNS[orderKey]
  if (!col) throw new GscError(`cannot order packets by '${String(orderKey)}'`)
  params.limit = Math.max(1, Math.min(Math.floor(q.limit ?? 100), 10_000))
  params.offset = Math.max(0, Math.floor(q.offset ?? 0))
  const dir = q.desc ? 'DESC' : 'ASC'
  return { sql: `SELECT ${SUMMARY_COLUMNS} FROM packets ${cond} ORDER BY ${col} ${dir}, id ${dir} LIMIT @limit OFFSET @offset`, params }
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
    sourceOffset: r.source_offset
  }
}
