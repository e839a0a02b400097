// The engine's API over a log with foreign traffic (issue 19 groups 5 and 7): the aggregated timeline (buckets at the
// zoom asked for, the packets themselves when few), APID filters, foreign and idle packets shown as such, caption
// search through the index, and the image-APID station setting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePrimaryHeader } from '../../src/core/bitstream/ccsds'
import { decodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { EngineService } from '../../src/core/service/engineService'
import { openPacketLog } from '../../src/core/store/packetLog'
import { concat, gscPacket } from '../fixtures/storeFixtures'

let dir: string
let svc: EngineService
const captions: string[] = []

function foreign(apid: number, seq: number): Uint8Array {
  const p = new Uint8Array(40 + (seq % 30))
  writePrimaryHeader(p, { version: 0, type: 0, secondaryHeaderFlag: 1, apid, sequenceFlags: 3, sequenceCount: seq, dataFieldOctets: p.length - 6 })
  for (let i = 6; i < p.length; i++) p[i] = (i * 31 + seq * 7) & 0xff
  return p
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-service-timeline-'))
  const db = path.join(dir, 'log.db')
  // 3,000 items: images on APID 12 (every third), housekeeping on APID 500, an idle packet now and then.
  const parts: Uint8Array[] = []
  for (let k = 0; k < 3000; k++) {
    if (k % 3 === 0) {
      const p = gscPacket(12, k / 3, 2000 + k)
      captions.push(decodeGscPacket(p).caption)
      parts.push(p)
    } else if (k % 50 === 1) {
      const idle = new Uint8Array(16)
      writePrimaryHeader(idle, { version: 0, type: 0, secondaryHeaderFlag: 0, apid: 2047, sequenceFlags: 3, sequenceCount: k, dataFieldOctets: 10 })
      parts.push(idle)
    } else parts.push(foreign(500, k))
  }
  const cap = path.join(dir, 'pass.bin')
  writeFileSync(cap, concat(parts))
  const log = openPacketLog(db)
  await log.importCapture(cap)
  log.close()
  svc = await EngineService.open({ dbFile: db, frontDoor: 'serve' })
})
afterAll(async () => {
  await svc.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('timeline and packet list over foreign traffic', () => {
  it('answers with buckets at the zoom asked for, or with the packets when the range holds few', async () => {
    const whole = (await svc.call('timeline', { axis: 'order', buckets: 30 })).view!
    expect(whole.detail).toBe(false)
    expect(whole.packets).toEqual([])
    expect(whole.total).toBe(3000)
    expect(whole.buckets.length).toBeLessThanOrEqual(31)
    const by = (s: string) => whole.buckets.reduce((a, b) => a + (b.byStatus[s as 'ok'] ?? 0), 0)
    expect([by("ok"), by("foreign"), by("idle")]).toEqual([1000, 1960, 40])
    // Zoomed in: the packets of the range themselves, foreign ones shown as such.
    const near = (await svc.call('timeline', { axis: 'order', start: 100, end: 130, buckets: 30 })).view!
    expect(near.detail).toBe(true)
    expect(near.packets.map((p) => p.id)).toEqual(Array.from({ length: 31 }, (_, i) => 100 + i))
    expect(near.packets.find((p) => p.apid === 500)).toMatchObject({ status: 'foreign', caption: null, c: null, error: null })
    // One APID only.
    const hk = (await svc.call('timeline', { axis: 'order', buckets: 10, apid: 500 })).view!
    expect(hk.total).toBe(1960)
    expect(hk.buckets.every((b) => Object.keys(b.byStatus).join() === 'foreign')).toBe(true)
    const t = (await svc.call('timeline', { axis: 'time', buckets: 5 })).view!
    expect(t.total).toBe(3000)
    // The packet list filters by status and APID, and finds captions through the index.
    expect((await svc.call('listPackets', { status: "foreign", limit: 1 })).total).toBe(1960)
    expect((await svc.call('listPackets', { status: 'idle', apid: 2047 })).total).toBe(40)
    const word = captions[10].split(' ')[0]
    const hits = await svc.call('listPackets', { text: word, limit: 5000 })
    expect(hits.total).toBe(captions.filter((c) => c.split(' ').includes(word)).length)
    expect(hits.totalAtLeast).toBeUndefined()
    expect(hits.packets.every((p) => p.apid === 12 && p.caption!.includes(word))).toBe(true)
    expect((await svc.call('listPackets', { text: captions[10] })).packets.map((p) => p.id)).toEqual([31])
  })

  it('keeps the image-APID setting in the log and re-classifies when it changes', async () => {
    expect((await svc.call('getSettings', {})).imageApids).toBe('auto')
    const s = await svc.call('setSettings', { imageApids: [13] })
    expect(s.imageApids).toEqual([13])
    expect((await svc.call('listPackets', { status: 'ok' })).total).toBe(0)
    expect((await svc.call('listPackets', { status: 'foreign', apid: 12 })).total).toBe(1000)
    await expect(svc.call('reconstruct', { id: 1 })).rejects.toThrow('packet 1 is a packet of APID 12, not an image APID, not a GSC image; it cannot be decoded')
    const whole = (await svc.call('timeline', { axis: 'order', buckets: 1 })).view!
    expect(whole.buckets[0].byStatus).toEqual({ foreign: 2960, idle: 40 })
    expect((await svc.call('setSettings', { imageApids: 'auto' })).imageApids).toBe('auto')
    expect((await svc.call('listPackets', { status: 'ok', apid: 12 })).total).toBe(1000)
    expect((await svc.call('listEvents', { limit: 20 })).some((e) => /image APIDs now 13: 3000 packets re-classified/.test(e.message))).toBe(true)
  })
})
