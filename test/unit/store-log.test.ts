// Packet log round trip, duplicates, bad packets, gaps, queries, events: one suite, run on a real SQLite file and on a
// real PostgreSQL server (a private cluster started for this file).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeGscPacket } from '../../src/core/bitstream/gscPacket'
import type { PacketArchive } from '../../src/core/store/archive'
import { storeBackends } from '../support/storeBackends'
import { concat, gscPacket, reframe, writeCapture } from '../fixtures/storeFixtures'

describe.each(storeBackends())('packet log on $name', (backend) => {
  const dir = backend.dir
  beforeAll(() => backend.start(), 120_000)
  afterAll(() => backend.stop())
  let n = 0
  const fresh = async (): Promise<{ log: PacketArchive; cap: string; out: string }> => {
    n++
    return { log: (await backend.fresh()).log, cap: join(dir, `cap${n}.bin`), out: join(dir, `out${n}.bin`) }
  }

  describe('import/export round trip', () => {
    it('exports exactly the bytes imported, and a second import of the same file is a no-op', async () => {
      const { log, cap, out } = await fresh()
      const parts = Array.from({ length: 300 }, (_, i) => gscPacket(3 + (i % 2), i >> 1, i))
      const input = writeCapture(cap, parts)
      const r = await log.importCapture(cap, { batchPackets: 64 })
      expect(r).toMatchObject({ imported: 300, duplicates: 0, bad: 0, gaps: 0, resumedFrom: 0, committedOffset: input.length })
      // Captions are decoded from the stored bytes (lazily) and searchable.
      const want = decodeGscPacket(parts[17]).caption
      const hits = await log.list({ captionContains: want })
      expect(hits.map((h) => h.id)).toContain(18)
      for (const h of hits) expect(h.caption).toContain(want)
      expect((await log.get(250))!.caption).toBe(decodeGscPacket(parts[249]).caption)
      const e = await log.exportCapture(out)
      expect(e.packets).toBe(300)
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      const again = await log.importCapture(cap)
      expect(again.alreadyComplete).toBe(true)
      expect(again.imported).toBe(0)
      expect((await log.stats()).packets).toBe(300)
      // Re-reading from scratch finds only duplicates, which are counted, not stored.
      const restart = await log.importCapture(cap, { resume: false })
      expect(restart).toMatchObject({ imported: 0, duplicates: 300 })
      expect(await log.stats()).toMatchObject({ packets: 300, duplicates: 300 })
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      // APID filter keeps receive order within the APID.
      await log.exportCapture(out, { apid: 4 })
      expect(Buffer.compare(readFileSync(out), concat(parts.filter((_, i) => i % 2 === 1)))).toBe(0)
      await log.close()
    })

    it('stores a repeated packet once and can re-emit it where it arrived', async () => {
      const { log, cap, out } = await fresh()
      const [a, b, c] = [gscPacket(7, 0, 1), gscPacket(7, 1, 2), gscPacket(7, 2, 3)]
      const input = writeCapture(cap, [a, b, a, c, c])
      const r = await log.importCapture(cap)
      expect(r).toMatchObject({ imported: 3, duplicates: 2, gaps: 0 })
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out), concat([a, b, c]))).toBe(0)
      const e = await log.exportCapture(out, { withDuplicates: true })
      expect(e).toMatchObject({ packets: 3, duplicates: 2 })
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      await log.close()
    })

    it('logs a corrupt packet, a garbage span and a truncated tail as bad and imports the rest', async () => {
      const { log, cap, out } = await fresh()
      const parts = Array.from({ length: 40 }, (_, i) => gscPacket(9, i, 100 + i))
      const flipped = parts[10].slice()
      flipped[40] ^= 0x10 // bit flip inside the payload: CRC fails
      parts[10] = flipped
      const garbage = Uint8Array.from({ length: 37 }, (_, i) => (i * 73 + 11) & 0xff)
      const tail = gscPacket(9, 40, 999).subarray(0, 50)
      const input = writeCapture(cap, [...parts.slice(0, 20), garbage, ...parts.slice(20), tail])
      const r = await log.importCapture(cap)
      expect(r.imported).toBe(42)
      expect(r.crcFailed).toBe(1)
      expect(r.malformed).toBe(2)
      expect(r.bad).toBe(3)
      const s = await log.stats()
      // (schema 3 counts foreign and idle packets too; this capture has none)
      expect(s.byStatus).toEqual({ ok: 39, crc_failed: 1, malformed: 2, foreign: 0, idle: 0 })
      const bad = await log.list({ status: 'crc_failed' })
      expect(bad).toHaveLength(1)
      expect(bad[0]).toMatchObject({ sequenceCount: 10, apid: 9, crcOk: false, sourceOffset: parts.slice(0, 10).reduce((a, p) => a + p.length, 0) })
      expect(bad[0].error).toMatch(/CRC/i)
      const mal = await log.list({ status: 'malformed' })
      expect(mal.map((m) => m.octets)).toEqual([37, 50])
      // The CRC-failed packet is a loss for gap purposes: count 10 is missing.
      expect(await log.gaps()).toMatchObject([{ apid: 9, afterSequence: 9, beforeSequence: 11, missing: 1 }])
      await log.exportCapture(out)
      expect(Buffer.compare(readFileSync(out), input)).toBe(0)
      const file = backend.file(log) // (a database server has no file to export over)
      if (file) await expect(log.exportCapture(file)).rejects.toThrow(/refusing to export over the packet log/)
      await log.exportCapture(out, { status: 'ok' })
      expect(readFileSync(out).length).toBe(parts.filter((_, i) => i !== 10).reduce((a, p) => a + p.length, 0))
      await log.close()
    })
  })

  describe('sequence gaps (14-bit counts, per APID)', () => {
    const base = gscPacket(1, 0, 5000)
    const seqCapture = (cap: string, seqs: [number, number][]) => writeCapture(cap, seqs.map(([apid, s], i) => reframe(gscPacket(1, 0, 6000 + i), apid, s)))

    it('records missing counts, across the 16383 -> 0 wrap, independently per APID', async () => {
      const { log, cap } = await fresh()
      const seqs: [number, number][] = []
      for (let s = 0; s <= 9; s++) seqs.push([1, s])
      for (let s = 13; s <= 15; s++) seqs.push([1, s]) // 10..12 missing
      for (const s of [16381, 16382, 16383, 0, 1, 3]) seqs.push([2, s]) // wrap is not a gap; 2 missing
      seqs.push([1, 16]) // APID 1 continues, unaffected by APID 2
      for (const s of [16382, 1]) seqs.push([3, s]) // gap across the wrap: 16383 and 0 missing
      seqCapture(cap, seqs)
      const r = await log.importCapture(cap)
      expect(r.gaps).toBe(3)
      expect(r.missing).toBe(3 + 1 + 2)
      expect((await log.gaps()).map((g) => [g.apid, g.afterSequence, g.beforeSequence, g.missing])).toEqual([
        [1, 9, 13, 3],
        [2, 1, 3, 1],
        [3, 16382, 1, 2]
      ])
      const s = await log.stats()
      expect(s).toMatchObject({ gaps: 3, missing: 6 })
      expect(s.perApid.map((a) => [a.apid, a.packets, a.gaps, a.missing])).toEqual([[1, 14, 1, 3], [2, 6, 1, 1], [3, 2, 1, 2]])
      await log.close()
    })

    it('a late packet fills (splits) the gap it belongs to, also across batches and imports', async () => {
      const { log, cap } = await fresh()
      seqCapture(cap, [[5, 0], [5, 1], [5, 2], [5, 7], [5, 4]])
      await log.importCapture(cap, { batchPackets: 2 })
      expect((await log.gaps()).map((g) => [g.afterSequence, g.beforeSequence, g.missing])).toEqual([[2, 4, 1], [4, 7, 2]])
      // Live ingestion continues from the stored per-APID state.
      await log.ingest(reframe(base, 5, 3))
      await log.ingest(reframe(base, 5, 10))
      expect((await log.gaps()).map((g) => [g.afterSequence, g.beforeSequence, g.missing])).toEqual([[4, 7, 2], [7, 10, 2]])
      // Rebuilding derived data from raw packets gives the same gaps.
      await backend.exec(log, 'DELETE FROM gaps; DELETE FROM apid_state;')
      await log.rebuildDerived()
      expect((await log.gaps()).map((g) => [g.afterSequence, g.beforeSequence, g.missing])).toEqual([[4, 7, 2], [7, 10, 2]])
      await log.close()
    })
  })

  describe('queries, live ingest, events', () => {
    it('lists with filters and ordering, gets raw bytes, detects live duplicates', async () => {
      const { log } = await fresh()
      const t0 = Date.parse('2026-01-01T00:00:00Z')
      const pkts = [
        gscPacket(10, 0, 1, { channels: 1 }),
        gscPacket(10, 1, 2, { channels: 4 }),
        gscPacket(11, 0, 3, { channels: 16 }),
        gscPacket(10, 2, 4, { channels: 8 })
      ]
      const ids = []
      for (const [i, p] of pkts.entries()) ids.push(await log.ingest(p, new Date(t0 + i * 1000)))
      expect(ids.map((r) => r.duplicate)).toEqual([false, false, false, false])
      const dup = await log.ingest(pkts[1], new Date(t0 + 9000))
      expect(dup).toMatchObject({ duplicate: true, id: ids[1].id })
      expect(await log.stats()).toMatchObject({ packets: 4, duplicates: 1 })

      expect((await log.list({ apid: 10 })).map((p) => p.sequenceCount)).toEqual([0, 1, 2])
      expect((await log.list({ minC: 4, maxC: 8 })).map((p) => p.channels)).toEqual([4, 8])
      expect((await log.list({ orderBy: 'channels', desc: true, limit: 2 })).map((p) => p.channels)).toEqual([16, 8])
      expect((await log.list({ limit: 2, offset: 1 })).map((p) => p.id)).toEqual([ids[1].id, ids[2].id])
      expect((await log.list({ from: new Date(t0 + 1000), to: new Date(t0 + 2000).toISOString() })).map((p) => p.id)).toEqual([ids[1].id, ids[2].id])
      const cap = (await log.get(ids[2].id))!
      expect(cap.caption).toMatch(/ 3$/)
      expect((await log.list({ captionContains: cap.caption!.split(' ')[0] })).length).toBeGreaterThan(0)
      expect(await log.list({ captionContains: '%' })).toEqual([])
      expect(await log.count({ apid: 10 })).toBe(3)
      expect((await log.list({ afterId: ids[1].id })).map((p) => p.id)).toEqual([ids[2].id, ids[3].id])
      expect(Buffer.compare(Buffer.from(cap.raw), Buffer.from(pkts[2]))).toBe(0)
      expect(cap.header).toMatchObject({ width: 256, height: 256, channelIndices: expect.any(Array) })
      expect(cap.receivedAt).toBe(new Date(t0 + 2000).toISOString())
      expect(await log.get(12345)).toBeUndefined()
      await log.close()
    })

    it('keeps an event log and a decode cache keyed by packet and parameters', async () => {
      const { log } = await fresh()
      const id = (await log.ingest(gscPacket(2, 0, 77))).id
      await log.addEvent({ severity: 'info', source: 'import', message: 'pass started' })
      await log.addEvent({ severity: 'warning', source: 'decoder', message: 'low confidence', packetId: id, data: { f1: 0.4 } })
      const ev = await log.listEvents()
      expect(ev.map((e) => e.message)).toEqual(['low confidence', 'pass started'])
      expect(ev[0]).toMatchObject({ severity: 'warning', packetId: id, data: { f1: 0.4 } })
      expect(await log.listEvents({ severity: 'info' })).toHaveLength(1)
      expect(await log.listEvents({ afterId: ev[1].id })).toHaveLength(1)
      await log.putDecode(id, { steps: 8, seed: 1 }, { result: { psnr: 20 } })
      expect((await log.getDecode(id, { seed: 1, steps: 8 }))?.result).toEqual({ psnr: 20 })
      expect(await log.getDecode(id, { seed: 2, steps: 8 })).toBeUndefined()
      const planId = await log.savePlan({ alpha: 1 }, { c: [1, 2] }, 'pass 12')
      expect((await log.listPlans())[0]).toMatchObject({ id: planId, name: 'pass 12', result: { c: [1, 2] } })
      await log.close()
    })
  })

  describe('live sharing', () => {
    it('a second instance on the same archive hears of packets the first one stores, within 1 s', async () => {
      const { log, location } = await backend.fresh()
      const other = await backend.open(location)
      const heard: { at: number; lastId: number }[] = []
      const stop = await other.subscribe((c) => heard.push({ at: Date.now(), lastId: c.lastId }))
      const t0 = Date.now()
      const r = await log.ingest(gscPacket(12, 0, 4242))
      while (heard.length === 0 && Date.now() - t0 < 3000) await new Promise((res) => setTimeout(res, 10))
      expect(heard.length).toBeGreaterThan(0)
      expect(heard[0].at - t0).toBeLessThan(1000)
      expect(heard[heard.length - 1].lastId).toBe(r.id)
      expect((await other.list({ afterId: r.id - 1 })).map((p) => p.id)).toEqual([r.id])
      await stop()
      const after = heard.length
      await log.ingest(gscPacket(12, 1, 4243))
      await new Promise((res) => setTimeout(res, 600))
      expect(heard.length).toBe(after) // unsubscribed: nothing more
      await other.close()
      await log.close()
    })
  })

  describe('bad input', () => {
    it('refuses empty and non-capture files with one clear line and writes nothing', async () => {
      const { log, cap } = await fresh()
      writeFileSync(cap, '')
      await expect(log.importCapture(cap)).rejects.toThrow(/is empty/)
      writeFileSync(cap, Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24)))
      await expect(log.importCapture(cap)).rejects.toThrow(/not a packet capture/)
      await expect(log.importCapture(join(dir, 'nope.bin'))).rejects.toThrow(/cannot read capture/)
      expect(await log.stats()).toMatchObject({ packets: 0, imports: 0 })
      await log.close()
    })
  })
})
