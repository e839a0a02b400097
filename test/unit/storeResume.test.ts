// An import killed with SIGKILL keeps every committed batch intact, and running it again resumes
// at the committed offset: exactly the right packet count, no duplicates, identical export.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { openPacketLog } from '../../src/core/store/packetLog'
import { writeSyntheticCapture } from '../fixtures/storeFixtures'

const dir = mkdtempSync(join(tmpdir(), 'gsc-resume-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function committed(dbFile: string): { offset: number; packets: number } {
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true })
    try {
      const r = db.prepare('SELECT committed_offset AS offset, packets FROM imports ORDER BY id DESC LIMIT 1').get() as { offset: number; packets: number } | undefined
      return r ?? { offset: 0, packets: 0 }
    } finally {
      db.close()
    }
  } catch {
    return { offset: 0, packets: 0 } // not created / not migrated yet
  }
}

describe('interrupted import', () => {
  it('survives kill -9 mid-import and resumes without loss or duplicates', async () => {
    const cap = join(dir, 'big.bin')
    const db = join(dir, 'big.db')
    const total = 60_000
    const w = writeSyntheticCapture(cap, { count: total })
    const input = readFileSync(cap)

    const child = spawn(process.execPath, ['bin/gsc.mjs', 'log', 'import', cap, '--db', db, '--json'], { stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    const deadline = Date.now() + 60_000
    while (committed(db).packets < 6000 && Date.now() < deadline) await sleep(50)
    child.kill('SIGKILL')
    await exited
    const before = committed(db)
    expect(before.packets, 'import finished before it could be killed; make the capture larger').toBeLessThan(total)
    expect(before.packets).toBeGreaterThanOrEqual(6000)

    // What was committed is intact and is exactly a prefix of the capture.
    const check = new Database(db)
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
    const rows = check.prepare('SELECT COUNT(*) AS n, MAX(source_offset + octets) AS end, MAX(id) AS maxId FROM packets').get() as { n: number; end: number; maxId: number }
    expect(rows.n).toBe(before.packets)
    expect(rows.maxId).toBe(rows.n)
    expect(rows.end).toBe(before.offset)
    const prefix = Buffer.concat(check.prepare('SELECT raw FROM packets ORDER BY id').pluck().all() as Buffer[])
    check.close()
    expect(Buffer.compare(prefix, input.subarray(0, before.offset))).toBe(0)

    // Run the same command again: it resumes at the committed offset.
    const again = spawnSync(process.execPath, ['bin/gsc.mjs', 'log', 'import', cap, '--db', db, '--json'], { encoding: 'utf8', timeout: 120_000 })
    expect(again.status, again.stderr).toBe(0)
    const s = JSON.parse(again.stdout)
    expect(s).toMatchObject({ resumedFrom: before.offset, imported: total - before.packets, duplicates: 0, bad: 0, committedOffset: w.bytes })

    const log = openPacketLog(db)
    expect(log.stats()).toMatchObject({ packets: total, duplicates: 0, gaps: 0, byStatus: { ok: total } })
    const out = join(dir, 'big.out')
    log.exportCapture(out)
    log.close()
    expect(Buffer.compare(readFileSync(out), input)).toBe(0)
  })

  it('stops cleanly on abort (Ctrl-C) with everything read committed, then resumes', async () => {
    const cap = join(dir, 'mid.bin')
    const db = join(dir, 'mid.db')
    const total = 8000
    writeSyntheticCapture(cap, { count: total })
    const log = openPacketLog(db)
    const ac = new AbortController()
    const first = await log.importCapture(cap, {
      signal: ac.signal,
      batchPackets: 500,
      onProgress: (p) => {
        if (p.packets >= 1500) ac.abort()
      }
    })
    expect(first.interrupted).toBe(true)
    expect(first.imported).toBeGreaterThanOrEqual(1500)
    expect(first.imported).toBeLessThan(total)
    expect(log.stats().packets).toBe(first.imported)
    const second = await log.importCapture(cap)
    expect(second).toMatchObject({ resumedFrom: first.committedOffset, imported: total - first.imported, duplicates: 0, interrupted: false })
    expect(log.stats()).toMatchObject({ packets: total, duplicates: 0 })
    log.close()
  })
})
