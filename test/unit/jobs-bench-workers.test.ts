// `gsc bench --workers`: the bench's GSC cells as jobs on the decode queue, run by real `gsc worker` processes on a
// private PostgreSQL cluster (loopback only, stopped at the end). The codec is deterministic with its seed, so the
// workers' packets and pixels, and hence every per-cell metric, equal an in-process run's; a worker killed with
// SIGKILL mid-cell loses nothing (the job is retried by the other worker); with no live worker the CLI runs the cells
// itself after one warning line. Two 256x192 Kodak images, C = 1 and 2, no baselines, no detector.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gscCodecFingerprint, realGscCodec } from '../../src/core/bench/gscCodec'
import { inProcessCells, runBench, type GscCellRunner } from '../../src/core/bench/runBench'
import type { ImageCRecord } from '../../src/core/bench/types'
import { openQueuedCells, type QueuedCells } from '../../src/core/jobs/benchCellQueue'
import { DECODE_QUEUE } from '../../src/core/jobs/decodeJob'
import { DecodeQueue } from '../../src/core/jobs/decodeQueue'
import { startDecodeWorker } from '../../src/core/jobs/decodeWorker'
import { listWorkerPresence } from '../../src/core/jobs/workerPresence'
import { readImage } from '../../src/core/image/rgbImage'
import { openArchive } from '../../src/core/store/archive'
import { haveSharedData, sharedData } from '../fixtures/sharedData'
import { queryRows, startPostgresCluster, type PostgresCluster } from '../support/postgresCluster'

const IMAGES = ['kodim01.png', 'kodim23.png']
const haveData = haveSharedData('bench workers test', ...IMAGES.map((f) => sharedData('kodak', f)))

let cluster: PostgresCluster
let dir: string
const children: ChildProcess[] = []

beforeAll(async () => {
  if (!haveData) return
  dir = mkdtempSync(path.join(tmpdir(), 'gsc-bench-workers-'))
  mkdirSync(path.join(dir, 'data'))
  for (const f of IMAGES) await sharp(sharedData('kodak', f)).resize(256, 192, { fit: 'fill' }).png().toFile(path.join(dir, 'data', f))
  cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
}, 120_000)
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  cluster?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** Wraps a runner, keeping the sha256 of each cell's packet and decoded pixels. */
function recording(inner: GscCellRunner, into: Map<string, { packet: string; pixels: string; size: string }>): GscCellRunner {
  return {
    start: inner.start?.bind(inner),
    async run(cell, image, signal) {
      const r = await inner.run(cell, image, signal)
      const im = r.decoded.image
      into.set(`${cell.imageId} C=${cell.c}`, { packet: sha(r.packed.packet), pixels: sha(im.data), size: `${im.width}x${im.height}` })
      return r
    }
  }
}

/** A record without what is timed (encode, pack and decode times, the process's peak memory). */
function content(r: ImageCRecord) {
  const { encodeMs: _e, packMs: _p, decodeMs: _d, ...gsc } = r.gsc
  const { peakRssMiB: _m, ...rest } = r
  return { ...rest, gsc }
}

function spawnWorker(url: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, ['bin/gsc.mjs', 'worker', '--db', url, '--supervise-s', '1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(child)
  let err = ''
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()))
  return { child, stderr: () => err }
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe.skipIf(!haveData)('gsc bench --workers', () => {
  it('cells on two worker processes, one killed mid-cell, give the in-process run\'s packets, pixels and metrics', async () => {
    const url = await cluster.createDatabase('bench')
    await (await openArchive(url)).close() // the archive's schema, before two workers start on it
    const workers = [spawnWorker(url), spawnWorker(url)]
    const base = { data: path.join(dir, 'data'), channels: [1, 2], baselines: [], gsc: realGscCodec(), detector: null, modelFingerprint: gscCodecFingerprint() }

    // In-process first (while the workers start): the reference.
    const here = new Map<string, { packet: string; pixels: string; size: string }>()
    const a = await runBench({ ...base, out: path.join(dir, 'a'), cells: recording(inProcessCells(base.gsc), here) })
    const pool = new pg.Pool({ connectionString: url, max: 1 })
    await until('two live workers', 60_000, async () => (await listWorkerPresence(pool)).filter((w) => w.live).length === 2)
    await pool.end()

    // The first worker to start a cell is killed with SIGKILL; its job expires (6 s) and the other one retries it.
    let killedJob = ''
    const watch = setInterval(() => {
      for (const w of workers) {
        const m = /start job (\S+) bench cell/.exec(w.stderr())
        if (m && !killedJob) {
          killedJob = m[1]
          w.child.kill('SIGKILL')
        }
      }
    }, 20)
    const local = { runs: 0 }
    const inProcess = inProcessCells(base.gsc)
    const queued = (await openQueuedCells(url, {
      modelFingerprint: base.modelFingerprint, expireSeconds: 6, retryDelaySeconds: 1,
      local: { run: (...args) => (local.runs++, inProcess.run(...args)) }
    })) as QueuedCells
    expect('noLiveWorker' in queued).toBe(false)
    const there = new Map<string, { packet: string; pixels: string; size: string }>()
    let b
    try {
      b = await runBench({ ...base, out: path.join(dir, 'b'), cells: recording(queued, there) })
    } finally {
      clearInterval(watch)
      await queued.close()
    }

    // The same packets and pixels, cell by cell, and the same records (timings aside).
    expect(there.size).toBe(4)
    expect(Object.fromEntries(there)).toEqual(Object.fromEntries(here))
    expect(b.records.map(content)).toEqual(a.records.map(content))
    expect(JSON.stringify(b.records.map(content)), 'the same record files, key order included').toBe(JSON.stringify(a.records.map(content)))
    expect(b.records.every((r) => r.gsc.psnr > 10 && r.gsc.bytes > 0)).toBe(true)
    // Every cell came from the surviving worker, none from this process; the killed cell was its second attempt.
    expect(killedJob).not.toBe('')
    const survivor = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!
    expect(local.runs).toBe(0)
    expect(queued.stats.byWorkers).toBe(4)
    expect(Object.keys(queued.stats.workers)).toEqual([`${hostname()}:${survivor.child.pid}`])
    const q = await DecodeQueue.open(url)
    const job = await q.boss.getJobById(DECODE_QUEUE, killedJob, { includeArchive: true })
    await q.close()
    expect(job?.state).toBe('completed')
    expect(job?.retryCount).toBeGreaterThanOrEqual(1)
    expect(survivor.stderr()).toMatch(new RegExp(`done job ${killedJob} bench cell \\S+ C=\\d attempt [2-3]/3`))
    const retried = (await queryRows<{ message: string }>(url, `SELECT message FROM events WHERE source = 'worker' AND severity = 'warning'`)).map((r) => r.message)
    // Nothing left behind: the bench deleted its images and results.
    const left = (await queryRows<{ n: number }>(url, `SELECT (SELECT count(*) FROM bench_cell_inputs)::int + (SELECT count(*) FROM bench_cell_results)::int AS n`))[0].n
    expect(retried.some((m) => m.includes(killedJob) && /attempt [2-3] of 3/.test(m))).toBe(true)
    expect(left).toBe(0)

    // The worker stops cleanly (its presence row goes): `gsc bench --workers` then runs here after one warning line.
    survivor.child.kill('SIGTERM')
    await new Promise((r) => (survivor.child.exitCode === null ? survivor.child.once('exit', r) : r(null)))
    const presence = new pg.Pool({ connectionString: url, max: 1 })
    await until('the killed worker to go stale', 30_000, async () => (await listWorkerPresence(presence)).every((w) => !w.live))
    await presence.end()
    const cli = spawnSync(
      process.execPath,
      ['bin/gsc.mjs', 'bench', '--data', path.join(dir, 'data'), '--out', path.join(dir, 'c'), '--channels', '1', '--limit', '1', '--baselines', 'none', '--analyses', 'none', '--workers', url],
      { encoding: 'utf8', timeout: 120_000 }
    )
    expect(cli.status, cli.stderr).toBe(0)
    expect(cli.stderr.split('\n').filter((l) => /warning: no live gsc worker/.test(l))).toEqual([`warning: no live gsc worker on 127.0.0.1:${cluster.port}/bench: the GSC cells run in this process`])
    expect(cli.stdout).toMatch(/wrote \d+ files/)
    expect(cli.stdout).not.toMatch(/GSC cells: /)
    const viaCli = JSON.parse(readFileSync(path.join(dir, 'c', 'cache', 'data', 'kodim01', 'c1.json'), 'utf8')) as ImageCRecord
    expect([viaCli.gsc.bytes, viaCli.gsc.psnr, viaCli.gsc.msssim]).toEqual([a.records[0].gsc.bytes, a.records[0].gsc.psnr, a.records[0].gsc.msssim])
  }, 170_000)

  it('a cell that fails every attempt (a worker with other models refuses it) runs in the bench process after a warning', async () => {
    const url = await cluster.createDatabase('refused')
    const worker = await startDecodeWorker(url, { pollSeconds: 0.5 })
    const warnings: string[] = []
    const queued = (await openQueuedCells(url, {
      modelFingerprint: 'models-this-worker-does-not-have', retryLimit: 1, retryDelaySeconds: 1, local: inProcessCells(realGscCodec()), onInfo: (l) => warnings.push(l)
    })) as QueuedCells
    const cell = { imageId: 'kodim23', file: path.join(dir, 'data', 'kodim23.png'), c: 1 }
    let got
    try {
      await queued.start([cell])
      got = await queued.run(cell, () => readImage(cell.file))
    } finally {
      await queued.close()
      await worker.stop()
    }
    const reference = await inProcessCells(realGscCodec()).run(cell, () => readImage(cell.file))
    expect([sha(got.packed.packet), sha(got.decoded.image.data)]).toEqual([sha(reference.packed.packet), sha(reference.decoded.image.data)])
    expect(queued.stats).toMatchObject({ byWorkers: 0, inProcess: 1 })
    expect(warnings).toEqual([expect.stringMatching(/^warning: bench cell kodim23 C=1: it failed on the workers after 2 attempts: this worker's model files differ from the bench's .*; running it in this process$/)])
    const errors = (await queryRows<{ message: string }>(url, `SELECT message FROM events WHERE source = 'worker' AND severity = 'error'`)).map((r) => r.message)
    expect(errors).toEqual([expect.stringMatching(/^bench cell kodim23 C=1 \(job \S+\) failed for good after 2 attempts: this worker's model files differ/)])
  }, 60_000)
})
