// Foreign traffic and large-log queries (issue 19 groups 5 and 7): every well-framed CCSDS packet is archived as its
// own row with its APID and sequence count, idle packets as idle, only bytes that frame as nothing as unframed spans;
// the image-APID setting; the timeline roll-ups against the raw packets; caption search through FTS5; the schema-2 to
// schema-3 upgrade of a log made before any of this. All but the upgrade run on SQLite and on a real PostgreSQL server.
import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePrimaryHeader } from '../../src/core/bitstream/ccsds'
import { readCapture } from '../../src/core/bitstream/capture'
import { decodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/core/store/migrations'
import type { PacketArchive } from '../../src/core/store/archive'
import { openPacketLog } from '../../src/core/store/packetLog'
import { sha256 } from '../../src/core/store/packetWriter'
import { ALL_APIDS, binWidth, TIME_LEVELS, ORDER_LEVELS } from '../../src/core/store/timeline'
import { storeBackends } from '../support/storeBackends'
import { concat, gscPacket, reframe, writeCapture } from '../fixtures/storeFixtures'

const dir = mkdtempSync(join(tmpdir(), 'gsc-foreign-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let seed = 987654321
const rnd = () => {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0
  return seed
}

/** A housekeeping-style packet of another instrument: secondary header flag set, random data, 20..300 octets. */
function foreign(apid: number, seq: number, octets = 20 + (rnd() % 281)): Uint8Array {
  const p = new Uint8Array(octets)
  writePrimaryHeader(p, { version: 0, type: 0, secondaryHeaderFlag: 1, apid, sequenceFlags: 3, sequenceCount: seq & 0x3fff, dataFieldOctets: octets - 6 })
  for (let i = 6; i < octets; i++) p[i] = rnd() & 0xff
  return p
}
const idle = (seq: number) => {
  const p = new Uint8Array(64)
  writePrimaryHeader(p, { version: 0, type: 0, secondaryHeaderFlag: 0, apid: 2047, sequenceFlags: 3, sequenceCount: seq, dataFieldOctets: 58 })
  p.fill(0x55, 6)
  return p
}
const garbage = (octets: number) => Uint8Array.from({ length: octets }, () => rnd() & 0xff)

describe.each(storeBackends())('store on $name', (backend) => {
  beforeAll(() => backend.start(), 120_000)
  afterAll(() => backend.stop())
  let n = 0
  const fresh = async (): Promise<{ log: PacketArchive; cap: string; out: string }> => {
    n++
    return { log: (await backend.fresh()).log, cap: join(backend.dir, `cap${n}.bin`), out: join(backend.dir, `out${n}.bin`) }
  }

  describe('foreign traffic', () => {
    it('imports 300 well-framed packets of another APID as 300 foreign rows with their own gap accounting', async () => {
      const { log, cap, out } = await fresh()
      // Sequence counts 0..300 without 150: one packet lost on the foreign APID.
      const parts = Array.from({ length: 301 }, (_, i) => i)
        .filter((i) => i !== 150)
        .map((i) => foreign(0x321, i))
      const input = writeCapture(cap, parts)
      const r = await log.importCapture(cap)
      expect(r).toMatchObject({ imported: 300, foreign: 300, idle: 0, bad: 0, crcFailed: 0, malformed: 0, gaps: 1, missing: 1 })
      const s = await log.stats()
      expect(s.byStatus).toEqual({ ok: 0, crc_failed: 0, malformed: 0, foreign: 300, idle: 0 })
      expect(s.perApid).toMatchObject([{ apid: 0x321, packets: 300, foreign: 300, images: 0, gaps: 1, missing: 1 }])
      expect(await log.gaps()).toMatchObject([{ apid: 0x321, afterSequence: 149, beforeSequence: 151, missing: 1 }])
      const rows = await log.list({ limit: 1000 })
      expect(rows.map((x) => x.sequenceCount)).toEqual(parts.map((_, i) => (i < 150 ? i : i + 1)))
      for (const x of rows) expect(x).toMatchObject({ apid: 0x321, status: 'foreign', framed: true, error: null, caption: null, width: null })
      // Kept raw: each row is the packet's bytes; the export is the capture.
      expect(Buffer.from((await log.get(rows[7].id))!.raw).equals(Buffer.from(parts[7]))).toBe(true)
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      await log.close()
    })

    it('keeps every packet of a capture that starts with 2 MiB of foreign traffic', async () => {
      const { log, cap, out } = await fresh()
      const parts: Uint8Array[] = []
      let bytes = 0
      let k = 0
      while (bytes < 2 * 1024 * 1024) {
        const p = foreign(100 + (k % 3), Math.floor(k / 3))
        parts.push(p)
        bytes += p.length
        k++
      }
      const images = Array.from({ length: 40 }, (_, i) => gscPacket(7, i, 300 + i))
      const input = writeCapture(cap, [...parts, ...images])
      const r = await log.importCapture(cap)
      expect(r).toMatchObject({ imported: k + 40, foreign: k, bad: 0, malformed: 0, gaps: 0 })
      expect((await log.stats()).byStatus).toMatchObject({ ok: 40, foreign: k, malformed: 0 })
      expect((await log.list({ apid: 7 })).map((x) => x.sequenceCount)).toEqual(images.map((_, i) => i))
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      await log.close()
    })

    it('archives idle packets (APID 2047) as idle, outside gap accounting', async () => {
      const { log, cap } = await fresh()
      // Idle packets' counts jump around (here 0, 5, 9): that is not a loss.
      writeCapture(cap, [gscPacket(7, 0, 1), idle(0), gscPacket(7, 1, 2), idle(5), idle(9), gscPacket(7, 2, 3)])
      const r = await log.importCapture(cap)
      expect(r).toMatchObject({ imported: 6, idle: 3, foreign: 0, bad: 0, gaps: 0 })
      expect((await log.list({ status: 'idle' })).map((x) => [x.apid, x.sequenceCount, x.octets])).toEqual([[2047, 0, 64], [2047, 5, 64], [2047, 9, 64]])
      expect(await log.gaps()).toEqual([])
      await log.close()
    })

    it('frames mixed traffic packet by packet, keeps only bytes that frame as nothing as unframed spans, and exports byte-identically', async () => {
      const { log, cap, out } = await fresh()
      const bad = gscPacket(9, 3, 53).slice()
      bad[40] ^= 0x10 // CRC fails on an image APID
      const g1 = garbage(333)
      const g2 = garbage(4000)
      const parts: Uint8Array[] = [
        gscPacket(9, 0, 50), foreign(0x40, 0), gscPacket(9, 1, 51), idle(0), foreign(0x41, 0), gscPacket(9, 2, 52), bad,
        foreign(0x40, 1), g1, foreign(0x40, 2), foreign(0x41, 1), gscPacket(9, 4, 54), foreign(0x40, 3), foreign(0x40, 4),
        foreign(0x41, 2), foreign(0x40, 5), foreign(0x41, 3), foreign(0x40, 6), g2, gscPacket(9, 5, 55), foreign(0x40, 7),
        foreign(0x41, 4), idle(1), gscPacket(9, 6, 56)
      ]
      const input = writeCapture(cap, parts)
      const offsets: number[] = []
      parts.reduce((a, p) => (offsets.push(a), a + p.length), 0)
      const r = await log.importCapture(cap)
      expect(r).toMatchObject({ imported: parts.length, duplicates: 0, crcFailed: 1, malformed: 2, foreign: 13, idle: 2 })
      // Unframed spans are exactly the garbage, where it was.
      const spans = await log.list({ status: 'malformed' })
      expect(spans.map((x) => [x.sourceOffset, x.octets, x.framed, x.apid])).toEqual([
        [offsets[parts.indexOf(g1)], 333, false, null],
        [offsets[parts.indexOf(g2)], 4000, false, null]
      ])
      expect(spans[0].error).toMatch(/unframed bytes/)
      // Every other item is its own row, with its APID and sequence count.
      const rows = await log.list({ limit: 100 })
      expect(rows.map((x) => x.octets)).toEqual(parts.map((p) => p.length))
      expect(rows.filter((x) => x.framed).map((x) => [x.apid, x.sequenceCount])).toEqual(
        parts.filter((p) => p !== g1 && p !== g2).map((p) => [((p[0] & 7) << 8) | p[1], ((p[2] & 0x3f) << 8) | p[3]])
      )
      expect((await log.list({ status: 'crc_failed' })).map((x) => [x.apid, x.sequenceCount])).toEqual([[9, 3]])
      // Per-APID gaps: image count 3 lost to its CRC failure; the foreign APIDs' counts run through.
      expect((await log.gaps()).map((g) => [g.apid, g.afterSequence, g.beforeSequence])).toEqual([[9, 2, 4]])
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      await log.exportCapture(out, { apid: 0x40 })
      expect(Buffer.compare(readFileSync(out), concat(parts.filter((p) => p.length > 6 && p !== g1 && p !== g2 && ((p[0] & 7) << 8 | p[1]) === 0x40)))).toBe(0)
      // The reader alone says the same: framed items and unframed spans.
      const framed: boolean[] = []
      for await (const it of readCapture(cap)) framed.push(it.framed)
      expect(framed).toEqual(parts.map((p) => p !== g1 && p !== g2))
      await log.close()
    })

    it('refuses only a file in which nothing frames, whatever its size', async () => {
      const { log, cap } = await fresh()
      writeCapture(cap, [garbage(3 * 1024 * 1024)])
      await expect(log.importCapture(cap)).rejects.toThrow(/not a packet capture: no CCSDS packet could be framed in its 3145728 octets/)
      expect((await log.stats()).packets).toBe(0)
      // 3 MiB of garbage, then one GSC packet: imported (the garbage kept as unframed spans of at most 1 MiB).
      const p = gscPacket(7, 0, 9)
      const input = writeCapture(cap, [garbage(3 * 1024 * 1024), p])
      const r = await log.importCapture(cap)
      expect(r).toMatchObject({ crcFailed: 0, foreign: 0 })
      expect(await log.list({ status: 'ok' })).toHaveLength(1)
      expect((await log.list({ status: 'malformed' })).every((x) => x.octets <= 1024 * 1024 && !x.framed)).toBe(true)
      const out = cap + '.out'
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      await log.close()
    })
  })

  describe('the image-APID setting', () => {
    it('decides which APIDs are images: others are foreign, and a change re-classifies the log', async () => {
      const { log, cap, out } = await fresh()
      const bad = gscPacket(9, 2, 72).slice()
      bad[40] ^= 0x10
      const parts = [gscPacket(7, 0, 60), gscPacket(9, 0, 70), gscPacket(7, 1, 61), gscPacket(9, 1, 71), bad, gscPacket(9, 3, 73), foreign(0x55, 0)]
      const input = writeCapture(cap, parts)
      expect(await log.imageApids()).toBe('auto')
      await log.importCapture(cap)
      // auto: APIDs 7 and 9 carry valid GSC packets, so both are image APIDs; 0x55 is foreign.
      expect((await log.stats()).byStatus).toMatchObject({ ok: 5, crc_failed: 1, foreign: 1 })
      const caption9 = decodeGscPacket(parts[1]).caption
      expect((await log.list({ captionContains: caption9 })).map((x) => x.apid)).toContain(9)

      await log.setImageApids([7])
      expect(await log.imageApids()).toEqual([7])
      expect((await log.stats()).byStatus).toMatchObject({ ok: 2, crc_failed: 0, foreign: 5 })
      expect((await log.list({ apid: 9 })).map((x) => [x.status, x.caption, x.width, x.error])).toEqual(Array(4).fill(['foreign', null, null, null]))
      expect(await log.list({ captionContains: caption9 })).toEqual([])
      // Foreign packets still count for gaps: the damaged count 2 of APID 9 now counts as received.
      expect(await log.gaps()).toEqual([])
      // New imports follow the setting too, and the timeline counts follow the statuses.
      const cap2 = cap + '.2'
      writeCapture(cap2, [gscPacket(9, 4, 74), gscPacket(7, 2, 62)])
      await log.importCapture(cap2)
      expect((await log.list({ apid: 9, desc: true, limit: 1 }))[0].status).toBe('foreign')
      expect((await log.timeline({ axis: 'order', buckets: 1 })).buckets[0].byStatus).toEqual({ ok: 3, foreign: 6 })

      await log.setImageApids('auto')
      expect((await log.stats()).byStatus).toMatchObject({ ok: 7, crc_failed: 1, foreign: 1 })
      expect((await log.gaps()).map((g) => [g.apid, g.afterSequence, g.beforeSequence])).toEqual([[9, 1, 3]])
      expect((await log.list({ captionContains: caption9 })).map((x) => x.apid)).toContain(9)
      expect((await log.timeline({ axis: 'order', buckets: 1 })).buckets[0].byStatus).toEqual({ ok: 7, crc_failed: 1, foreign: 1 })
      await expect(log.setImageApids([2047])).rejects.toThrow(/idle APID/)
      await expect(log.setImageApids([])).rejects.toThrow(/image APIDs/)
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out).subarray(0, input.length), input)).toBe(0)
      await log.close()
    })
  })

  describe('caption search (FTS5)', () => {
    it('finds captions by their words, the last one as a prefix, with exact or bounded totals', async () => {
      const { log, cap } = await fresh()
      const parts = Array.from({ length: 60 }, (_, i) => gscPacket(3 + (i % 2), i >> 1, 400 + i))
      writeCapture(cap, parts)
      await log.importCapture(cap)
      const captions = parts.map((p) => decodeGscPacket(p).caption)
      const like = (pred: (c: string) => boolean) => captions.map((c, i) => (pred(c) ? i + 1 : 0)).filter(Boolean)
      const word = (c: string, w: string) => c.toLowerCase().split(/[^\p{L}\p{N}]+/u).includes(w)
      // one word; the same word as a prefix being typed; a phrase; case does not matter
      expect((await log.list({ captionContains: 'crater', limit: 1000 })).map((x) => x.id)).toEqual(like((c) => word(c, 'crater')))
      expect((await log.list({ captionContains: 'crat', limit: 1000 })).map((x) => x.id)).toEqual(like((c) => word(c, 'crater')))
      const phrase = captions[17].split(' ').slice(1, 3).join(' ')
      expect((await log.list({ captionContains: phrase.toUpperCase(), limit: 1000 })).map((x) => x.id)).toEqual(like((c) => c.includes(phrase)))
      expect((await log.list({ captionContains: captions[17] })).map((x) => x.id)).toEqual([18])
      expect(await log.countMatches({ captionContains: 'crater' })).toEqual({ total: like((c) => word(c, 'crater')).length, atLeast: false })
      expect(await log.countMatches({ captionContains: 'crater', apid: 4 })).toEqual({
        total: like((c) => word(c, 'crater')).filter((id) => (id - 1) % 2 === 1).length,
        atLeast: false
      })
      // newest first, and paging
      const all = (await log.list({ captionContains: 'rover', limit: 1000 })).map((x) => x.id)
      expect((await log.list({ captionContains: 'rover', desc: true, limit: 1000 })).map((x) => x.id)).toEqual([...all].reverse())
      expect((await log.list({ captionContains: 'rover', limit: 3, offset: 2 })).map((x) => x.id)).toEqual(all.slice(2, 5))
      expect(await log.list({ captionContains: 'zzz' })).toEqual([])
      // A caption filled or replaced later is indexed through the triggers.
      await backend.exec(log, `UPDATE packets SET caption = 'a lonely lighthouse' WHERE id = 5`)
      expect((await log.list({ captionContains: 'lighthouse' })).map((x) => x.id)).toEqual([5])
      await log.close()
    })
  })

  describe('timeline roll-ups', () => {
    it('give the same counts as the raw packets at every zoom, on both axes, for all and for one APID', async () => {
      const { log } = await fresh()
      const t0 = Date.UTC(2026, 0, 1, 5, 17, 3, 250)
      let t = t0
      // Bursts and silences over about three days; images, foreign, idle, CRC failures and unframed bytes.
      for (let k = 0; k < 2500; k++) {
        t += rnd() % 10 === 0 ? rnd() % 3_600_000 : rnd() % 2000
        const r = rnd() % 20
        let bytes: Uint8Array
        if (r < 12) bytes = reframe(gscPacket(5 + (r % 2), 0, k % 40, { channels: 1 + (k % 4) }), 5 + (r % 2), k & 0x3fff)
        else if (r < 16) bytes = foreign(0x60 + (r % 2), k)
        else if (r === 16) bytes = idle(k & 0x3fff)
        else if (r === 17) {
          bytes = reframe(gscPacket(5, 0, k % 40), 5, k & 0x3fff)
          bytes[30] ^= 1
        } else bytes = garbage(50 + (rnd() % 50))
        await log.ingest(bytes, new Date(t), r < 18)
      }
      const raw = {
        all: (p: { axis: 'time' | 'order'; start: number; end: number; apid: number | null }) =>
          backend.rows(
            log,
            `SELECT status, COUNT(*) AS n, SUM(octets) AS octets, MAX(octets) AS "maxOctets", MIN(channels) AS "cMin", MAX(channels) AS "cMax",
              COUNT(channels) AS "cN", MIN(id) AS "firstId", MAX(id) AS "lastId" FROM packets
              WHERE (CASE WHEN CAST(? AS TEXT) = 'time' THEN received_at ELSE id END) >= CAST(? AS BIGINT)
                AND (CASE WHEN CAST(? AS TEXT) = 'time' THEN received_at ELSE id END) < CAST(? AS BIGINT)
                AND (CAST(? AS INTEGER) IS NULL OR apid = CAST(? AS INTEGER)) GROUP BY status`,
            [p.axis, p.start, p.axis, p.end, p.apid, p.apid]
          )
      }
      const check = async () => {
        let buckets = 0
        for (const axis of ['time', 'order'] as const)
          for (const apid of [undefined, 5, 0x61, 2047])
            for (const want of [1, 3, 17, 100, 900, 4000]) {
              const ranges: ([number, number] | [undefined, undefined])[] = [[undefined, undefined]]
              const [lo, hi] = axis === 'time' ? [t0, t] : [1, 2500]
              for (let i = 0; i < 3; i++) {
                const a = lo + (rnd() % (hi - lo))
                ranges.push([a, a + (rnd() % Math.max(1, hi - a))])
              }
              for (const [from, to] of ranges) {
                const agg = await log.timeline({ axis, from, to, buckets: want, apid })
                expect(agg.buckets.length).toBeLessThanOrEqual(want + 1)
                let total = 0
                for (const b of agg.buckets) {
                  expect(b.end - b.start).toBe(agg.bucketWidth)
                  const rows = (await raw.all({ axis, start: b.start, end: b.end, apid: apid ?? null })) as {
                    status: string; n: number; octets: number; maxOctets: number; cMin: number | null; cMax: number | null; cN: number; firstId: number; lastId: number
                  }[]
                  expect(b.byStatus).toEqual(Object.fromEntries(rows.map((r) => [r.status, r.n])))
                  expect(b.packets).toBe(rows.reduce((a, r) => a + r.n, 0))
                  expect(b.octets).toBe(rows.reduce((a, r) => a + r.octets, 0))
                  expect(b.maxOctets).toBe(Math.max(...rows.map((r) => r.maxOctets)))
                  expect(b.cPackets).toBe(rows.reduce((a, r) => a + r.cN, 0))
                  const cs = rows.filter((r) => r.cN > 0)
                  expect([b.cMin, b.cMax]).toEqual(cs.length ? [Math.min(...cs.map((r) => r.cMin!)), Math.max(...cs.map((r) => r.cMax!))] : [null, null])
                  expect([b.firstId, b.lastId]).toEqual([Math.min(...rows.map((r) => r.firstId)), Math.max(...rows.map((r) => r.lastId))])
                  total += b.packets
                  buckets++
                }
                // The buckets cover [from, to) whole, and nothing in it is left out.
                const all = (await raw.all({ axis, start: agg.from, end: agg.to, apid: apid ?? null })) as { n: number }[]
                expect(total).toBe(all.reduce((a, r) => a + r.n, 0))
                expect(agg.total).toBe(total)
                if (from === undefined) expect(total).toBe(await log.count(apid === undefined ? {} : { apid }))
              }
            }
        return buckets
      }
      expect(await check()).toBeGreaterThan(1000)
      // Kept batch by batch, the roll-ups equal a recount from scratch.
      const dump = () => backend.rows(log, 'SELECT * FROM timeline_rollup ORDER BY level, apid, bin, status')
      const incremental = await dump()
      await backend.rebuildRollups(log)
      expect(await dump()).toEqual(incremental)
      expect(new Set((incremental as { level: number }[]).map((r) => r.level))).toEqual(new Set([...TIME_LEVELS, ...ORDER_LEVELS]))
      expect(binWidth(2)).toBe(256_000)
      expect(binWidth(11)).toBe(4096)
      expect((await backend.rows<{ n: number }>(log, 'SELECT SUM(packets) AS n FROM timeline_rollup WHERE level = 13 AND apid = ?', [ALL_APIDS]))[0].n).toBe(2500)
      // The packets of a small range come back themselves.
      const few = await log.timeline({ axis: 'order', from: 100, to: 180, buckets: 10 })
      expect((await log.packetsInRange({ axis: 'order', from: 100, to: 180, limit: 2000 }, few))!.map((p) => p.id)).toEqual(Array.from({ length: 81 }, (_, i) => 100 + i))
      expect(await log.packetsInRange({ axis: 'order', from: 1, to: 2500, limit: 100 })).toBeNull()
      await log.close()
    })
  })
})

describe('upgrade from schema 2', () => {
  it('upgrades a log written by the schema-2 store in place: rows, references, statuses, export, search and timeline', () => {
    const file = join(dir, 'v2.db')
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
    for (const m of MIGRATIONS.slice(0, 2)) {
      m.up(db)
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name)
    }
    db.pragma('user_version = 2')
    // Rows as the schema-2 writer stored them: a good packet with its caption filled, a CRC failure, an unframed
    // span, a span of foreign packets lumped together, a duplicate and a cached decode that refer to packet 1.
    const good = gscPacket(7, 0, 80)
    const crc = gscPacket(7, 1, 81).slice()
    crc[40] ^= 1
    const span = garbage(300)
    const lumped = concat([foreign(0x90, 0), foreign(0x90, 1)])
    const ins = db.prepare(`INSERT INTO packets (received_at, apid, sequence_count, octets, raw, hash, status, crc_ok, error, format_version, width, height, channels, model_id, caption)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const t0 = Date.UTC(2026, 5, 1)
    const caption = decodeGscPacket(good).caption
    ins.run(t0, 7, 0, good.length, Buffer.from(good), sha256(Buffer.from(good)), 'ok', 1, null, 1, 256, 256, 2, 1, caption)
    ins.run(t0 + 1000, 7, 1, crc.length, Buffer.from(crc), sha256(Buffer.from(crc)), 'crc_failed', 0, 'CRC mismatch', 1, 256, 256, 2, 1, null)
    ins.run(t0 + 2000, null, null, span.length, Buffer.from(span), sha256(Buffer.from(span)), 'malformed', null, 'unframed bytes', null, null, null, null, null, null)
    ins.run(t0 + 3000, 0x90, 0, lumped.length, lumped, sha256(lumped), 'malformed', null, 'wrong length', null, null, null, null, null, null)
    db.prepare('INSERT INTO duplicates (packet_id, after_packet_id, received_at) VALUES (1, 2, ?)').run(t0 + 1500)
    db.prepare(`INSERT INTO decodes (packet_id, params_key, created_at) VALUES (1, '{}', 0)`).run()
    db.prepare('INSERT INTO apid_state (apid, last_sequence, last_packet_id) VALUES (7, 0, 1)').run()
    db.close()

    const log = openPacketLog(file)
    const v = new Database(file, { readonly: true })
    expect(v.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version))
    expect(v.pragma('foreign_key_check')).toEqual([])
    v.close()
    expect(SCHEMA_VERSION).toBe(3)
    expect(log.list().map((x) => [x.id, x.status, x.framed])).toEqual([
      [1, 'ok', true], [2, 'crc_failed', true], [3, 'malformed', false], [4, 'malformed', false]
    ])
    expect(log.stats()).toMatchObject({ packets: 4, duplicates: 1, schemaVersion: 3, imageApids: 'auto' })
    expect(log.getDecode(1, {})).toBeDefined()
    const out = join(dir, 'v2.out')
    log.exportCapture(out, { withDuplicates: true })
    expect(Buffer.compare(readFileSync(out), concat([good, crc, good, span, lumped]))).toBe(0)
    expect(log.list({ captionContains: caption.split(' ')[0] }).map((x) => x.id)).toEqual([1])
    expect(log.timeline({ axis: 'time', buckets: 1 }).total).toBe(4)
    // The upgraded log takes new traffic the schema-3 way.
    log.ingest(foreign(0x90, 2))
    expect(log.list({ status: 'foreign' })).toHaveLength(1)
    log.close()
  })
})
