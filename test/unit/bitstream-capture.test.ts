import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { MAX_BAD_SPAN, readCapture, type CaptureItem } from '../../src/core/bitstream/capture'
import { GscError } from '../../src/core/util/errors'
import { crc32 } from '../../src/core/bitstream/crc32'
import { payload, prng } from '../fixtures/bitstreamFixtures'

const dir = mkdtempSync(path.join(tmpdir(), 'gsc-capture-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function all(file: string, opts?: Parameters<typeof readCapture>[1]): Promise<CaptureItem[]> {
  const out: CaptureItem[] = []
  for await (const it of readCapture(file, opts)) out.push(it)
  return out
}

const packets = Array.from({ length: 5 }, (_, i) => encodeGscPacket(payload({ seed: i + 1, width: 128 + 16 * i, height: 96 }), { apid: 3, sequenceCount: i }))

describe('readCapture', () => {
  it('yields one item per packet with offsets and inspections', async () => {
    const f = path.join(dir, 'ok.bin')
    writeFileSync(f, Buffer.concat(packets))
    const items = await all(f)
    expect(items.map((i) => i.inspection.ok)).toEqual([true, true, true, true, true])
    let off = 0
    items.forEach((it, i) => {
      expect(it.offset).toBe(off)
      expect(Buffer.from(it.bytes).equals(Buffer.from(packets[i]))).toBe(true)
      expect(it.inspection.primary?.sequenceCount).toBe(i)
      expect(it.inspection.crcOk).toBe(true)
      off += packets[i].length
    })
  })

  it('reports a CRC failure as one bad packet and a garbage span as one item, then resynchronises', async () => {
    const bad = packets[1].slice()
    bad[20] ^= 0x10
    const garbage = Uint8Array.from(Array.from({ length: 333 }, (_, i) => (i * 77 + 13) & 255))
    const f = path.join(dir, 'mixed.bin')
    writeFileSync(f, Buffer.concat([packets[0], bad, garbage, packets[2], packets[3].slice(0, 40)]))
    const items = await all(f)
    expect(items.map((i) => [i.inspection.ok, i.bytes.length])).toEqual([
      [true, packets[0].length],
      [false, bad.length],
      [false, garbage.length],
      [true, packets[2].length],
      [false, 40]
    ])
    expect(items[1].inspection.error).toMatch(/CRC mismatch/)
    expect(items[1].inspection.crcOk).toBe(false)
    expect(items[2].inspection.error).toMatch(/unframed|not a|truncated|packet/)
    expect(items[4].inspection.error).toMatch(/truncated/)
  })

  it('frames a CRC-valid packet of an unknown newer format version and reports it as such', async () => {
    const v2 = packets[2].slice()
    v2[6] = 2
    new DataView(v2.buffer).setUint32(v2.length - 4, crc32(v2, 0, v2.length - 4))
    const f = path.join(dir, 'v2.bin')
    writeFileSync(f, Buffer.concat([packets[0], v2, packets[1]]))
    const items = await all(f)
    expect(items.map((i) => [i.inspection.ok, i.bytes.length])).toEqual([
      [true, packets[0].length],
      [false, v2.length],
      [true, packets[1].length]
    ])
    expect(items[1].inspection.error).toMatch(/unknown GSC format version 2/)
    expect(items[1].inspection.crcOk).toBe(true)
  })

  it('starts at startOffset and stops on abort', async () => {
    const f = path.join(dir, 'ok2.bin')
    writeFileSync(f, Buffer.concat(packets))
    const items = await all(f, { startOffset: packets[0].length + packets[1].length })
    expect(items.map((i) => i.inspection.primary?.sequenceCount)).toEqual([2, 3, 4])
    const ac = new AbortController()
    const seen: number[] = []
    await expect(
      (async () => {
        for await (const it of readCapture(f, { signal: ac.signal })) {
          seen.push(it.offset)
          ac.abort()
        }
      })()
    ).rejects.toThrow(/aborted/)
    expect(seen.length).toBe(1)
  })

  it('clear errors for a missing file and a directory; nothing for an empty file', async () => {
    await expect(all(path.join(dir, 'nope.bin'))).rejects.toThrow(GscError)
    await expect(all(path.join(dir, 'nope.bin'))).rejects.toThrow(/no such file/)
    await expect(all(dir)).rejects.toThrow(/directory/)
    const e = path.join(dir, 'empty.bin')
    writeFileSync(e, '')
    expect(await all(e)).toEqual([])
  })

  it('splits long garbage into bounded items and still finds the packet after it', async () => {
    const f = path.join(dir, 'garbage.bin')
    const rnd = prng(8)
    const g = Buffer.alloc(MAX_BAD_SPAN + 5000)
    for (let i = 0; i < g.length; i++) g[i] = Math.floor(rnd() * 256)
    writeFileSync(f, Buffer.concat([g, packets[4]]))
    const items = await all(f)
    expect(items.every((i) => i.bytes.length <= MAX_BAD_SPAN)).toBe(true)
    expect(items.at(-1)!.inspection.ok).toBe(true)
    expect(items.at(-1)!.offset).toBe(g.length)
    expect(items.slice(0, -1).every((i) => !i.inspection.ok)).toBe(true)
  })

  it('streams a large capture with flat memory', async () => {
    const f = path.join(dir, 'big.bin')
    const fd = openSync(f, 'w')
    const block = Buffer.concat(Array.from({ length: 200 }, (_, i) => packets[i % 5]))
    let total = 0
    for (let i = 0; i < 80; i++) {
      writeSync(fd, block)
      total += 200
    }
    closeSync(fd)
    const before = process.memoryUsage().rss
    let n = 0
    let peak = before
    for await (const it of readCapture(f)) {
      if (!it.inspection.ok) throw new Error('bad packet in a clean capture')
      if (++n % 5000 === 0) peak = Math.max(peak, process.memoryUsage().rss)
    }
    expect(n).toBe(total)
    expect(peak - before).toBeLessThan(64 * 1024 * 1024)
  })
})
