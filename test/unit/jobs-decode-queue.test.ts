// Decode workers on the pg-boss queue in the shared archive's database: a job's result lands once in the decode
// cache, a worker killed with SIGKILL mid-job loses nothing (another worker retries the job and every packet is
// decoded exactly once), and a job that fails every attempt is visible. A private PostgreSQL cluster (loopback only),
// stopped at the end; tiny 256x256 packets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeParams, DECODE_QUEUE, resultRows } from '../../src/core/jobs/decodeJob'
import { DecodeQueue } from '../../src/core/jobs/decodeQueue'
import { startDecodeWorker, type DecodeWorker, type WorkerEvent } from '../../src/core/jobs/decodeWorker'
import { queueArchiveDecodes } from '../../src/core/jobs/queueArchive'
import { openArchive } from '../../src/core/store/archive'
import { gscPacket } from '../fixtures/storeFixtures'
import { queryRows as sql, startPostgresCluster, type PostgresCluster } from '../support/postgresCluster'

let cluster: PostgresCluster
let n = 0
const children: ChildProcess[] = []

beforeAll(async () => {
  cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
}, 120_000)
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  cluster?.stop()
})

/** A fresh archive holding `count` GSC packets (and one that fails its CRC, which is never enqueued); their ids. */
async function archiveWith(count: number): Promise<{ url: string; ids: number[] }> {
  const url = await cluster.createDatabase(`jobs${++n}`)
  const a = await openArchive(url)
  const ids: number[] = []
  for (let i = 0; i < count; i++) ids.push((await a.ingest(gscPacket(100, i, 1000 * n + i))).id!)
  const corrupt = gscPacket(100, count, 7)
  corrupt[corrupt.length - 6] ^= 0xff // fails its CRC
  expect((await a.ingest(corrupt)).status).toBe('crc_failed')
  await a.close()
  return { url, ids }
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

describe('decode workers on the job queue', () => {
  it('takes each job once and lands its result once in the decode cache, where getDecode reads it', async () => {
    const { url, ids } = await archiveWith(3)
    const events: WorkerEvent[] = []
    const worker = await startDecodeWorker(url, { concurrency: 2, pollSeconds: 0.5, onEvent: (e) => events.push(e) })
    try {
      const s = await queueArchiveDecodes(url, { steps: 0 })
      expect(s).toMatchObject({ packets: 3, alreadyDecoded: 0, enqueued: 3, cached: 3 })
      expect(s.counts).toMatchObject({ completed: 3, failed: 0 })
      const a = await openArchive(url)
      for (const id of ids) {
        const d = await a.getDecode(id, decodeParams({ kind: 'reconstruction', packetId: id, steps: 0 }))
        expect(d, `packet ${id} in the decode cache`).toBeDefined()
        const meta = await sharp(d!.imagePng!).metadata()
        expect([meta.format, meta.width, meta.height]).toEqual(['png', 256, 256])
        expect(d!.result).toMatchObject({ kind: 'reconstruction', steps: 0, executionProvider: 'cpu', attempt: 1 })
      }
      await a.close()
      // The same again: nothing left to enqueue. A duplicate job, sent directly, finds the result and decodes nothing.
      expect(await queueArchiveDecodes(url, { steps: 0 })).toMatchObject({ alreadyDecoded: 3, enqueued: 0 })
      const q = await DecodeQueue.open(url)
      const [dup] = await q.enqueue([{ kind: 'reconstruction', packetId: ids[0], steps: 0 }])
      await until('the duplicate job', 60_000, async () => (await q.counts([dup])).completed === 1)
      await q.close()
      expect(events.filter((e) => e.type === 'cached').map((e) => e.packetId)).toEqual([ids[0]])
      expect(events.filter((e) => e.type === 'done').length).toBe(3)
      expect((await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM decodes'))[0].n).toBe(3)
      // An uncertainty map is its own result (3 samples, its own key), beside the reconstruction; its first sample, the
      // image shown with the map, is stored beside it (resultRows).
      const u = await queueArchiveDecodes(url, { kind: 'uncertainty' })
      expect(u).toMatchObject({ enqueued: 3, cached: 3, counts: { completed: 3, failed: 0 } })
      const b = await openArchive(url)
      const [map, sample] = await Promise.all(resultRows({ kind: 'uncertainty', packetId: ids[1] }).map((row) => b.getDecode(ids[1], row.params)))
      expect(map).toEqual(await b.getDecode(ids[1], decodeParams({ kind: 'uncertainty', packetId: ids[1] })))
      await b.close()
      expect(map?.result).toMatchObject({ kind: 'uncertainty', width: 256, height: 256, temperature: 1 })
      expect((map!.result as { uncertaintyStats: unknown }).uncertaintyStats).not.toBeNull()
      expect((await sharp(map!.imagePng!).metadata()).width).toBe(256)
      expect((await sharp(sample!.imagePng!).metadata()).width).toBe(256)
      expect(sample!.imagePng).not.toEqual(map!.imagePng)
      expect((await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM decodes'))[0].n).toBe(9)
    } finally {
      await worker.stop()
    }
  }, 180_000)

  it('a worker takes its next job as soon as one ends, not after its polling interval', async () => {
    const { url, ids } = await archiveWith(4)
    const at: { type: string; t: number }[] = []
    // A long polling interval: pg-boss waits it out after each fetch unless the worker is told to fetch again.
    const worker = await startDecodeWorker(url, { pollSeconds: 4, onEvent: (e) => at.push({ type: e.type, t: Date.now() }) })
    try {
      const s = await queueArchiveDecodes(url, { steps: 0 })
      expect(s.counts).toMatchObject({ completed: ids.length, failed: 0 })
    } finally {
      await worker.stop()
    }
    const gaps: number[] = []
    for (let k = 1; k < at.length; k++) if (at[k - 1].type === 'done' && at[k].type === 'start') gaps.push(at[k].t - at[k - 1].t)
    expect(gaps).toHaveLength(ids.length - 1)
    // From one job's end to the next one's start: a few queries, far below the 4 s interval it used to wait out.
    expect(Math.max(...gaps)).toBeLessThan(2000)
  }, 180_000)

  it('a worker killed with SIGKILL mid-job loses nothing: another worker retries the job, each packet decoded exactly once', async () => {
    const { url, ids } = await archiveWith(4)
    // A separate `gsc worker` process, killed when it has started its first decode (default flow steps: ~1 s here).
    const child = spawn(process.execPath, ['bin/gsc.mjs', 'worker', '--db', url, '--supervise-s', '1'], { stdio: ['ignore', 'ignore', 'pipe'] })
    children.push(child)
    let stderr = ''
    const started = new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString()
        const m = /start job (\S+) reconstruction packet (\d+)/.exec(stderr)
        if (m) resolve(m[1])
      })
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before starting a job: ${stderr}`)))
    })
    const q = await DecodeQueue.open(url, { expireSeconds: 3, retryLimit: 2, retryDelaySeconds: 1 })
    const jobIds = await q.enqueue(ids.map((packetId) => ({ kind: 'reconstruction' as const, packetId })))
    const killedJob = await started
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    expect((await q.counts([killedJob])).active, 'the killed job is still held by the dead worker').toBe(1)

    const events: WorkerEvent[] = []
    const worker = await startDecodeWorker(url, { pollSeconds: 0.5, superviseSeconds: 1, onEvent: (e) => events.push(e) })
    try {
      await until('every job to complete', 150_000, async () => (await q.counts(jobIds)).completed === ids.length)
    } finally {
      await worker.stop()
    }
    const killed = await q.boss.getJobById(DECODE_QUEUE, killedJob, { includeArchive: true })
    expect(killed?.state).toBe('completed')
    expect(killed?.retryCount, 'the killed job ran again').toBeGreaterThanOrEqual(1)
    await q.close()
    const rows = await sql<{ packet_id: number; n: number }>(url, 'SELECT packet_id::int, count(*)::int AS n FROM decodes GROUP BY packet_id ORDER BY packet_id')
    expect(rows).toEqual(ids.map((id) => ({ packet_id: id, n: 1 })))
    // The killed worker finished nothing; the survivor decoded and wrote every packet once, the killed job included.
    const done = events.filter((e) => e.type === 'done')
    expect(done.map((e) => e.packetId).sort((a, b) => a - b)).toEqual(ids)
    expect(done.every((e) => e.written)).toBe(true)
    expect(done.find((e) => e.jobId === killedJob)?.attempt).toBeGreaterThanOrEqual(2)
    const retried = await sql<{ message: string }>(url, `SELECT message FROM events WHERE source = 'worker' AND severity = 'warning'`)
    expect(retried.some((e) => e.message.includes(killedJob) && /attempt [2-3] of 3/.test(e.message))).toBe(true)
  }, 240_000)

  it('a job that fails every attempt is listed as failed, logged as an error event, and printed by gsc decode-queue --failed', async () => {
    const { url } = await archiveWith(1)
    const worker = await startDecodeWorker(url, { pollSeconds: 0.5 })
    const q = await DecodeQueue.open(url, { retryLimit: 1, retryDelaySeconds: 1 })
    try {
      const [job] = await q.enqueue([{ kind: 'reconstruction', packetId: 999_999 }])
      await until('the job to fail for good', 60_000, async () => (await q.counts([job])).failed === 1)
      const failed = await q.failed()
      expect(failed).toHaveLength(1)
      expect(failed[0]).toMatchObject({ jobId: job, attempts: 2, data: { packetId: 999_999 } })
      expect(failed[0].error).toMatch(/packet 999999 is not in the archive/)
      const ev = await sql<{ message: string; packet_id: number }>(url, `SELECT message, packet_id::int FROM events WHERE source = 'worker' AND severity = 'error'`)
      expect(ev).toEqual([{ packet_id: 999_999, message: expect.stringMatching(new RegExp(`${job}.*failed for good after 2 attempts`)) }])
    } finally {
      await q.close()
      await worker.stop()
    }
    const cli = spawnSync(process.execPath, ['bin/gsc.mjs', 'decode-queue', '--db', url, '--failed', '--json'], { encoding: 'utf8', timeout: 120_000 })
    expect(cli.status, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout).failed.map((f: { data: { packetId: number } }) => f.data.packetId)).toEqual([999_999])
  }, 180_000)

  it('a job whose last attempt is lost with its worker is failed at expiry and logged by the waiting enqueuer', async () => {
    const { url, ids } = await archiveWith(1)
    const child = spawn(process.execPath, ['bin/gsc.mjs', 'worker', '--db', url], { stdio: ['ignore', 'ignore', 'pipe'] })
    children.push(child)
    let stderr = ''
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString()
      if (/start job /.test(stderr) && child.exitCode === null) child.kill('SIGKILL')
    })
    const waiting = queueArchiveDecodes(url, { retryLimit: 0, expireSeconds: 2 })
    await new Promise((r) => child.once('exit', r))
    expect(stderr).toMatch(/start job/)
    // Another worker's supervisor finds the expired job; with no attempts left it fails, and nothing decoded it.
    const supervisor = await startDecodeWorker(url, { pollSeconds: 0.5, superviseSeconds: 1 })
    try {
      const s = await waiting
      expect(s.counts).toMatchObject({ completed: 0, failed: 1 })
      expect(s.cached).toBe(0)
    } finally {
      await supervisor.stop()
    }
    const ev = await sql<{ message: string; packet_id: number }>(url, `SELECT message, packet_id::int FROM events WHERE source = 'worker' AND severity = 'error'`)
    expect(ev).toEqual([{ packet_id: ids[0], message: expect.stringMatching(/failed for good after 1 attempt: job failed by timeout in active state \(the last attempt's worker was lost\)/) }])
  }, 180_000)
})
