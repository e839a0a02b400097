// What only the shared PostgreSQL archive has: migrations recorded in the database, connection errors that name the
// server, live sharing between instances (LISTEN/NOTIFY), concurrent writers, and `gsc log migrate` from SQLite.
// Runs a private PostgreSQL cluster (loopback only), stopped at the end.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openArchive, type ArchiveChange } from '../../src/core/store/archive'
import { openPacketLog } from '../../src/core/store/packetLog'
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../src/core/store/postgres/migrations'
import { gscPacket, reframe, writeCapture } from '../fixtures/storeFixtures'
import { queryRows as sql, startPostgresCluster, type PostgresCluster } from '../support/postgresCluster'

let cluster: PostgresCluster
const dir = mkdtempSync(join(tmpdir(), 'gsc-pg-'))
let n = 0
const freshDb = () => cluster.createDatabase(`pg${++n}`)

beforeAll(async () => {
  cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
}, 120_000)
afterAll(() => {
  cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function gsc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/gsc.mjs', ...args], { encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('schema migrations in the database', () => {
  it('records each migration once, refuses newer schemas, foreign databases, and a missing archive where one must exist', async () => {
    const url = await freshDb()
    await expect(openArchive(url, { mustExist: true })).rejects.toThrow(/no packet log at postgres:\/\/gsc@127\.0\.0\.1:\d+\/pg\d+/)
    const a = await openArchive(url)
    expect(a.schemaVersion).toBe(PG_SCHEMA_VERSION)
    await a.close()
    // Two instances opening together: the advisory lock lets one migrate; neither fails, nothing runs twice.
    const [b, c] = await Promise.all([openArchive(url), openArchive(url)])
    await Promise.all([b.close(), c.close()])
    const rows = await sql<{ version: number; name: string }>(url, 'SELECT version, name FROM schema_migrations ORDER BY version')
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version))
    const again = await openArchive(url, { mustExist: true })
    expect((await again.stats()).schemaVersion).toBe(PG_SCHEMA_VERSION)
    await again.close()

    await sql(url, 'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)', [PG_SCHEMA_VERSION + 1, 'from the future'])
    await expect(openArchive(url)).rejects.toThrow(new RegExp(`schema version ${PG_SCHEMA_VERSION + 1}, newer than this gsc supports \\(${PG_SCHEMA_VERSION}\\)`))

    const other = await freshDb()
    await sql(other, 'CREATE TABLE customers (id int)')
    await expect(openArchive(other)).rejects.toThrow(/holds other tables \(customers\) but is not a gsc packet archive/)
  })
})

describe('connection errors', () => {
  it('name the server and the reason, retry with backoff a bounded number of times, and never fall back to a file', async () => {
    // A port nobody listens on (the cluster's port + 1 is free: freePort picked an unused one and the next is
    // almost surely unused too; if not, the error still names it).
    const url = `postgres://gsc@127.0.0.1:${cluster.port + 1}/station`
    const t0 = Date.now()
    const err = await openArchive(url, { connectAttempts: 3, connectBackoffMs: 100 }).catch((e: Error) => e)
    const took = Date.now() - t0
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(new RegExp(`^cannot open PostgreSQL archive at 127\\.0\\.0\\.1:${cluster.port + 1}/station: connection refused.*; tried 3 times`))
    expect(took).toBeGreaterThanOrEqual(300) // waited 100 + 200 ms between the three attempts
    expect(took).toBeLessThan(10_000)
    // A database that does not exist is not waited for, and the password never appears in a message.
    const missing = await openArchive(`postgres://gsc:s3cret@127.0.0.1:${cluster.port}/nosuchdb`).catch((e: Error) => e)
    expect((missing as Error).message).toMatch(new RegExp(`^cannot open PostgreSQL archive at 127\\.0\\.0\\.1:${cluster.port}/nosuchdb: database "nosuchdb" does not exist`))
    expect((missing as Error).message).not.toMatch(/s3cret|tried/)
    // No SQLite file was made in the URL's place (a URL read as a path would start a folder named "postgres:").
    expect(existsSync('postgres:')).toBe(false)
  })
})

describe('live sharing', () => {
  it('two instances on one archive each see the other\'s imports within 1 s', async () => {
    const url = await freshDb()
    const a = await openArchive(url)
    const b = await openArchive(url)
    const seenBy = (who: typeof a) => {
      const changes: { at: number; change: ArchiveChange }[] = []
      return { changes, stop: who.subscribe((change) => changes.push({ at: Date.now(), change })) }
    }
    const onA = seenBy(a)
    const onB = seenBy(b)
    const [stopA, stopB] = [await onA.stop, await onB.stop]

    const capA = join(dir, 'live-a.bin')
    writeCapture(capA, Array.from({ length: 50 }, (_, i) => gscPacket(40, i, 5000 + i)))
    const t0 = Date.now()
    const r = await a.importCapture(capA)
    while (onB.changes.length === 0 && Date.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 10))
    expect(onB.changes.length).toBeGreaterThan(0)
    expect(onB.changes[0].at - t0).toBeLessThan(1000)
    const last = onB.changes[onB.changes.length - 1].change
    expect(last.lastId).toBe(50)
    expect((await b.list({ afterId: 0, limit: 1000 })).map((p) => p.id)).toEqual(Array.from({ length: r.imported }, (_, i) => i + 1))

    // And the other way: a live packet stored by B reaches A.
    const before = onA.changes.length
    const t1 = Date.now()
    const ing = await b.ingest(gscPacket(41, 0, 6000))
    while (onA.changes.length === before && Date.now() - t1 < 2000) await new Promise((res) => setTimeout(res, 10))
    expect(onA.changes.length).toBeGreaterThan(before)
    expect(onA.changes[onA.changes.length - 1].at - t1).toBeLessThan(1000)
    expect(onA.changes[onA.changes.length - 1].change).toEqual({ lastId: ing.id, inserted: 1, duplicates: 0 })
    expect((await a.list({ afterId: 50 })).map((p) => p.apid)).toEqual([41])

    // The server drops A's listening connection (a restart, a network cut): A reconnects and hears later writes.
    const killed = await sql<{ ok: boolean }>(url, `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`)
    expect(killed.length).toBe(2) // A's and B's feeds
    await new Promise((res) => setTimeout(res, 500))
    const before2 = onA.changes.length
    const t2 = Date.now()
    const ing2 = await b.ingest(gscPacket(41, 1, 6001))
    while (onA.changes.length === before2 && Date.now() - t2 < 3000) await new Promise((res) => setTimeout(res, 10))
    expect(onA.changes.length).toBeGreaterThan(before2)
    expect(onA.changes[onA.changes.length - 1].change.lastId).toBe(ing2.id)
    await stopA()
    await stopB()
    await a.close()
    await b.close()
  })

  it('concurrent imports from two instances interleave by batch: ids dense and in each capture\'s order, nothing lost or doubled', async () => {
    const url = await freshDb()
    const a = await openArchive(url)
    const b = await openArchive(url)
    const capA = join(dir, 'conc-a.bin')
    const capB = join(dir, 'conc-b.bin')
    const pa = Array.from({ length: 3000 }, (_, i) => reframe(gscPacket(50, 0, 7000 + (i % 50)), 50, i & 0x3fff))
    const pb = Array.from({ length: 3000 }, (_, i) => reframe(gscPacket(51, 0, 8000 + (i % 50)), 51, i & 0x3fff))
    writeCapture(capA, pa)
    writeCapture(capB, pb)
    const [ra, rb] = await Promise.all([a.importCapture(capA, { batchPackets: 200 }), b.importCapture(capB, { batchPackets: 200 })])
    expect(ra).toMatchObject({ imported: 3000, duplicates: 0, gaps: 0 })
    expect(rb).toMatchObject({ imported: 3000, duplicates: 0, gaps: 0 })
    const s = await a.stats()
    expect(s).toMatchObject({ packets: 6000, duplicates: 0, gaps: 0 })
    const ids = (await sql<{ id: number; apid: number; sequence_count: number }>(url, 'SELECT id::int, apid, sequence_count FROM packets ORDER BY id'))
    expect(ids.map((r) => r.id)).toEqual(Array.from({ length: 6000 }, (_, i) => i + 1))
    for (const apid of [50, 51]) expect(ids.filter((r) => r.apid === apid).map((r) => r.sequence_count)).toEqual(Array.from({ length: 3000 }, (_, i) => i))
    await a.close()
    await b.close()
  })
})

describe('gsc log migrate', () => {
  it('moves a SQLite log into PostgreSQL without loss, verified by byte-identical exports, and refuses a non-empty target', async () => {
    // A log with everything: images with gaps, a CRC failure, garbage, repeated receptions, events, a plan, a decode.
    const file = join(dir, 'station.db')
    const cap = join(dir, 'station.bin')
    const parts = Array.from({ length: 400 }, (_, i) => gscPacket(60 + (i % 3), i === 200 ? 250 : Math.floor(i / 3), 9000 + i))
    const bad = parts[17].slice()
    bad[40] ^= 0x10
    const input = writeCapture(cap, [...parts.slice(0, 100), bad, Uint8Array.from({ length: 77 }, (_, i) => (i * 31) & 0xff), parts[5], ...parts.slice(100)])
    const log = openPacketLog(file)
    await log.importCapture(cap, { batchPackets: 64 })
    log.addEvent({ severity: 'info', source: 'test', message: 'pass 1', data: { x: 1 } })
    log.savePlan({ alpha: 1 }, { c: [2] }, 'plan')
    log.putDecode(3, { steps: 8 }, { imagePng: Buffer.from([1, 2, 3]), result: { ok: true } })
    log.fillCaptions(100) // some captions filled, the rest left for later, as in a real log
    const sqliteStats = log.stats()
    log.close()
    expect(sqliteStats).toMatchObject({ duplicates: 1, byStatus: { crc_failed: 1, malformed: 1 } })
    expect(sqliteStats.gaps).toBeGreaterThan(0)

    const url = await freshDb()
    const r = gsc('log', 'migrate', '--from', file, '--to', url, '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const m = JSON.parse(r.stdout)
    expect(m).toMatchObject({ verified: true, statsMatch: true, packets: sqliteStats.packets, duplicates: 1, export: { target: { identical: true } }, exportWithDuplicates: { target: { identical: true } } })
    expect(m.rows).toMatchObject({ packets: sqliteStats.packets, duplicates: 1, events: 1, plans: 1, decodes: 1, gaps: sqliteStats.gaps })

    // The archive in PostgreSQL is a working log: exports the original capture, searches captions, takes new packets.
    const a = await openArchive(url, { mustExist: true })
    const out = join(dir, 'station.out')
    await a.exportCapture(out, { withDuplicates: true })
    expect(Buffer.compare(readFileSync(out), input)).toBe(0)
    const st = await a.stats()
    expect({ ...st, schemaVersion: 0 }).toEqual({ ...sqliteStats, schemaVersion: 0 })
    expect(await a.getDecode(3, { steps: 8 })).toMatchObject({ result: { ok: true } })
    expect((await a.listEvents())[0]).toMatchObject({ message: 'pass 1', data: { x: 1 } })
    expect((await a.list({ captionContains: (await a.get(300))!.caption! })).map((p) => p.id)).toContain(300)
    expect((await a.ingest(gscPacket(60, 200, 99999))).id).toBe(sqliteStats.packets + 1)
    expect(await a.addEvent({ severity: 'info', source: 'test', message: 'after' })).toBe(2)
    await a.close()

    // Into a database that already holds an archive: refused, one line, nothing written.
    const again = gsc('log', 'migrate', '--from', file, '--to', url)
    expect(again.code).not.toBe(0)
    expect(again.stdout).toBe('')
    expect(again.stderr.trim().split('\n')).toHaveLength(1)
    expect(again.stderr).toMatch(/^gsc: the archive at postgres:\/\/.* is not empty \(\d+ packets, \d+ imports, 2 events, 1 plans, 1 decodes\); migrate into an empty database/)
    const bad2 = gsc('log', 'migrate', '--from', file, '--to', join(dir, 'x.db'))
    expect(bad2.code).not.toBe(0)
    expect(bad2.stderr).toMatch(/^gsc: --to must be a postgres:\/\/ or postgresql:\/\/ URL/)
  })
})
