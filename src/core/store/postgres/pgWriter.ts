// Writes batches of received byte strings into the PostgreSQL archive in one transaction, with the SQLite writer's
// rules (../packetWriter.ts: classification, dedup by sha256 with repeated receptions recorded, gaps per APID,
// timeline roll-ups, the import checkpoint). Writers on every instance take one advisory lock per transaction, so
// ids follow receive order as SQLite's BEGIN IMMEDIATE makes them. A batch takes four round trips: the lock and state,
// the hash lookup, the packets (binary COPY), and the rest as one statement (plus one per gap a late packet splits).
import type pg from 'pg'
import { isOnePacket } from '../../bitstream/ccsds'
import { apidStateFrom, classify, countStored, headerColumns, markImageApids, sha256Latin1, type ApidStateRow, type BatchResult, type ImportCheckpoint, type PendingPacket } from '../packetWriter'
import { classifyStep, gapContains, splitGap, type GapRecord } from '../sequenceGaps'
import { RollupCounts } from '../timeline'
import type { ImageApids } from '../types'
import { WRITE_LOCK } from './migrations'
import { copyRows, type BinaryCopyWriter } from './pgCopy'

/** The channel other instances LISTEN on; the payload is JSON {lastId, inserted, duplicates}. */
export const PACKETS_CHANNEL = 'gsc_packets'

export async function readImageApidsPg(c: pg.ClientBase | pg.Pool): Promise<ImageApids> {
  return imageApidsFrom((await c.query(`SELECT value FROM station_settings WHERE key = 'image_apids'`)).rows as { value: string }[])
}

function imageApidsFrom(rows: { value: string }[]): ImageApids {
  if (rows.length === 0) return 'auto'
  const parsed = JSON.parse(rows[0].value) as unknown
  return Array.isArray(parsed) ? (parsed as number[]) : 'auto'
}

// The write lock and the shared state read under it, in one round trip (several statements need the simple protocol,
// hence no parameters): another instance may have written since this one's last batch.
const BATCH_START = `SELECT pg_advisory_xact_lock(${WRITE_LOCK});
  SELECT apid, last_sequence, last_packet_id, images FROM apid_state;
  SELECT value FROM station_settings WHERE key = 'image_apids';
  SELECT (SELECT COALESCE(MAX(id), 0) FROM packets) AS p, (SELECT COALESCE(MAX(id), 0) FROM duplicates) AS d`

const emptyResult = (): BatchResult => ({ inserted: 0, duplicates: 0, ok: 0, crcFailed: 0, malformed: 0, foreign: 0, idle: 0, newGaps: 0, missing: 0, ids: [], duplicateFlags: [], statuses: [] })

// Packet rows go in with binary COPY (pgCopy.ts): the server parses no text, the client builds no array literals.
// Every row is new (the batch's hashes were looked up under the write lock), so nothing needs ON CONFLICT; a row
// that broke the unique hash index would fail the COPY and so the whole batch, as an INSERT would.
const PACKET_COPY = `packets (id, received_at, apid, sequence_count, octets, raw, hash, status, crc_ok, error,
    format_version, width, height, channels, model_id, caption, header_json, import_id, source_offset, framed)`

interface PacketRow {
  id: number
  receivedAt: number
  apid: number | null
  seq: number | null
  raw: Uint8Array
  /** sha256 of raw, one latin1 char per octet */
  hash: string
  status: string
  crcOk: number | null
  error: string | null
  header: ReturnType<typeof headerColumns>
  importId: number | null
  sourceOffset: number | null
  framed: number
}

function encodePacket(w: BinaryCopyWriter, r: PacketRow): void {
  const h = r.header
  w.row(20)
  w.int8(r.id)
  w.int8(r.receivedAt)
  w.int4(r.apid)
  w.int4(r.seq)
  w.int4(r.raw.length)
  w.bytes(r.raw)
  w.latin1Bytes(r.hash)
  w.text(r.status)
  w.int2(r.crcOk)
  w.text(r.error)
  w.int4(h.format_version)
  w.int4(h.width)
  w.int4(h.height)
  w.int4(h.channels)
  w.int4(h.model_id)
  w.text(h.caption)
  w.text(h.header_json)
  w.int8(r.importId)
  w.int8(r.sourceOffset)
  w.int2(r.framed)
}

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

// The rest of a batch in one statement (one round trip): repeated receptions, APID state, roll-ups, the import's
// checkpoint ($29: none outside an import) and the notice to other instances ($31: none when nothing was written).
// Each part touches its own table; empty arrays insert nothing.
const BATCH_END = `WITH dups AS (
    INSERT INTO duplicates (id, packet_id, after_packet_id, received_at, import_id, source_offset)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
  ), state AS (
    ${STATE_UPSERT.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + 6}`)}
  ), rollup AS (
    ${ROLLUP_UPSERT.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + 10}`)}
  ), progress AS (
    UPDATE imports SET committed_offset = $24, packets = packets + $25, duplicates = duplicates + $26, bad = bad + $27, updated_at = $28
    WHERE id = $29
  )
  SELECT pg_notify($30, $31) WHERE $31::text IS NOT NULL`

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
  const [, stateRows, settingRows, maxRows] = (await c.query(BATCH_START)) as unknown as pg.QueryResult[]
  const state = apidStateFrom(stateRows.rows as ApidStateRow[])
  const imageApids = imageApidsFrom(settingRows.rows as { value: string }[])
  const touched = markImageApids(state, batch)
  const knownImage = (apid: number) => state.get(apid)?.images === true
  const max = maxRows.rows[0] as { p: number; d: number }
  let lastId = max.p
  let lastDupId = max.d

  // Which hashes are stored already (one lookup for the batch); first receptions in the batch join the map.
  const hashes = batch.map((p) => sha256Latin1(p.bytes))
  const known = new Map<string, number>() // keyed by the hash as a latin1 string: one char per octet, cheaper than hex
  const lookup = `SELECT id, hash FROM packets WHERE hash = ANY(ARRAY(SELECT substring($1::bytea FROM (i * 32 + 1)::int FOR 32) FROM generate_series(0, $2::int - 1) AS i))`
  for (const r of (await c.query(lookup, [Buffer.from(hashes.join(''), 'latin1'), hashes.length])).rows as { id: number; hash: Buffer }[])
    known.set(r.hash.toString('latin1'), r.id)

  const packets: PacketRow[] = []
  const dups = new Columns(6)
  const rollups = new RollupCounts()
  const res = emptyResult()
  for (let k = 0; k < batch.length; k++) {
    const p = batch[k]
    const raw = p.bytes
    const hash = hashes[k]
    const i = p.inspection
    const framed = p.framed ?? isOnePacket(raw)
    const status = classify(i, framed, imageApids, knownImage)
    res.statuses.push(status)
    const existing = known.get(hash)
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
    known.set(hash, id)
    packets.push({
      id, receivedAt: p.receivedAt, apid: i.primary?.apid ?? null, seq: i.primary?.sequenceCount ?? null, raw, hash, status,
      crcOk: gsc && i.crcOk !== undefined ? (i.crcOk ? 1 : 0) : null, error: gsc && !i.ok ? (i.error ?? 'unknown error') : null,
      header: h, importId: p.importId ?? null, sourceOffset: p.sourceOffset ?? null, framed: framed ? 1 : 0
    })
    countStored(res, id, status)
    rollups.add({ id, receivedAt: p.receivedAt, apid: i.primary?.apid ?? null, status, octets: raw.length, channels: h.channels })
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
  if (packets.length > 0) await copyRows(c, PACKET_COPY, packets.length, (w, k) => encodePacket(w, packets[k]))
  const st = new Columns(4)
  for (const apid of touched) {
    const a = state.get(apid)!
    st.push(apid, a.seq ?? -1, a.packetId, a.images ? 1 : 0)
  }
  const r = new Columns(13)
  for (const a of rollups.take()) r.push(a.level, a.bin, a.apid, a.status, a.packets, a.octets, a.maxOctets, a.cN, a.cSum, a.cMin, a.cMax, a.firstId, a.lastId)
  const notice = res.inserted + res.duplicates > 0 ? JSON.stringify({ lastId, inserted: res.inserted, duplicates: res.duplicates }) : null
  await c.query(BATCH_END, [
    ...dups.cols, ...st.cols, ...r.cols,
    cp?.committedOffset ?? null, res.inserted, res.duplicates, res.crcFailed + res.malformed, Date.now(), cp?.importId ?? null,
    PACKETS_CHANNEL, notice
  ])
  return res
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
