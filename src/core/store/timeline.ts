// Timeline roll-ups: the packet log counted per bin of receive time and of arrival order (packet id),
// at several zoom levels, per APID and status, so the timeline of a log of millions of packets is
// drawn from at most a few thousand pre-counted rows instead of the packets themselves.
//
// Levels: receive time 0..6 (bins of 1 s x 16^level, aligned to the epoch), arrival order 10..13
// (bins of 256 x 16^(level-10) packet ids). apid -1 = bytes with no APID (unframed), -2 = all APIDs.
// A query picks the coarsest level that still has a quarter of the buckets asked for in the range, and a bucket is
// a whole number of bins, so every bucket's counts are exact for its [start, end).
import type Database from 'better-sqlite3'
import { GscError } from '../util/errors'
import type { PacketStatus } from './types'

export type TimelineAxis = 'time' | 'order'

export const TIME_LEVELS = [0, 1, 2, 3, 4, 5, 6]
export const ORDER_LEVELS = [10, 11, 12, 13]
export const NO_APID = -1
export const ALL_APIDS = -2

/** Width of one bin of a level: milliseconds (time levels) or packet ids (order levels). */
export function binWidth(level: number): number {
  return level >= 10 ? 256 * 16 ** (level - 10) : 1000 * 16 ** level
}

interface Agg {
  level: number
  bin: number
  apid: number
  status: string
  packets: number
  octets: number
  maxOctets: number
  cN: number
  cSum: number
  cMin: number | null
  cMax: number | null
  firstId: number
  lastId: number
}

const TIME_BIN = binWidth(TIME_LEVELS[0])
const ORDER_BIN = binWidth(ORDER_LEVELS[0])

type Packet = { id: number; receivedAt: number; apid: number | null; status: PacketStatus; octets: number; channels: number | null }

const STATUS_SLOT: Record<PacketStatus, number> = { ok: 0, crc_failed: 1, malformed: 2, foreign: 3, idle: 4 }

function newAgg(level: number, bin: number, apid: number, status: string, id: number): Agg {
  return { level, bin, apid, status, packets: 0, octets: 0, maxOctets: 0, cN: 0, cSum: 0, cMin: null, cMax: null, firstId: id, lastId: id }
}

/** Adds b's counts into a (every column merges by sum, min or max, so the order of merging does not matter). */
function mergeInto(a: Agg, b: Agg): void {
  a.packets += b.packets
  a.octets += b.octets
  if (b.maxOctets > a.maxOctets) a.maxOctets = b.maxOctets
  a.cN += b.cN
  a.cSum += b.cSum
  if (b.cMin !== null && (a.cMin === null || b.cMin < a.cMin)) a.cMin = b.cMin
  if (b.cMax !== null && (a.cMax === null || b.cMax > a.cMax)) a.cMax = b.cMax
  if (b.firstId < a.firstId) a.firstId = b.firstId
  if (b.lastId > a.lastId) a.lastId = b.lastId
}

/** The finest bins of one axis: bin -> (APID, status) -> counts, with the last one touched kept at hand. */
class FinestBins {
  private readonly bins = new Map<number, Map<number, Agg>>()
  private last: Agg | undefined

  constructor(private readonly level: number) {}

  add(bin: number, apid: number, p: Packet): void {
    let a = this.last
    // Consecutive packets mostly share bin, APID and status: no lookup then.
    if (a === undefined || a.bin !== bin || a.apid !== apid || a.status !== p.status) {
      let inBin = this.bins.get(bin)
      if (inBin === undefined) this.bins.set(bin, (inBin = new Map()))
      const slot = (apid - ALL_APIDS) * 8 + STATUS_SLOT[p.status]
      a = inBin.get(slot)
      if (a === undefined) inBin.set(slot, (a = newAgg(this.level, bin, apid, p.status, p.id)))
      this.last = a
    }
    a.packets++
    a.octets += p.octets
    if (p.octets > a.maxOctets) a.maxOctets = p.octets
    if (p.channels !== null) {
      a.cN++
      a.cSum += p.channels
      if (a.cMin === null || p.channels < a.cMin) a.cMin = p.channels
      if (a.cMax === null || p.channels > a.cMax) a.cMax = p.channels
    }
    if (p.id < a.firstId) a.firstId = p.id
    if (p.id > a.lastId) a.lastId = p.id
  }

  /** Every level's rows of this axis (per APID and all APIDs), emptying the bins. */
  take(levels: readonly number[], out: Agg[]): void {
    let rows: Agg[] = []
    for (const inBin of this.bins.values()) for (const a of inBin.values()) rows.push(a)
    this.bins.clear()
    this.last = undefined
    if (rows.length === 0) return
    rows = rows.concat(mergeBy(rows, this.level, (a) => a.bin, () => ALL_APIDS))
    for (let i = 0; ; i++) {
      for (const a of rows) out.push(a)
      if (i + 1 === levels.length) return
      rows = mergeBy(rows, levels[i + 1], (a) => Math.floor(a.bin / 16), (a) => a.apid)
    }
  }
}

/** Rows merged by (bin, APID, status) as the two functions map them, at `level`. */
function mergeBy(rows: readonly Agg[], level: number, bin: (a: Agg) => number, apid: (a: Agg) => number): Agg[] {
  const merged = new Map<string, Agg>()
  for (const a of rows) {
    const b = bin(a)
    const ap = apid(a)
    const key = `${b}:${ap}:${a.status}`
    let m = merged.get(key)
    if (m === undefined) merged.set(key, (m = newAgg(level, b, ap, a.status, a.firstId)))
    mergeInto(m, a)
  }
  return [...merged.values()]
}

/**
 * Counts packets into roll-up rows in memory (shared by the SQLite and PostgreSQL writers). A packet is counted in
 * the finest bin of each axis only (time level 0 and order level 10, its own APID); take() derives the coarser levels
 * and the all-APIDs rows by merging, as rebuildRollupStatements does in SQL. The rows are the same as counting every
 * packet at every level and APID (22 string-keyed counts a packet, which was the largest part of the writers' own
 * CPU per packet); a batch has a few finest bins, so the merging costs next to nothing.
 */
export class RollupCounts {
  private readonly time = new FinestBins(TIME_LEVELS[0])
  private readonly order = new FinestBins(ORDER_LEVELS[0])

  add(p: Packet): void {
    const apid = p.apid === null ? NO_APID : p.apid
    this.time.add(Math.floor(p.receivedAt / TIME_BIN), apid, p)
    this.order.add(Math.floor(p.id / ORDER_BIN), apid, p)
  }

  /** The counted rows, emptying the counter. */
  take(): RollupRow[] {
    const rows: Agg[] = []
    this.time.take(TIME_LEVELS, rows)
    this.order.take(ORDER_LEVELS, rows)
    return rows
  }
}

export type RollupRow = Agg

/** Counts one batch in memory; flush() adds it to the roll-up table (inside the batch's transaction). */
export class RollupBatch {
  private readonly counts = new RollupCounts()
  private readonly upsert: Database.Statement

  constructor(db: Database.Database) {
    this.upsert = db.prepare(`INSERT INTO timeline_rollup (level, bin, apid, status, packets, octets, max_octets, c_n, c_sum, c_min, c_max, first_id, last_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (level, apid, bin, status) DO UPDATE SET
        packets = packets + excluded.packets, octets = octets + excluded.octets, max_octets = max(max_octets, excluded.max_octets),
        c_n = c_n + excluded.c_n, c_sum = c_sum + excluded.c_sum,
        c_min = CASE WHEN c_min IS NULL THEN excluded.c_min WHEN excluded.c_min IS NULL THEN c_min ELSE min(c_min, excluded.c_min) END,
        c_max = CASE WHEN c_max IS NULL THEN excluded.c_max WHEN excluded.c_max IS NULL THEN c_max ELSE max(c_max, excluded.c_max) END,
        first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id)`)
  }

  add(p: { id: number; receivedAt: number; apid: number | null; status: PacketStatus; octets: number; channels: number | null }): void {
    this.counts.add(p)
  }

  flush(): void {
    for (const a of this.counts.take())
      this.upsert.run(a.level, a.bin, a.apid, a.status, a.packets, a.octets, a.maxOctets, a.cN, a.cSum, a.cMin, a.cMax, a.firstId, a.lastId)
  }
}

/**
 * The statements that recount every roll-up from the packets table, in order (plain SQL that SQLite and PostgreSQL
 * both run: integer columns divide as integers in both).
 */
export function rebuildRollupStatements(): string[] {
  const out = ['DELETE FROM timeline_rollup']
  const cols = `packets, octets, max_octets, c_n, c_sum, c_min, c_max, first_id, last_id`
  const fromPackets = (level: number, key: string, apid: string, group: string) =>
    out.push(`INSERT INTO timeline_rollup (level, bin, apid, status, ${cols})
      SELECT ${level}, ${key} / ${binWidth(level)}, ${apid}, status, COUNT(*), SUM(octets), MAX(octets), COUNT(channels), COALESCE(SUM(channels), 0),
        MIN(channels), MAX(channels), MIN(id), MAX(id)
      FROM packets GROUP BY 2 ${group}, status`)
  const fromLevel = (level: number, below: number) =>
    out.push(`INSERT INTO timeline_rollup (level, bin, apid, status, ${cols})
      SELECT ${level}, bin / 16, apid, status, SUM(packets), SUM(octets), MAX(max_octets), SUM(c_n), SUM(c_sum), MIN(c_min), MAX(c_max),
        MIN(first_id), MAX(last_id)
      FROM timeline_rollup WHERE level = ${below} GROUP BY apid, bin / 16, status`)
  for (const [first, levels, key] of [[0, TIME_LEVELS, 'received_at'], [10, ORDER_LEVELS, 'id']] as const) {
    fromPackets(first, key, `COALESCE(apid, ${NO_APID})`, ', 3')
    fromPackets(first, key, String(ALL_APIDS), '')
    for (const level of levels.slice(1)) fromLevel(level, level - 1)
  }
  return out
}

/** Recounts every roll-up from the packets table (after statuses were re-derived). Caller may hold a transaction. */
export function rebuildRollups(db: Database.Database): void {
  for (const sql of rebuildRollupStatements()) db.exec(sql)
}

export interface TimelineQuery {
  axis?: TimelineAxis
  /** Range shown: ms since epoch (time axis) or packet ids (order axis); default the whole log. */
  from?: number
  to?: number
  /** Most buckets wanted (about one per few pixels). */
  buckets?: number
  apid?: number
}

export interface TimelineBucket {
  /** [start, end): ms (time) or packet ids (order). */
  start: number
  end: number
  packets: number
  byStatus: Partial<Record<PacketStatus, number>>
  octets: number
  maxOctets: number
  /** Packets whose header gives C, and the mean / range of C among them. */
  cPackets: number
  cMean: number | null
  cMin: number | null
  cMax: number | null
  firstId: number
  lastId: number
}

export interface TimelineAggregate {
  axis: TimelineAxis
  level: number
  /** Width of one bucket (ms or packet ids) and the range the buckets cover. */
  bucketWidth: number
  from: number
  to: number
  /** Packets in the range (the sum over buckets). */
  total: number
  /** Non-empty buckets only, in order. */
  buckets: TimelineBucket[]
}

/** The extent of the log (or of one APID) on an axis, null when empty: exact ends, except an APID's
 *  receive-time extent, which is rounded out to whole seconds. */
export function timelineExtent(db: Database.Database, axis: TimelineAxis, apid?: number): [number, number] | null {
  if (apid === undefined) {
    // Both ends through an index (the primary key, packets_received): no scan.
    // (one aggregate per statement: SQLite's min/max optimisation reads one index entry only then)
    const col = axis === 'time' ? 'received_at' : 'id'
    const lo = db.prepare(`SELECT MIN(${col}) FROM packets`).pluck().get() as number | null
    const hi = db.prepare(`SELECT MAX(${col}) FROM packets`).pluck().get() as number | null
    return lo === null || hi === null ? null : [lo, hi]
  }
  // One APID: its first and last roll-up bins (primary-key order).
  const lv = axis === 'time' ? 0 : 10
  const end = (dir: 'ASC' | 'DESC') =>
    db.prepare(`SELECT bin, first_id, last_id FROM timeline_rollup WHERE level = ? AND apid = ? ORDER BY level ${dir}, apid ${dir}, bin ${dir} LIMIT 1`).get(lv, apid) as
      | { bin: number; first_id: number; last_id: number }
      | undefined
  const lo = end('ASC')
  const hi = end('DESC')
  if (!lo || !hi) return null
  if (axis === 'order') return [lo.first_id, hi.last_id]
  return [lo.bin * binWidth(0), (hi.bin + 1) * binWidth(0) - 1]
}

/** What a timeline query reads: one level of roll-ups, bins [binFrom, binTo) of one APID, summed k bins per bucket. */
export interface TimelinePlan {
  axis: TimelineAxis
  apid: number
  level: number
  w: number
  k: number
  binFrom: number
  binTo: number
}

/** A roll-up row as read for a timeline: bin, status, packets, octets, max_octets, c_n, c_sum, c_min, c_max, first_id, last_id. */
export type TimelineRow = [number, PacketStatus, number, number, number, number, number, number | null, number | null, number, number]

/** The SQL (positional ? parameters: level, apid, binFrom, binTo) both back ends run for a plan's rows. */
export const TIMELINE_ROWS_SQL = `SELECT bin, status, packets, octets, max_octets, c_n, c_sum, c_min, c_max, first_id, last_id
      FROM timeline_rollup WHERE level = ? AND apid = ? AND bin >= ? AND bin < ? ORDER BY level, apid, bin, status`

/**
 * Chooses the level and bucket width for a query. `extent` gives the log's extent on the axis when the query leaves
 * the range open; returns the empty aggregate when the log (or APID) is empty.
 */
export function timelinePlan(q: TimelineQuery, extent: () => [number, number] | null): TimelinePlan | TimelineAggregate {
  const axis = q.axis ?? 'time'
  const want = Math.max(1, Math.min(Math.floor(q.buckets ?? 1000), 10_000))
  const apid = q.apid ?? ALL_APIDS
  if (!Number.isInteger(apid) || apid < ALL_APIDS || apid > 2047) throw new GscError(`APID must be 0..2047, got ${q.apid}`)
  let from = q.from
  let to = q.to
  if (from === undefined || to === undefined) {
    const ext = extent()
    if (!ext) return { axis, level: axis === 'time' ? 0 : 10, bucketWidth: binWidth(axis === 'time' ? 0 : 10), from: from ?? 0, to: to ?? 0, total: 0, buckets: [] }
    from ??= ext[0]
    to ??= ext[1]
  }
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new GscError('timeline range must be finite numbers')
  if (to < from) [from, to] = [to, from]
  const levels = axis === 'time' ? TIME_LEVELS : ORDER_LEVELS
  const span = to - from + (axis === 'order' ? 1 : 0)
  const per = span / want
  // The coarsest level that still has want/4 bins in the range (the finest when zoomed in further): buckets of
  // k whole bins, k <= 4, so a call reads at most about 4 x want rows per status whatever the log's size.
  let level = levels[0]
  for (const l of levels) if (span / binWidth(l) >= want / 4) level = l
  const w = binWidth(level)
  const k = Math.max(1, Math.ceil(per / w))
  const binFrom = Math.floor(Math.floor(from / w) / k) * k
  const binTo = (Math.floor(Math.floor(to / w) / k) + 1) * k // exclusive
  return { axis, apid, level, w, k, binFrom, binTo }
}

/** Sums a plan's roll-up rows (in primary-key order) into buckets. */
export function timelineFromRows(plan: TimelinePlan, rows: TimelineRow[]): TimelineAggregate {
  const { axis, level, w, k, binFrom, binTo } = plan
  const buckets: TimelineBucket[] = []
  let total = 0
  let cur: (TimelineBucket & { cSum: number }) | undefined
  for (const [bin, status, packets, octets, maxOctets, cN, cSum, cMin, cMax, firstId, lastId] of rows) {
    const start = Math.floor(bin / k) * k * w
    if (!cur || cur.start !== start) {
      cur = { start, end: start + k * w, packets: 0, byStatus: {}, octets: 0, maxOctets: 0, cPackets: 0, cMean: null, cMin: null, cMax: null, firstId, lastId, cSum: 0 }
      buckets.push(cur)
    }
    cur.packets += packets
    cur.byStatus[status] = (cur.byStatus[status] ?? 0) + packets
    cur.octets += octets
    if (maxOctets > cur.maxOctets) cur.maxOctets = maxOctets
    if (cN > 0) {
      cur.cPackets += cN
      cur.cSum += cSum
      cur.cMin = cur.cMin === null ? cMin : Math.min(cur.cMin, cMin!)
      cur.cMax = cur.cMax === null ? cMax : Math.max(cur.cMax, cMax!)
    }
    if (firstId < cur.firstId) cur.firstId = firstId
    if (lastId > cur.lastId) cur.lastId = lastId
    total += packets
  }
  for (const b of buckets as (TimelineBucket & { cSum?: number })[]) {
    if (b.cPackets > 0) b.cMean = b.cSum! / b.cPackets
    delete b.cSum
  }
  return { axis, level, bucketWidth: k * w, from: binFrom * w, to: binTo * w, total, buckets }
}

/** Buckets of the range at the zoom level that fits `buckets` (default 1000) buckets; counts are exact per bucket. */
export function timelineAggregate(db: Database.Database, q: TimelineQuery): TimelineAggregate {
  const plan = timelinePlan(q, () => timelineExtent(db, q.axis ?? 'time', q.apid))
  if (!('k' in plan)) return plan
  // Rows in primary-key order (bin, then status), summed into buckets here: no temporary B-tree in SQLite.
  const rows = db.prepare(TIMELINE_ROWS_SQL).raw().all(plan.level, plan.apid, plan.binFrom, plan.binTo) as TimelineRow[]
  return timelineFromRows(plan, rows)
}
