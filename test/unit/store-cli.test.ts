// The log commands end to end through bin/gsc.mjs: --json documents, round trip, and one-line
// errors with a non-zero exit code for every kind of bad input.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { gscPacket, writeCapture } from '../fixtures/storeFixtures'

const dir = mkdtempSync(join(tmpdir(), 'gsc-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function gsc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/gsc.mjs', ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function expectOneLineError(r: ReturnType<typeof gsc>, pattern: RegExp) {
  expect(r.code).not.toBe(0)
  expect(r.stdout).toBe('')
  const lines = r.stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^gsc: /)
  expect(lines[0]).toMatch(pattern)
  expect(lines[0]).not.toMatch(/internal error/)
}

describe('gsc log import / export / stats / replay', () => {
  it('round-trips a capture byte for byte and reports JSON summaries', () => {
    const cap = join(dir, 'pass.bin')
    const db = join(dir, 'pass.db')
    const out = join(dir, 'pass.out')
    const parts = Array.from({ length: 120 }, (_, i) => gscPacket(20, i === 60 ? 200 : i, i))
    const input = writeCapture(cap, parts)
    const imp = gsc('log', 'import', cap, '--db', db, '--json')
    expect(imp.code).toBe(0)
    const s = JSON.parse(imp.stdout)
    expect(s).toMatchObject({ imported: 120, duplicates: 0, bad: 0, resumedFrom: 0, gaps: 2, missing: 81 })
    expect(typeof s.seconds).toBe('number')
    const exp = gsc('log', 'export', '--db', db, '-o', out, '--json')
    expect(exp.code).toBe(0)
    expect(JSON.parse(exp.stdout)).toMatchObject({ packets: 120, bytes: input.length })
    expect(Buffer.compare(readFileSync(out), input)).toBe(0)
    const st = gsc('log', 'stats', '--db', db, '--json', '--gaps', '10')
    expect(st.code).toBe(0)
    const stats = JSON.parse(st.stdout)
    expect(stats).toMatchObject({ packets: 120, duplicates: 0, byStatus: { ok: 120 }, perApid: [{ apid: 20, packets: 120 }] })
    // Count 60 arrived as 200: 60 is missing, and 61..119 arrive "late" relative to 200, so what
    // remains open is 120..199.
    expect(stats.gapList.map((g: { afterSequence: number; beforeSequence: number; missing: number }) => [g.afterSequence, g.beforeSequence, g.missing])).toEqual([
      [59, 61, 1],
      [119, 200, 80]
    ])
    // Replay at 400 packets/s: receive times spaced 2.5 ms apart, all packets already known.
    const rp = gsc('replay', cap, '--db', join(dir, 'replay.db'), '--rate', '400', '--json')
    expect(rp.code).toBe(0)
    const r = JSON.parse(rp.stdout)
    expect(r).toMatchObject({ kind: 'replay', imported: 120, rate: 400 })
    expect(r.seconds).toBeGreaterThan(119 / 400 - 0.05)
    const rdb = new Database(join(dir, 'replay.db'), { readonly: true })
    const times = rdb.prepare('SELECT received_at FROM packets ORDER BY id').pluck().all() as number[]
    rdb.close()
    expect(times[119] - times[0]).toBeGreaterThanOrEqual(Math.floor((119 * 1000) / 400) - 1)
    expect(times[119] - times[0]).toBeLessThanOrEqual(Math.ceil((119 * 1000) / 400) + 1)
  })

  it('stops a paced replay cleanly on Ctrl-C with what was ingested committed', async () => {
    const cap = join(dir, 'slow.bin')
    const db = join(dir, 'slow.db')
    writeCapture(cap, Array.from({ length: 400 }, (_, i) => gscPacket(30, i, 5000 + i)))
    const child = spawn(process.execPath, ['bin/gsc.mjs', 'replay', cap, '--db', db, '--rate', '40', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    const code: number = await new Promise((resolve) => {
      const t0 = Date.now()
      // Interrupt once some packets are committed (about 1 s into the replay).
      const poll = setInterval(() => {
        let n = 0
        try {
          const d = new Database(db, { readonly: true, fileMustExist: true })
          n = (d.prepare('SELECT COUNT(*) FROM packets').pluck().get() as number) ?? 0
          d.close()
        } catch {
          /* not created yet */
        }
        if (n >= 20 || Date.now() - t0 > 30_000) (clearInterval(poll), child.kill('SIGINT'))
      }, 100)
      child.on('exit', (c) => resolve(c ?? -1))
    })
    expect(code).toBe(0)
    const r = JSON.parse(out)
    expect(r.interrupted).toBe(true)
    expect(r.imported).toBeGreaterThanOrEqual(20)
    expect(r.imported).toBeLessThan(400)
    const d = new Database(db, { readonly: true })
    expect(d.prepare('SELECT COUNT(*) FROM packets').pluck().get()).toBe(r.imported)
    expect(d.prepare('SELECT status FROM imports').pluck().get()).toBe('interrupted')
    d.close()
  })

  it('answers bad input with one line and a non-zero exit code', () => {
    const db = join(dir, 'bad.db')
    expectOneLineError(gsc('log', 'import', join(dir, 'missing.bin'), '--db', db), /cannot read capture .*missing\.bin/)
    writeFileSync(join(dir, 'empty.bin'), '')
    expectOneLineError(gsc('log', 'import', join(dir, 'empty.bin'), '--db', db), /is empty/)
    writeFileSync(join(dir, 'garbage.bin'), Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 2654435761) >>> 24)))
    expectOneLineError(gsc('log', 'import', join(dir, 'garbage.bin'), '--db', db), /not a packet capture/)
    writeFileSync(join(dir, 'notes.db'), 'plain text, not SQLite\n'.repeat(5))
    expectOneLineError(gsc('log', 'stats', '--db', join(dir, 'notes.db')), /not a SQLite database/)
    expectOneLineError(gsc('log', 'stats', '--db', join(dir, 'absent.db')), /no packet log at/)
    expectOneLineError(gsc('log', 'export', '--db', join(dir, 'absent.db'), '-o', join(dir, 'x.bin')), /no packet log at/)
    const newer = join(dir, 'newer.db')
    const d = new Database(newer)
    d.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL); INSERT INTO schema_migrations VALUES (99, 'future', 0)`)
    d.close()
    expectOneLineError(gsc('log', 'import', join(dir, 'empty.bin'), '--db', newer), /newer than this gsc supports/)
    expectOneLineError(gsc('log', 'import', '--db', db), /missing capture file/)
    expectOneLineError(gsc('replay', join(dir, 'empty.bin'), '--db', db, '--rate', 'fast'), /--rate must be a number/)
  })
})
