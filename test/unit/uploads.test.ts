// The engine's upload area: chunked writes, references, its limits, and that it does not fill the disk.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { UploadArea } from '../../src/core/service/uploads'

const root = mkdtempSync(path.join(tmpdir(), 'gsc-uploads-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('UploadArea', () => {
  it('assembles chunks, refuses bad offsets and short uploads', () => {
    const area = new UploadArea(path.join(root, 'a'))
    const id = area.begin('cap.bin', 6)
    area.chunk(id, 0, Buffer.from('abc'))
    expect(() => area.chunk(id, 1, Buffer.from('x'))).toThrow(/expected 3/)
    expect(() => area.chunk(id, 3, Buffer.from('defg'))).toThrow(/more bytes than announced/)
    area.chunk(id, 3, Buffer.from('def'))
    const { fileRef, octets } = area.end(id)
    expect(octets).toBe(6)
    expect(area.resolve(fileRef).name).toBe('cap.bin')
    const short = area.begin('short.bin', 4)
    area.chunk(short, 0, Buffer.from('ab'))
    expect(() => area.end(short)).toThrow(/got 2 of 4 bytes/)
    area.close()
  })

  it('deletes its own files on close, never a file chosen in a dialog', () => {
    const dir = path.join(root, 'b')
    const area = new UploadArea(dir)
    const done = area.end((() => {
      const id = area.begin('one.bin', 1)
      area.chunk(id, 0, Buffer.from('1'))
      return id
    })())
    const partial = area.begin('two.bin', 10)
    area.chunk(partial, 0, Buffer.from('22'))
    const chosen = path.join(root, 'chosen.bin')
    writeFileSync(chosen, 'keep me')
    const ref = area.registerPath(chosen)
    expect(readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.bin'))).toHaveLength(2)
    area.close()
    expect(readdirSync(dir)).toHaveLength(0)
    expect(existsSync(chosen)).toBe(true)
    expect(() => area.resolve(done.fileRef)).toThrow(/unknown file reference/)
    expect(() => area.resolve(ref)).toThrow(/unknown file reference/)
  })

  it('cleans at start what engines no longer running left behind, never a running engine\'s folder', () => {
    const dir = path.join(root, 'c')
    const running = new UploadArea(dir) // this process: alive
    const id = running.begin('live.bin', 10)
    const host = os.hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host'
    const dead = path.join(dir, `${host}-4194305-deadbeef`) // above Linux's largest pid: not running
    const abroad = path.join(dir, 'other.station-12-abcdefgh') // another machine's, fresh: kept a day
    for (const d of [dead, abroad]) {
      mkdirSync(d)
      writeFileSync(path.join(d, 'x.bin'), 'x')
    }
    const loose = path.join(dir, 'old-version.bin')
    const other = path.join(dir, 'notes.txt')
    writeFileSync(loose, 'x')
    writeFileSync(other, 'x')
    const area = new UploadArea(dir)
    expect(area.sweptAtStart).toBe(2)
    expect(existsSync(dead)).toBe(false)
    expect(existsSync(loose)).toBe(false)
    expect(existsSync(abroad)).toBe(true)
    expect(existsSync(other)).toBe(true)
    expect(running.chunk(id, 0, Buffer.from('0123456789'))).toBe(10) // the running engine's upload is untouched
    running.close()
    area.close()
  })

  it('bounds unfinished uploads per client and in total, and announced sizes by the limit and the free disk', () => {
    const dir = path.join(root, 'd')
    const area = new UploadArea(dir, { perClient: 2, total: 3, maxBytes: 1000 })
    area.begin('a', 10, 'c1')
    area.begin('b', 10, 'c1')
    expect(() => area.begin('c', 10, 'c1')).toThrow(/this client already has 2 unfinished upload\(s\), the limit is 2/)
    const third = area.begin('d', 10, 'c2')
    expect(() => area.begin('e', 10, 'c3')).toThrow(/3 uploads are in progress on the station, the limit is 3/)
    expect(() => area.chunk(third, 0, Buffer.from('x'), 'c1')).toThrow(/no upload .* in progress/) // only its own client writes to it
    area.dropClient('c1')
    expect(area.inProgress).toBe(1)
    expect(() => area.begin('big', 1001, 'c3')).toThrow(/announces 1001 bytes, more than the station's limit of 1000 bytes/)
    area.close()
    const free = statfsSync(root)
    const bytes = Number(free.bavail) * Number(free.bsize)
    const roomy = new UploadArea(path.join(root, 'e'), { maxBytes: Number.MAX_SAFE_INTEGER, reserveBytes: 0 })
    const err = (() => {
      try {
        roomy.begin('huge.bin', bytes + 1024 ** 3)
      } catch (e) {
        return e as Error & { code: string }
      }
    })()
    expect(err?.code).toBe('ELIMIT')
    expect(err?.message).toMatch(/disk space is free on the station/)
    expect(err?.message).not.toContain(root)
    // announced but unsent bytes count as used: two uploads that fit one at a time do not fit together
    const half = Math.floor(bytes / 2) + 1024 ** 2
    roomy.begin('one.bin', half)
    expect(() => roomy.begin('two.bin', half)).toThrow(/disk space/)
    roomy.close()
  })

  it('drops an idle upload and removes its file, and keeps only the newest finished uploads', async () => {
    const dir = path.join(root, 'f')
    const dropped: unknown[] = []
    const area = new UploadArea(dir, { idleMs: 150, keepFinished: 2 }, (d) => dropped.push(d))
    const files = () => readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.bin'))
    const id = area.begin('slow.bin', 10)
    area.chunk(id, 0, Buffer.from('01234'))
    expect(files()).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 400))
    expect(files()).toHaveLength(0)
    expect(dropped).toEqual([{ name: 'slow.bin', received: 5, size: 10, reason: 'idle' }])
    expect(() => area.chunk(id, 5, Buffer.from('56789'))).toThrow(/dropped after 150 ms without data; its bytes were discarded/)
    const refs = ['1', '2', '3'].map((n) => {
      const u = area.begin(`${n}.bin`, 1)
      area.chunk(u, 0, Buffer.from(n))
      return area.end(u).fileRef
    })
    expect(files()).toHaveLength(2)
    expect(() => area.resolve(refs[0])).toThrow(/unknown file reference/)
    expect(area.resolve(refs[2]).name).toBe('3.bin')
    area.close()
    expect(existsSync(dir) && files()).toEqual([])
  })
})
