// Writes batches of received byte strings into the PostgreSQL archive in one transaction, with the SQLite writer's
// rules (../packetWriter.ts: classification, dedup by sha256 with repeated receptions recorded, gaps per APID,
// timeline roll-ups, the import checkpoint). Writers on every instance take one advisory lock per transaction, so
// ids follow receive order as SQLite's BEGIN IMMEDIATE makes them; rows go in as a few array (unnest) statements.
import type pg from 'pg'
import { isOnePacket } from '../../bitstream/ccsds'
import { apidStateFrom, asBuffer, classify, headerColumns, markImageApids, sha256, type ApidStateRow, type BatchResult, type ImportCheckpoint, type PendingPacket } from '../packetWriter'
import { classifyStep, gapContains, splitGap, type GapRecord } from '../sequenceGaps'
import { RollupCounts } from '../timeline'
import type { ImageApids } from '../types'
import { WRITE_LOCK } from './migrations'

/** The channel other instances LISTEN on; the payload is JSON {lastId, inserted, duplicates}. */
export const PACKETS_CHANNEL = 'gsc_packets'

export async function readImageApidsPg(c: pg.ClientBase | pg.Pool): Promise<ImageApids> {
  const r = await c.query(`SELECT value FROM station_settings WHERE key = 'image_apids'`)
  if (r.rows.length === 0) return 'auto'
  const parsed = JSON.parse(r.rows[0].value as string) as unknown
  return Array.isArray(parsed) ? (parsed as number[]) : 'auto'
}

const emptyResult = (): BatchResult => ({ inserted: 0, duplicates: 0, ok: 0, crcFailed: 0, malformed: 0, foreign: 0, idle: 0, newGaps: 0, missing: 0, ids: [], duplicateFlags: [], statuses: [] })

// Raw bytes and hashes travel as two binary parameters (all packets of the batch end to end) cut apart by offset in the
// server: the text form of a bytea[] array costs the server more to parse than the rest of the insert.
const PACKET_INSERT = `INSERT INTO packets (id, received_at, apid, sequence_count, octets, raw, hash, status, crc_ok, error,
    format_version, width, height, channels, model_id, caption, header_json, import_id, source_offset, framed)
  SELECT u.id, u.received_at, u.apid, u.sequence_count, u.octets, substring($19::bytea FROM (u.raw_at + 1)::int FOR u.octets),
    substring($20::bytea FROM ((u.n - 1) * 32 + 1)::int FOR 32), u.status, u.crc_ok, u.error, u.format_version, u.width, u.height, u.channels,
    u.model_id, u.caption, u.header_json, u.import_id, u.source_offset, u.framed
  FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::text[], $8::smallint[], $9::text[],
    $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::text[], $16::text[], $17::bigint[], $18::bigint[], $21::smallint[])
    WITH ORDINALITY AS u(id, received_at, apid, sequence_count, octets, raw_at, status, crc_ok, error, format_version, width, height, channels,
      model_id, caption, header_json, import_id, source_offset, framed, n)`

const ROLLUP_UPSERT = `INSERT INTO timeline_rollup (level, bin, apid, status, packets, octets, max_octets, c_n, c_sum, c_min, c_max, first_id, last_id)
  SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::int[], $11::int[], $12::bigint[], $13::bigint[])
  ON CONFLICT (level, apid, bin, status) DO UPDATE SET
    packets = timeline_rollup.packets + excluded.packets, octets = timeline_rollup.octets + excluded.octets,
    max_octets = GREATEST(timeline_rollup.max_octets, excluded.max_octets),
    c_n = timeline_rollup.c_n + excluded.c_n, c_sum = timeline_rollup.c_sum + excluded.c_sum,
    c_min = LEAST(timeline_rollup.c_min, excluded.c_min), c_max = GREATEST(timeline_rollup.c_max, excluded.c_max),
    first_id = LEAST(timeline_rollup.first_id, excluded.first_id), last_id = GREATEST(timeline_rollup.last_id, excluded.last_id)`

const STATE_UPSERT = `INSERT INTO apid_state (apid, last_sequence, last_packet_id, images)
  SELECT * FROM unnest($1::int[], $2::int[], $3::bigint[], $4::smallint[])
  ON CONFLICT (apid) DO UPDATE SET last_sequence = excluded.last_sequence, last_packet_id = excluded.last_packet_id,
    images = GREATEST(apid_state.images, excluded.images)`

const GAP_INSERT = `INSERT INTO gaps (apid, after_sequence, before_sequence, missing, after_packet_id, before_packet_id, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`

/** Column arrays for one unnest insert. */
class Columns {
  readonly cols: unknown[][]
  constructor(n: number) {
    this.cols = Array.from({ length: n }, () => [])
  }
  push(...values: unknown[]): void {
    for (let i = 0; i < values.length; i++) this.cols[i].push(values[i])
  }
  get length(): number {
    return this.cols[0].length
  }
}

/** Writes one batch (and checkpoint) inside a transaction the caller opened on `c`; notifies listeners at commit. */
export async function writeBatchPg(c: pg.ClientBase, batch: PendingPacket[], cp?: ImportCheckpoint): Promise<BatchResult> {
  await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
  // Shared state is read under the write lock: another instance may have written since.
  const state = apidStateFrom((await c.query('SELECT apid, last_sequence, last_packet_id, images FROM apid_state')).rows as ApidStateRow[])
  const imageApids = await readImageApidsPg(c)
  const touched = markImageApids(state, batch)
  const knownImage = (apid: number) => state.get(apid)?.images === true
  const max = (await c.query('SELECT (SELECT COALESCE(MAX(id), 0) FROM packets) AS p, (SELECT COALESCE(MAX(id), 0) FROM duplicates) AS d')).rows[0] as { p: number; d: number }
  let lastId = max.p
  let lastDupId = max.d

  // Which hashes are stored already (one lookup for the batch); first receptions in the batch join the map.
  const raws = batch.map((p) => asBuffer(p.bytes))
  const hashes = raws.map((r) => sha256(r))
  const known = new Map<string, number>()
  const lookup = `SELECT id, hash FROM packets WHERE hash = ANY(ARRAY(SELECT substring($1::bytea FROM (i * 32 + 1)::int FOR 32) FROM generate_series(0, $2::int - 1) AS i))`
  for (const r of (await c.query(lookup, [Buffer.concat(hashes), hashes.length])).rows as { id: number; hash: Buffer }[])
    known.set(r.hash.toString('hex'), r.id)

  const packets = new Columns(19)
  const rawParts: Buffer[] = []
  const hashParts: Buffer[] = []
  const dups = new Columns(6)
  const rollups = new RollupCounts()
  const res = emptyResult()
  for (let k = 0; k < batch.length; k++) {
    const p = batch[k]
    const raw = raws[k]
    const hash = hashes[k]
    const i = p.inspection
    const framed = p.framed ?? isOnePacket(raw)
    const status = classify(i, framed, imageApids, knownImage)
    res.statuses.push(status)
    const key = hash.toString('hex')
    const existing = known.get(key)
    if (existing !== undefined) {
      dups.push(++lastDupId, existing, lastId, p.receivedAt, p.importId ?? null, p.sourceOffset ?? null)
      res.duplicates++
      res.ids.push(existing)
      res.duplicateFlags.push(true)
      continue
    }
    const gsc = status === 'ok' || status === 'crc_failed' || status === 'malformed'
    const h = headerColumns(i, status)
    const id = ++lastId
    known.set(key, id)
    packets.push(
      id, p.receivedAt, i.primary?.apid ?? null, i.primary?.sequenceCount ?? null, raw.length, 0, status,
      gsc && i.crcOk !== undefined ? (i.crcOk ? 1 : 0) : null, gsc && !i.ok ? (i.error ?? 'unknown error') : null,
      h.format_version, h.width, h.height, h.channels, h.model_id, h.caption, h.header_json,
      p.importId ?? null, p.sourceOffset ?? null, framed ? 1 : 0
    )
    rawParts.push(raw)
    hashParts.push(hash)
    res.inserted++
    res.ids.push(id)
    res.duplicateFlags.push(false)
    rollups.add({ id, receivedAt: p.receivedAt, apid: i.primary?.apid ?? null, status, octets: raw.length, channels: h.channels })
    if (status === 'ok') res.ok++
    else if (status === 'crc_failed') res.crcFailed++
    else if (status === 'foreign') res.foreign++
    else if (status === 'idle') res.idle++
    else res.malformed++
    if ((status !== 'ok' && status !== 'foreign') || !i.primary) continue
    const apid = i.primary.apid
    const seq = i.primary.sequenceCount
    const prev = state.get(apid)
    const step = classifyStep(prev?.seq ?? undefined, seq)
    if (step.kind === 'late') {
      await fillGapPg(c, apid, seq, id, res)
      continue
    }
    if (step.kind === 'gap' && prev && prev.seq !== null) {
      await c.query(GAP_INSERT, [apid, prev.seq, seq, step.missing, prev.packetId, id, p.receivedAt])
      res.newGaps++
      res.missing += step.missing
    }
    state.set(apid, { seq, packetId: id, images: prev?.images ?? false })
    touched.add(apid)
  }
  await insertPackets(c, packets, rawParts, hashParts)
  if (dups.length > 0)
    await c.query(
      `INSERT INTO duplicates (id, packet_id, after_packet_id, received_at, import_id, source_offset)
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])`,
      dups.cols
    )
  if (touched.size > 0) {
    const st = new Columns(4)
    for (const apid of touched) {
      const s = state.get(apid)!
      st.push(apid, s.seq ?? -1, s.packetId, s.images ? 1 : 0)
    }
    await c.query(STATE_UPSERT, st.cols)
  }
  const rows = rollups.take()
  if (rows.length > 0) {
    const r = new Columns(13)
    for (const a of rows) r.push(a.level, a.bin, a.apid, a.status, a.packets, a.octets, a.maxOctets, a.cN, a.cSum, a.cMin, a.cMax, a.firstId, a.lastId)
    await c.query(ROLLUP_UPSERT, r.cols)
  }
  if (cp)
    await c.query(`UPDATE imports SET committed_offset = $1, packets = packets + $2, duplicates = duplicates + $3, bad = bad + $4, updated_at = $5 WHERE id = $6`, [
      cp.committedOffset, res.inserted, res.duplicates, res.crcFailed + res.malformed, Date.now(), cp.importId
    ])
  if (res.inserted + res.duplicates > 0)
    await c.query('SELECT pg_notify($1, $2)', [PACKETS_CHANNEL, JSON.stringify({ lastId, inserted: res.inserted, duplicates: res.duplicates })])
  return res
}

/** Most raw bytes per INSERT: a parameter may not exceed 1 GB, and a batch of 2,000 unframed 1 MiB spans would. */
const INSERT_BYTES = 64 * 1024 * 1024

async function insertPackets(c: pg.ClientBase, packets: Columns, raws: Buffer[], hashes: Buffer[]): Promise<void> {
  let start = 0
  while (start < raws.length) {
    let end = start
    let bytes = 0
    while (end < raws.length && (end === start || bytes + raws[end].length <= INSERT_BYTES)) bytes += raws[end++].length
    const cols = packets.cols.map((col) => col.slice(start, end))
    let at = 0
    cols[5] = raws.slice(start, end).map((r) => ((at += r.length), at - r.length)) // raw_at: offset of each packet in the blob
    await c.query(PACKET_INSERT, [...cols.slice(0, 18), Buffer.concat(raws.slice(start, end)), Buffer.concat(hashes.slice(start, end)), cols[18]])
    start = end
  }
}

async function fillGapPg(c: pg.ClientBase, apid: number, seq: number, packetId: number, res: BatchResult): Promise<void> {
  const rows = (await c.query(
    'SELECT id, apid, after_sequence, before_sequence, missing, after_packet_id, before_packet_id FROM gaps WHERE apid = $1 ORDER BY id DESC LIMIT 256',
    [apid]
  )).rows as { id: number; apid: number; after_sequence: number; before_sequence: number; missing: number; after_packet_id: number | null; before_packet_id: number | null }[]
  for (const r of rows) {
    const gap: GapRecord = {
      id: r.id, apid: r.apid, afterSequence: r.after_sequence, beforeSequence: r.before_sequence,
      missing: r.missing, afterPacketId: r.after_packet_id, beforePacketId: r.before_packet_id
    }
    if (!gapContains(gap, seq)) continue
    await c.query('DELETE FROM gaps WHERE id = $1', [r.id])
    res.missing -= 1
    const pieces = splitGap(gap, seq, packetId)
    for (const piece of pieces)
      await c.query(GAP_INSERT, [apid, piece.afterSequence, piece.beforeSequence, piece.missing, piece.afterPacketId, piece.beforePacketId, Date.now()])
    res.newGaps += pieces.length - 1
    return
  }
}

/**
 * Rebuilds gaps and apid_state from stored packets in receive order (caller holds a transaction and has emptied
 * both tables): ok and foreign packets count as received. `images`: APIDs that carried a packet passing the GSC CRC.
 */
export async function recomputeGapsPg(c: pg.ClientBase, images: Set<number>): Promise<void> {
  const state = new Map<number, { seq: number | null; packetId: number }>()
  const sink = emptyResult()
  let after = 0
  for (;;) {
    const rows = (await c.query(
      `SELECT id, apid, sequence_count, received_at FROM packets WHERE status IN ('ok', 'foreign') AND apid IS NOT NULL AND id > $1 ORDER BY id LIMIT 5000`,
      [after]
    )).rows as { id: number; apid: number; sequence_count: number; received_at: number }[]
    if (rows.length === 0) break
    for (const r of rows) {
      after = r.id
      const prev = state.get(r.apid)
      const step = classifyStep(prev?.seq ?? undefined, r.sequence_count)
      if (step.kind === 'late') {
        await fillGapPg(c, r.apid, r.sequence_count, r.id, sink)
        continue
      }
      if (step.kind === 'gap' && prev && prev.seq !== null)
        await c.query(GAP_INSERT, [r.apid, prev.seq, r.sequence_count, step.missing, prev.packetId, r.id, r.received_at])
      state.set(r.apid, { seq: r.sequence_count, packetId: r.id })
    }
  }
  for (const apid of images) if (!state.has(apid)) state.set(apid, { seq: null, packetId: 0 })
  if (state.size === 0) return
  const st = new Columns(4)
  for (const [apid, s] of state) st.push(apid, s.seq ?? -1, s.packetId, images.has(apid) ? 1 : 0)
  await c.query(STATE_UPSERT, st.cols)
}
