// PacketArchive.list/count on PostgreSQL: the same filters, order and paging as ../packetQuery.ts (whitelisted
// columns, $n parameters). NULLs sort as SQLite sorts them (first ascending, last descending).
import { GscError } from '../../util/errors'
import { captionMatch, ORDER_COLUMNS, SEARCH_COUNT_CAP, SUMMARY_COLUMNS, toMs } from '../packetQuery'
import { PACKET_STATUSES, type PacketQuery } from '../types'

export function buildPacketQueryPg(q: PacketQuery, countOnly: boolean): { sql: string; params: unknown[]; capped?: number } {
  const where: string[] = []
  const params: unknown[] = []
  const param = (v: unknown) => (params.push(v), `$${params.length}`)
  if (q.afterId !== undefined) where.push(`p.id > ${param(q.afterId)}`)
  if (q.apid !== undefined) where.push(`p.apid = ${param(q.apid)}`)
  if (q.status !== undefined) {
    if (!PACKET_STATUSES.includes(q.status)) throw new GscError(`unknown packet status '${q.status}'`)
    where.push(`p.status = ${param(q.status)}`)
  }
  if (q.from !== undefined) where.push(`p.received_at >= ${param(toMs(q.from, 'from'))}`)
  if (q.to !== undefined) where.push(`p.received_at <= ${param(toMs(q.to, 'to'))}`)
  if (q.minC !== undefined) where.push(`p.channels >= ${param(q.minC)}`)
  if (q.maxC !== undefined) where.push(`p.channels <= ${param(q.maxC)}`)
  const orderKey = q.orderBy ?? 'id'
  const col = ORDER_COLUMNS[orderKey]
  if (!col) throw new GscError(`cannot order packets by '${String(orderKey)}'`)
  const dir = q.desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'
  let capped: number | undefined
  if (q.captionContains) {
    // captionMatch decides, as for SQLite, whether the text has a word at all; the database folds and matches it.
    if (captionMatch(q.captionContains) === null) where.push(`p.caption LIKE ${param(`%${q.captionContains.replace(/[\\%_]/g, (c) => '\\' + c)}%`)} ESCAPE '\\'`)
    else {
      where.push(`p.caption_words @@ gsc_caption_query(${param(q.captionContains)})`)
      if (countOnly && where.length > 1) capped = SEARCH_COUNT_CAP
    }
  }
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : ''
  if (countOnly) {
    if (capped !== undefined) return { sql: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM packets p ${cond} LIMIT ${param(capped)}) m`, params, capped }
    return { sql: `SELECT COUNT(*) AS n FROM packets p ${cond}`, params }
  }
  const limit = Math.max(1, Math.min(Math.floor(q.limit ?? 100), 10_000))
  const offset = Math.max(0, Math.floor(q.offset ?? 0))
  const select = SUMMARY_COLUMNS.split(', ').map((c) => `p.${c}`).join(', ')
  const order = orderKey === 'id' ? `p.id ${dir}` : `p.${col} ${dir}, p.id ${q.desc ? 'DESC' : 'ASC'}`
  return { sql: `SELECT ${select} FROM packets p ${cond} ORDER BY ${order} LIMIT ${param(limit)} OFFSET ${param(offset)}`, params }
}
