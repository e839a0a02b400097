// The engine's upload area: chunked writes, references, and that it does not fill the disk.
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
    expect(readdirSync(dir)).toHaveLength(2)
    area.close()
    expect(readdirSync(dir)).toHaveLength(0)
    expect(existsSync(chosen)).toBe(true)
    expect(() => area.resolve(done.fileRef)).toThrow(/unknown file reference/)
    expect(() => area.resolve(ref)).toThrow(/unknown file reference/)
  })

  it('sweeps files a crashed engine left behind once they are a day old', () => {
    const dir = path.join(root, 'c')
    new UploadArea(dir) // creates the folder
    const old = path.join(dir, 'old.bin')
    const fresh = path.join(dir, 'fresh.bin')
    const other = path.join(dir, 'notes.txt')
    for (const f of [old, fresh, other]) writeFileSync(f, 'x')
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000
    utimesSync(old, twoDaysAgo, twoDaysAgo)
    utimesSync(other, twoDaysAgo, twoDaysAgo)
    const area = new UploadArea(dir)
    expect(area.sweptAtStart).toBe(1)
    expect(existsSync(old)).toBe(false)
    expect(existsSync(fresh)).toBe(true)
    expect(existsSync(other)).toBe(true)
    area.close()
  })
})
