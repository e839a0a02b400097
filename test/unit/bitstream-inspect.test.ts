import { afterAll, describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { inspectPacket } from '../../src/core/bitstream/inspect'
import { payload } from '../fixtures/bitstreamFixtures'

const dir = mkdtempSync(path.join(tmpdir(), 'gsc-inspect-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const root = path.resolve(__dirname, '..', '..')
const good = encodeGscPacket(payload({ seed: 3 }), { apid: 12, sequenceCount: 34 })

function gsc(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'gsc.mjs'), ...args], { encoding: 'utf8', cwd: root })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('inspectPacket', () => {
  it('reports every field of a good packet', () => {
    const r = inspectPacket(good)
    expect(r.ok).toBe(true)
    expect(r.primary).toMatchObject({ apid: 12, sequenceCount: 34, sequenceFlags: 3 })
    expect(r.header).toMatchObject({ formatVersion: 1, width: 768, height: 512, channelIndices: [5] })
    expect(r.crcOk).toBe(true)
    expect(r.crcStored).toBe(r.crcComputed)
    expect(r.bits!.total).toBe(good.length * 8)
    expect(r.caption).toMatch(/^Outdoor scene/)
  })

  it('never throws, and shows what it can of bad packets', () => {
    const flipped = good.slice()
    flipped[good.length - 10] ^= 2
    const r = inspectPacket(flipped)
    expect(r).toMatchObject({ ok: false, crcOk: false })
    expect(r.header?.width).toBe(768) // header still readable, flagged by crcOk=false
    expect(r.error).toMatch(/CRC mismatch/)
    for (const b of [new Uint8Array(0), good.slice(0, 3), good.slice(0, 30), Uint8Array.from([255, 255, 255, 255, 255, 255, 255])]) {
      const x = inspectPacket(b)
      expect(x.ok).toBe(false)
      expect(x.error).toBeTruthy()
    }
    expect(inspectPacket(undefined as unknown as Uint8Array).ok).toBe(false)
  })
})

describe('gsc inspect', () => {
  it('prints one JSON document for a capture with good and bad packets (exit 0)', () => {
    const bad = good.slice()
    bad[30] ^= 1
    const f = path.join(dir, 'cap.bin')
    writeFileSync(f, Buffer.concat([good, bad, Buffer.from('junk'), good]))
    const r = gsc('inspect', f, '--json')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.packets.map((p: { ok: boolean }) => p.ok)).toEqual([true, false, false, true])
    expect(doc.packets[1].error).toMatch(/CRC mismatch/)
    expect(doc.totals).toMatchObject({ packets: 4, ok: 2, bad: 2, crcFailures: 1 })
    expect(doc.packets[0].header.width).toBe(768)
    expect(doc.packets[0].crcOk).toBe(true)
  })

  it('fails with one clear line for missing, empty and garbage files, still printing the JSON document', () => {
    const empty = path.join(dir, 'empty.bin')
    writeFileSync(empty, '')
    const junk = path.join(dir, 'junk.bin')
    writeFileSync(junk, Buffer.from('this is not a packet, just text'))
    for (const [f, msg] of [
      [path.join(dir, 'missing.bin'), /no such file/],
      [empty, /empty file/],
      [junk, /no valid GSC packet/]
    ] as const) {
      const r = gsc('inspect', f, '--json')
      expect(r.code).not.toBe(0)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(/^gsc: /)
      expect(r.stderr).toMatch(msg)
      expect(JSON.parse(r.stdout).error).toMatch(msg)
    }
  })

  it('human output lists header fields per packet', () => {
    const f = path.join(dir, 'one.pkt')
    writeFileSync(f, good)
    const out = execFileSync(process.execPath, [path.join(root, 'bin', 'gsc.mjs'), 'inspect', f], { encoding: 'utf8', cwd: root })
    expect(out).toMatch(/apid 12 seq 34 CRC 0x[0-9a-f]{8} ok/)
    expect(out).toMatch(/768x512/)
  })
})
