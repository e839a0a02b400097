// Rebuilding what the archive derives from its raw packets (statuses, header columns, gaps, APID state, roll-ups),
// PostgreSQL side of PacketLog.rebuildDerived: after an APID-setting change or a format upgrade.
import type pg from 'pg'
import { IDLE_APID } from '../../bitstream/ccsds'
import { inspectPacket } from '../captureSource'
import { classify, headerColumns } from '../packetWriter'
import { rebuildRollupStatements } from '../timeline'
import { readImageApidsPg, recomputeGapsPg } from './pgWriter'

/** As PacketLog.rebuildDerived, inside the caller's transaction (which holds the write lock). */
export async function rebuildDerivedPg(c: pg.PoolClient): Promise<{ packets: number; gaps: number }> {
  const each = async (fn: (rows: { id: number; i: ReturnType<typeof inspectPacket>; framed: boolean }[]) => Promise<void> | void) => {
    let after = 0
    for (;;) {
      const rows = (await c.query('SELECT id, raw, framed FROM packets WHERE id > $1 ORDER BY id LIMIT 1000', [after])).rows as { id: number; raw: Buffer; framed: number }[]
      if (rows.length === 0) break
      after = rows[rows.length - 1].id
      await fn(rows.map((r) => ({ id: r.id, i: inspectPacket(new Uint8Array(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength), { decode: false }), framed: r.framed === 1 })))
    }
  }
  await c.query('DELETE FROM gaps; DELETE FROM apid_state; DELETE FROM decodes;')
  const setting = await readImageApidsPg(c)
  const images = new Set<number>()
  await each((rows) => {
    for (const { i, framed } of rows) if (framed && i.crcOk === true && i.primary && i.primary.apid !== IDLE_APID) images.add(i.primary.apid)
  })
  let packets = 0
  await each(async (rows) => {
    const cols: unknown[][] = Array.from({ length: 13 }, () => [])
    for (const { id, i, framed } of rows) {
      const status = classify(i, framed, setting, (a) => images.has(a))
      const gsc = status === 'ok' || status === 'crc_failed' || status === 'malformed'
      const h = headerColumns(i, status)
      const values = [
        id, i.primary?.apid ?? null, i.primary?.sequenceCount ?? null, status, gsc && i.crcOk !== undefined ? (i.crcOk ? 1 : 0) : null,
        gsc && !i.ok ? (i.error ?? 'unknown error') : null, h.format_version, h.width, h.height, h.channels, h.model_id, h.caption, h.header_json
      ]
      values.forEach((v, k) => cols[k].push(v))
      packets++
    }
    await c.query(
      `UPDATE packets p SET apid = v.apid, sequence_count = v.seq, status = v.status, crc_ok = v.crc_ok, error = v.error, format_version = v.fv,
        width = v.width, height = v.height, channels = v.channels, model_id = v.model_id,
        caption = CASE WHEN v.status = 'ok' AND p.status = 'ok' THEN p.caption ELSE v.caption END,
        header_json = v.header_json
      FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::smallint[], $6::text[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[],
        $12::text[], $13::text[]) AS v(id, apid, seq, status, crc_ok, error, fv, width, height, channels, model_id, caption, header_json)
      WHERE p.id = v.id`,
      cols
    )
  })
  await recomputeGapsPg(c, images)
  for (const sql of rebuildRollupStatements()) await c.query(sql)
  const gaps = (await c.query('SELECT COUNT(*) AS n FROM gaps')).rows[0].n as number
  return { packets, gaps }
}
