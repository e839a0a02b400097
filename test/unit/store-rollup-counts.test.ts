// The timeline roll-up counter (src/core/store/timeline.ts) counts each packet in the finest bins only and derives the
// coarser levels and the all-APIDs rows when a batch is taken; its rows must equal those of counting every packet at
// every level and APID directly, which this test does the plain way.
import { describe, expect, it } from 'vitest'
import { ALL_APIDS, NO_APID, ORDER_LEVELS, RollupCounts, TIME_LEVELS, binWidth, type RollupRow } from '../../src/core/store/timeline'
import type { PacketStatus } from '../../src/core/store/types'

type P = { id: number; receivedAt: number; apid: number | null; status: PacketStatus; octets: number; channels: number | null }

/** Every packet counted at every level, for its APID and for all APIDs. */
function countDirectly(packets: P[]): RollupRow[] {
  const rows = new Map<string, RollupRow>()
  for (const p of packets)
    for (const level of [...TIME_LEVELS, ...ORDER_LEVELS])
      for (const apid of [p.apid ?? NO_APID, ALL_APIDS]) {
        const bin = Math.floor((level >= 10 ? p.id : p.receivedAt) / binWidth(level))
        const key = `${level}:${bin}:${apid}:${p.status}`
        const a = rows.get(key) ?? { level, bin, apid, status: p.status, packets: 0, octets: 0, maxOctets: 0, cN: 0, cSum: 0, cMin: null, cMax: null, firstId: p.id, lastId: p.id }
        rows.set(key, a)
        a.packets++
        a.octets += p.octets
        a.maxOctets = Math.max(a.maxOctets, p.octets)
        if (p.channels !== null) {
          a.cN++
          a.cSum += p.channels
          a.cMin = a.cMin === null ? p.channels : Math.min(a.cMin, p.channels)
          a.cMax = a.cMax === null ? p.channels : Math.max(a.cMax, p.channels)
        }
        a.firstId = Math.min(a.firstId, p.id)
        a.lastId = Math.max(a.lastId, p.id)
      }
  return [...rows.values()]
}

const sorted = (rows: RollupRow[]) => [...rows].sort((x, y) => x.level - y.level || x.apid - y.apid || x.bin - y.bin || x.status.localeCompare(y.status))

describe('RollupCounts', () => {
  it('gives the rows of counting every packet at every level and APID, batch by batch', () => {
    let x = 7
    const rnd = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n)
    const statuses: PacketStatus[] = ['ok', 'ok', 'ok', 'crc_failed', 'malformed', 'foreign', 'idle']
    const counter = new RollupCounts()
    let id = 1
    let t = Date.UTC(2026, 10, 29, 23, 59, 50) // bins of every level roll over within the run
    let compared = 0
    for (let batch = 0; batch < 40; batch++) {
      const packets: P[] = []
      const size = 1 + rnd(600)
      for (let k = 0; k < size; k++) {
        t += rnd(8) === 0 ? rnd(40_000_000) : rnd(300) // bursts, and gaps that cross coarse bins
        const status = statuses[rnd(statuses.length)]
        const apid = status === 'malformed' && rnd(2) === 0 ? null : status === 'idle' ? 2047 : [5, 6, 0x61][rnd(3)]
        packets.push({ id: id++, receivedAt: t, apid, status, octets: 40 + rnd(400), channels: status === 'ok' || rnd(3) === 0 ? 1 + rnd(16) : null })
      }
      for (const p of packets) counter.add(p)
      const got = sorted(counter.take())
      const want = sorted(countDirectly(packets))
      expect(got).toEqual(want)
      compared += want.length
    }
    expect(compared).toBeGreaterThan(2000)
    expect(counter.take()).toEqual([]) // take() empties the counter
  })

  it('counts receive times before 1970 and far ahead the same way', () => {
    const packets: P[] = [-5_000_123, -1, 0, 999, 4e12, 8.64e15].map((receivedAt, k) => ({ id: 300 + k * 1000, receivedAt, apid: k % 2 ? null : 9, status: 'ok', octets: 100 + k, channels: k }))
    const counter = new RollupCounts()
    for (const p of packets) counter.add(p)
    expect(sorted(counter.take())).toEqual(sorted(countDirectly(packets)))
  })
})
