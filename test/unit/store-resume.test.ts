// An import killed with SIGKILL keeps every committed batch intact, and running it again resumes
// at the committed offset: exactly the right packet count, no duplicates, identical export.
// Run on a SQLite file (through `gsc log import`) and on a real PostgreSQL server.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storeBackends } from '../support/storeBackends'
import { writeSyntheticCapture } from '../fixtures/storeFixtures'

describe.each(storeBackends())('interrupted import on $name', (backend) => {
  const dir = backend.dir
  beforeAll(() => backend.start(), 120_000)
  afterAll(() => backend.stop())

  async function committed(location: string): Promise<{ offset: number; packets: number }> {
    const r = await backend.peek<{ offset: number; packets: number }>(location, 'SELECT committed_offset AS "offset", packets FROM imports ORDER BY id DESC LIMIT 1')
    return r[0] ? { offset: Number(r[0].offset), packets: Number(r[0].packets) } : { offset: 0, packets: 0 }
  }

  it('survives kill -9 mid-import and resumes without loss or duplicates', async () => {
    const cap = join(dir, 'big.bin')
    const db = await backend.freshLocation()
    const total = 60_000
    const w = writeSyntheticCapture(cap, { count: total })
    const input = readFileSync(cap)

    const child = spawn(process.execPath, backend.importCommand(db, cap), { stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    const deadline = Date.now() + 60_000
    while ((await committed(db)).packets < 6000 && Date.now() < deadline) await sleep(50)
    child.kill('SIGKILL')
    await exited
    const before = await committed(db)
    expect(before.packets, 'import finished before it could be killed; make the capture larger').toBeLessThan(total)
    expect(before.packets).toBeGreaterThanOrEqual(6000)

    // What was committed is intact and is exactly a prefix of the capture.
    expect(await backend.integrity(db)).toBe('ok')
    const rows = (await backend.peek<{ n: number; end: number; maxId: number }>(db, 'SELECT COUNT(*) AS n, MAX(source_offset + octets) AS "end", MAX(id) AS "maxId" FROM packets')).map(
      (r) => ({ n: Number(r.n), end: Number(r.end), maxId: Number(r.maxId) })
    )[0]
    expect(rows.n).toBe(before.packets)
    expect(rows.maxId).toBe(rows.n)
    expect(rows.end).toBe(before.offset)
    const prefix = Buffer.concat((await backend.peek<{ raw: Buffer }>(db, 'SELECT raw FROM packets ORDER BY id')).map((r) => r.raw))
    expect(Buffer.compare(prefix, input.subarray(0, before.offset))).toBe(0)

    // Run the same command again: it resumes at the committed offset.
    const again = spawnSync(process.execPath, backend.importCommand(db, cap), { encoding: 'utf8', timeout: 120_000 })
    expect(again.status, again.stderr).toBe(0)
    const s = JSON.parse(again.stdout)
    expect(s).toMatchObject({ resumedFrom: before.offset, imported: total - before.packets, duplicates: 0, bad: 0, committedOffset: w.bytes })

    const log = await backend.open(db)
    expect(await log.stats()).toMatchObject({ packets: total, duplicates: 0, gaps: 0, byStatus: { ok: total } })
    const out = join(dir, 'big.out')
    await log.exportCapture(out)
    await log.close()
    expect(Buffer.compare(readFileSync(out), input)).toBe(0)
  })

  it('stops cleanly on abort (Ctrl-C) with everything read committed, then resumes', async () => {
    const cap = join(dir, 'mid.bin')
    const total = 8000
    writeSyntheticCapture(cap, { count: total })
    const { log } = await backend.fresh()
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
    expect((await log.stats()).packets).toBe(first.imported)
    const second = await log.importCapture(cap)
    expect(second).toMatchObject({ resumedFrom: first.committedOffset, imported: total - first.imported, duplicates: 0, interrupted: false })
    expect(await log.stats()).toMatchObject({ packets: total, duplicates: 0 })
    await log.close()
  })
})
