// Decodes requested through the engine (the Image view's reconstruct) go to the decode workers' queue while a worker
// is present, and run in-process when none is: a real `gsc worker` (in this process) on a private PostgreSQL cluster
// (loopback only, stopped at the end), and the engine service the front doors use. Tiny 256x256 packets.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeParams, DECODE_QUEUE, type DecodeJobKind } from '../../src/core/jobs/decodeJob'
import { DecodeQueue } from '../../src/core/jobs/decodeQueue'
import { startDecodeWorker, type WorkerEvent } from '../../src/core/jobs/decodeWorker'
import { startHeartbeat } from '../../src/core/jobs/workerPresence'
import { EngineService } from '../../src/core/service/engineService'
import { openArchive } from '../../src/core/store/archive'
import { gscPacket, writeCapture } from '../fixtures/storeFixtures'
import { startPostgresCluster, type PostgresCluster } from '../support/postgresCluster'

let cluster: PostgresCluster
let dir: string
let n = 0

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gsc-routing-'))
  cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
}, 120_000)
afterAll(() => {
  cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A fresh PostgreSQL archive with `count` GSC packets; their ids. */
async function archiveWith(count: number): Promise<{ url: string; ids: number[] }> {
  const url = await cluster.createDatabase(`routing${++n}`)
  const a = await openArchive(url)
  const ids: number[] = []
  for (let i = 0; i < count; i++) ids.push((await a.ingest(gscPacket(100, i, 500 * n + i))).id!)
  await a.close()
  return { url, ids }
}

const engine = (dbFile: string, waitSeconds?: number) =>
  EngineService.open({ dbFile, workDir: join(dir, `work${++n}`), frontDoor: 'serve', decodeWorkers: waitSeconds === undefined ? undefined : { waitSeconds } })

/** The event log entry about packet `id` from source decode matching `re` (entries are written asynchronously). */
async function decodeEvent(svc: EngineService, id: number, re: RegExp): Promise<{ severity: string; message: string }> {
  const end = Date.now() + 10_000
  for (;;) {
    const hit = (await svc.call('listEvents', { limit: 200 })).find((e) => e.source === 'decode' && e.message.startsWith(`packet ${id}: `) && re.test(e.message))
    if (hit) return hit
    if (Date.now() > end) throw new Error(`no decode event for packet ${id} matching ${re}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function decodeRow(url: string, id: number, kind: DecodeJobKind = 'reconstruction', chosen: { seed?: number } = {}) {
  const a = await openArchive(url)
  try {
    return await a.getDecode(id, decodeParams({ kind, packetId: id, ...chosen }))
  } finally {
    await a.close()
  }
}

describe('decodes requested through the engine, with and without decode workers', () => {
  it('PostgreSQL: in-process without a worker; by the live worker while one runs; in-process again once it stopped', async () => {
    const { url, ids } = await archiveWith(3)
    const svc = await engine(url)
    const jobs = new Map<string, string>()
    svc.on('job', (j) => jobs.set(j.id, j.label))
    try {
      expect(await svc.call('listWorkers', {})).toEqual({ archive: 'postgres', staleAfterSeconds: 15, waitSeconds: 60, workers: [] })
      await svc.call('reconstruct', { id: ids[0] })
      expect((await decodeEvent(svc, ids[0], /decoded in-process by this engine/)).message).toMatch(/\(no live decode worker\)$/)
      expect((await decodeRow(url, ids[0]))?.result).toMatchObject({ decodedBy: expect.stringMatching(/^gsc serve on /) })

      const workerEvents: WorkerEvent[] = []
      const worker = await startDecodeWorker(url, { pollSeconds: 0.5, onEvent: (e) => workerEvents.push(e) })
      try {
        const listed = await svc.call('listWorkers', {})
        expect(listed.workers).toEqual([
          expect.objectContaining({ name: worker.name, host: hostname(), executionProvider: 'cpu', concurrency: 1, live: true })
        ])
        expect(listed.workers[0].ageSeconds).toBeLessThan(15)

        const rec = await svc.call('reconstruct', { id: ids[1] })
        expect(rec.notes[0]).toMatch(new RegExp(`^decoded on request by gsc worker ${worker.name} \\(queue job [0-9a-f-]{36}; [0-9.]+ s from request to result\\)$`))
        expect([rec.width, rec.height]).toEqual([256, 256])
        // The worker decoded it and wrote the cache row; the engine ran no decode of its own.
        expect(workerEvents.filter((e) => e.type === 'done').map((e) => [e.packetId, e.written])).toEqual([[ids[1], true]])
        expect((await decodeRow(url, ids[1]))?.result).toMatchObject({ worker: worker.name, executionProvider: 'cpu', attempt: 1 })
        expect([...jobs.values()]).toEqual([`decode packet ${ids[0]}`, `decode packet ${ids[1]} on a gsc worker`])
        expect((await decodeEvent(svc, ids[1], /gsc worker/)).severity).toBe('info')

        // A chosen seed has its own key: the worker decodes that too, and stores it under the seed.
        const seeded = await svc.call('reconstruct', { id: ids[1], seed: 3 })
        expect(seeded.notes[0]).toMatch(/^decoded on request by gsc worker /)
        expect((await decodeEvent(svc, ids[1], /^packet \d+: reconstruction \(seed 3\) decoded on request by gsc worker /)).severity).toBe('info')
        expect((await decodeRow(url, ids[1], 'reconstruction', { seed: 3 }))?.result).toMatchObject({ worker: worker.name })
        expect(workerEvents.filter((e) => e.type === 'done')).toHaveLength(2)
        // This workstation's own decode-steps setting changes the pixels under the shared key: it stays here, and says so.
        await svc.call('setSettings', { decodeSteps: 2 })
        await svc.call('reconstruct', { id: ids[1], seed: 4 })
        expect((await decodeEvent(svc, ids[1], /\(seed 4\) decoded in-process/)).message).toMatch(/\(this workstation's decode-steps setting \(workers and the shared decode cache use the station default\)\)$/)
        expect(workerEvents.filter((e) => e.type === 'done')).toHaveLength(2)
        await svc.call('setSettings', { decodeSteps: null })
      } finally {
        await worker.stop()
      }
      // A clean stop removes its row at once: the next decode runs here without waiting for any bound.
      expect((await svc.call('listWorkers', {})).workers).toEqual([])
      await svc.call('reconstruct', { id: ids[2] })
      expect((await decodeEvent(svc, ids[2], /decoded in-process/)).message).toMatch(/\(no live decode worker\)$/)
      expect((await decodeRow(url, ids[2]))?.result).not.toHaveProperty('worker')
    } finally {
      await svc.close()
    }
  }, 180_000)

  it('uncertainty maps: in-process without a worker; by the live worker while one runs, the same pixels; a second engine shows the stored map without a job', async () => {
    const { url, ids } = await archiveWith(2)
    const a = await engine(url)
    const b = await engine(url)
    const jobsOf = (svc: EngineService) => {
      const labels = new Map<string, string>()
      svc.on('job', (j) => labels.set(j.id, j.label))
      return labels
    }
    const aJobs = jobsOf(a)
    const bJobs = jobsOf(b)
    const mapRow = (id: number) => decodeRow(url, id, 'uncertainty')
    try {
      const inProcess = await a.call('reconstruct', { id: ids[0], uncertainty: true })
      expect(inProcess.uncertainty).toMatch(/^data:image\/png;base64,/)
      expect((await decodeEvent(a, ids[0], /^packet \d+: uncertainty map decoded in-process by this engine/)).message).toMatch(/\(no live decode worker\)$/)
      expect((await mapRow(ids[0]))?.result).toMatchObject({ kind: 'uncertainty', decodedBy: expect.stringMatching(/^gsc serve on /) })

      const workerEvents: WorkerEvent[] = []
      const worker = await startDecodeWorker(url, { pollSeconds: 0.5, onEvent: (e) => workerEvents.push(e) })
      try {
        const done = () => workerEvents.filter((e) => e.type === 'done').map((e) => [e.packetId, e.kind])
        const served = await a.call('reconstruct', { id: ids[1], uncertainty: true })
        expect(served.notes[0]).toMatch(new RegExp(`^decoded on request by gsc worker ${worker.name} \\(queue job [0-9a-f-]{36}; `))
        expect(served.notes.join(' ')).toMatch(/image and uncertainty map from 3 samples at temperature 1 /)
        expect(served.uncertainty).toMatch(/^data:image\/png;base64,/)
        // The worker decoded it (one job, its rows); this engine ran no decode of its own.
        expect(done()).toEqual([[ids[1], 'uncertainty']])
        expect((await mapRow(ids[1]))?.result).toMatchObject({ kind: 'uncertainty', worker: worker.name, attempt: 1 })
        expect([...aJobs.values()]).toEqual([`decode packet ${ids[0]}`, `decode packet ${ids[1]} (uncertainty map) on a gsc worker`])
        expect((await decodeEvent(a, ids[1], /^packet \d+: uncertainty map decoded on request by gsc worker /)).severity).toBe('info')

        // Another engine shows the same image and map from the archive: no queue job, no decode.
        const shown = await b.call('reconstruct', { id: ids[1], uncertainty: true })
        expect(shown.notes[0]).toMatch(new RegExp(`^from the shared archive's decode cache: decoded by gsc worker ${worker.name} at `))
        expect([shown.image, shown.uncertainty]).toEqual([served.image, served.uncertainty])
        expect([...bJobs.values()]).toEqual([])
        expect(done()).toHaveLength(1)

        // The worker's image and map are the in-process decode's pixels (both PNGs re-encoded alike by the engine).
        const pool = new pg.Pool({ connectionString: url, max: 1 })
        await pool.query('DELETE FROM decodes WHERE packet_id = $1', [ids[0]])
        await pool.end()
        const again = await b.call('reconstruct', { id: ids[0], uncertainty: true })
        expect(again.notes[0]).toMatch(/^decoded on request by gsc worker /)
        expect([again.image, again.uncertainty]).toEqual([inProcess.image, inProcess.uncertainty])
        expect(done()).toEqual([[ids[1], 'uncertainty'], [ids[0], 'uncertainty']])
      } finally {
        await worker.stop()
      }
    } finally {
      await a.close()
      await b.close()
    }
  }, 240_000)

  it('a present worker that does not answer within the wait: the job is cancelled and the engine decodes in-process; a stale heartbeat is no worker', async () => {
    const { url, ids } = await archiveWith(2)
    // A worker's heartbeat with no poller behind it: present, but it never takes a job (a stuck worker).
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    const beat = await startHeartbeat(pool, { name: 'stuck:1', executionProvider: 'cpu', concurrency: 1 })
    const svc = await engine(url, 2)
    try {
      expect((await svc.call('listWorkers', {})).workers.map((w) => [w.name, w.live])).toEqual([['stuck:1', true]])
      const t0 = Date.now()
      const rec = await svc.call('reconstruct', { id: ids[0] })
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2000)
      expect(rec.notes.join(' ')).not.toMatch(/gsc worker/)
      const warning = await decodeEvent(svc, ids[0], /; decoding in-process$/)
      expect(warning.severity).toBe('warning')
      const jobId = /queue job ([0-9a-f-]{36})/.exec(warning.message)![1]
      expect(warning.message).toMatch(/not served by a gsc worker: no result after 2 s \(queue job .+\); decoding in-process$/)
      expect((await decodeEvent(svc, ids[0], /decoded in-process/)).message).toMatch(/\(not served by a gsc worker: no result after 2 s/)
      // The operator's job list shows the worker's job failed with the reason, then this engine's decode.
      expect((await svc.call('listJobs', {})).map((j) => [j.label, j.state, j.error])).toEqual([
        [`decode packet ${ids[0]} on a gsc worker`, 'failed', expect.stringMatching(/^no result after 2 s \(queue job /)],
        [`decode packet ${ids[0]}`, 'done', null]
      ])
      const q = await DecodeQueue.open(url)
      expect((await q.boss.getJobById(DECODE_QUEUE, jobId, { includeArchive: true }))?.state).toBe('cancelled')
      await q.close()

      // Past the staleness bound (15 s) the row still lists, marked not live, and no decode waits for it.
      await pool.query(`UPDATE decode_workers SET last_seen = now() - interval '1 minute'`)
      const [stale] = (await svc.call('listWorkers', {})).workers
      expect(stale).toMatchObject({ name: 'stuck:1', live: false })
      expect(stale.ageSeconds).toBeGreaterThanOrEqual(60)
      await svc.call('reconstruct', { id: ids[1] })
      expect((await decodeEvent(svc, ids[1], /decoded in-process/)).message).toMatch(/\(no live decode worker\)$/)
    } finally {
      await svc.close()
      await beat.stop()
      await pool.end()
    }
  }, 180_000)

  it('a waiting job whose only worker leaves is given up at once, without waiting out the bound', async () => {
    const { url, ids } = await archiveWith(1)
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    const beat = await startHeartbeat(pool, { name: 'leaving:1', executionProvider: 'cpu', concurrency: 1 })
    const svc = await engine(url, 60)
    try {
      const t0 = Date.now()
      const pending = svc.call('reconstruct', { id: ids[0] })
      await new Promise((r) => setTimeout(r, 500))
      await beat.stop() // a clean stop: its row goes
      await pending
      expect(Date.now() - t0).toBeLessThan(30_000)
      expect((await decodeEvent(svc, ids[0], /; decoding in-process$/)).message).toMatch(/not served by a gsc worker: every worker left before one took the job/)
    } finally {
      await svc.close()
      await pool.end()
    }
  }, 120_000)

  it('gsc decode-queue: the live worker decodes the jobs; with none, a worker in the CLI process does', async () => {
    const { url, ids } = await archiveWith(2)
    const cli = (...extra: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const c = spawn(process.execPath, ['bin/gsc.mjs', 'decode-queue', '--db', url, '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
        let out = ''
        let err = ''
        c.stdout.on('data', (b: Buffer) => (out += b.toString()))
        c.stderr.on('data', (b: Buffer) => (err += b.toString()))
        c.once('exit', (code) => resolve({ code, out, err }))
      })
    const workerEvents: WorkerEvent[] = []
    const worker = await startDecodeWorker(url, { pollSeconds: 0.5, onEvent: (e) => workerEvents.push(e) })
    try {
      const r = await cli('--steps', '0')
      expect(r.code, r.err).toBe(0)
      expect(JSON.parse(r.out).summary).toMatchObject({ enqueued: 2, cached: 2, localWorker: null })
      expect(workerEvents.filter((e) => e.type === 'done').map((e) => e.packetId).sort((a, b) => a - b)).toEqual(ids)
    } finally {
      await worker.stop()
    }
    const r = await cli('--kind', 'reconstruction')
    expect(r.code, r.err).toBe(0)
    const s = JSON.parse(r.out).summary
    expect(s).toMatchObject({ enqueued: 2, cached: 2, counts: { completed: 2 }, localWorker: expect.stringMatching(/^.+:\d+$/) })
    expect(s.localWorker).not.toBe(worker.name)
    expect((await decodeRow(url, ids[0]))?.result).toMatchObject({ worker: s.localWorker })
    expect(workerEvents.filter((e) => e.type === 'done')).toHaveLength(2)
  }, 180_000)

  it('SQLite: every decode runs in this engine, as always, with no workers listed and no routing entries', async () => {
    const file = join(dir, 'cap.bin')
    writeCapture(file, [gscPacket(100, 0, 42)])
    const svc = await engine(join(dir, 'station.db'))
    try {
      const { jobId } = await svc.call('importCapture', { file: svc.registerPath(file) })
      for (let t = Date.now(); (await svc.call('listJobs', {})).find((j) => j.id === jobId)?.state === 'running' && Date.now() - t < 30_000; )
        await new Promise((r) => setTimeout(r, 50))
      expect(await svc.call('listWorkers', {})).toEqual({ archive: 'sqlite', staleAfterSeconds: 15, waitSeconds: 0, workers: [] })
      const rec = await svc.call('reconstruct', { id: 1 })
      expect(rec.notes.join(' ')).not.toMatch(/worker|shared archive/)
      expect((await svc.call('listEvents', { limit: 100 })).filter((e) => e.source === 'decode')).toEqual([])
    } finally {
      await svc.close()
    }
  }, 120_000)
})
