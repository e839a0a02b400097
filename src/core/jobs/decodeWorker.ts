// A decode worker: takes decode jobs from the queue, decodes each packet of the archive with the codec, and writes
// the result into the archive's decode cache (decodes table) where every client reads it. A result is written at
// most once per (packet, params): insert-or-ignore on the table's unique key, and a job whose result is already
// there (an earlier attempt wrote it, then its worker died before marking the job done) is not decoded again.
// It takes bench cells from the same queue too (benchCellWorker.ts).
import { hostname } from 'node:os'
import type PgBoss from 'pg-boss'
import { decodePacket } from '../codec/decoder'
import { encodePng } from '../image/rgbImage'
import type { ExecutionProvider } from '../modelAssets/manifest'
import { openArchive } from '../store/archive'
import { poolFor } from '../store/postgres/connection'
import { canonicalKey } from '../store/decodeKey'
import { GscError, describeError } from '../util/errors'
import { isBenchCellJob, type BenchCellJobData } from './benchCellJob'
import { benchCellHandler, type BenchCellEvent } from './benchCellWorker'
import { completeParams, DECODE_QUEUE, resultRows, UNCERTAINTY_SAMPLES, type DecodeJobData } from './decodeJob'
import { DecodeQueue, type QueueOptions } from './decodeQueue'
import { startHeartbeat, type Heartbeat } from './workerPresence'

export interface WorkerEvent {
  type: 'start' | 'done' | 'cached' | 'failed'
  jobId: string
  packetId: number
  kind: string
  /** 1 for the first attempt. */
  attempt: number
  attempts: number
  decodeMs?: number
  /** done: false when another attempt's result was already stored (this one was not written). */
  written?: boolean
  error?: string
}

export interface DecodeWorkerOptions extends QueueOptions {
  /** Jobs decoded at once by this process (default 1). */
  concurrency?: number
  executionProvider?: ExecutionProvider
  modelsDir?: string
  /** Seconds between polls of an idle queue (pg-boss; new jobs are also found at this pace). Default 1. */
  pollSeconds?: number
  /** Seconds between presence heartbeats (workerPresence.ts; default 5). */
  heartbeatSeconds?: number
  onEvent?(e: WorkerEvent): void
  /** Bench cells (`gsc bench --workers`), the queue's other kind of job. */
  onBenchCell?(e: BenchCellEvent): void
  /** A heartbeat that could not be written (the worker keeps going; engines stop routing to it until one is). */
  onWarning?(message: string): void
}

export interface DecodeWorker {
  readonly name: string
  stop(): Promise<void>
}

export async function startDecodeWorker(url: string, opts: DecodeWorkerOptions = {}): Promise<DecodeWorker> {
  // The archive first: it retries an unreachable server with backoff, names it when giving up, and applies migrations.
  const archive = await openArchive(url)
  if (archive.kind !== 'postgres') {
    await archive.close()
    throw new GscError(`decode workers need a PostgreSQL archive (postgres://...), not ${archive.location}`)
  }
  const pool = poolFor(url, 2)
  let queue: DecodeQueue
  try {
    queue = await DecodeQueue.open(url, { ...opts, supervise: true })
  } catch (e) {
    await archive.close()
    await pool.end()
    throw e
  }
  const name = `${hostname()}:${process.pid}`
  const ep = opts.executionProvider ?? 'cpu'
  const emit = (e: WorkerEvent) => opts.onEvent?.(e)

  const handle = async (job: PgBoss.JobWithMetadata<DecodeJobData>) => {
    const d = job.data
    const attempt = job.retryCount + 1
    const attempts = job.retryLimit + 1
    const base = { jobId: job.id, packetId: d.packetId, kind: d.kind, attempt, attempts }
    try {
      const have = await pool.query('SELECT 1 FROM decodes WHERE packet_id = $1 AND params_key = $2', [d.packetId, canonicalKey(completeParams(d))])
      if (have.rowCount) {
        emit({ ...base, type: 'cached' })
        return { cached: true }
      }
      emit({ ...base, type: 'start' })
      if (attempt > 1)
        await archive.addEvent({
          severity: 'warning', source: 'worker', packetId: d.packetId,
          message: `decode job ${job.id} (${d.kind} of packet ${d.packetId}): attempt ${attempt} of ${attempts}, taken by ${name} (an earlier attempt failed or its worker was lost)`
        })
      const r = await archive.get(d.packetId)
      if (!r) throw new GscError(`packet ${d.packetId} is not in the archive`)
      if (r.status !== 'ok') throw new GscError(`packet ${d.packetId} is ${r.status} (${r.error ?? 'not a GSC image'}); it cannot be decoded`)
      const t0 = Date.now()
      const res = await decodePacket(r.raw, {
        steps: d.steps, seed: d.seed, samples: d.kind === 'uncertainty' ? UNCERTAINTY_SAMPLES : undefined, texture: d.texture, executionProvider: ep, modelsDir: opts.modelsDir,
        limits: d.limits
      })
      const decodeMs = Date.now() - t0
      if (d.kind === 'uncertainty' && !res.uncertainty) throw new GscError(`packet ${d.packetId}: the decoder returned no uncertainty map`)
      const result = {
        kind: d.kind, width: res.image.width, height: res.image.height, caption: res.caption, steps: res.steps, modelSet: res.modelSet,
        uncertaintyStats: res.uncertaintyStats ?? null, temperature: res.temperature, holdBelowFrequency: res.holdBelowFrequency, texture: res.texture ?? null,
        decodeMs, worker: name, executionProvider: ep, jobId: job.id, attempt
      }
      // Every row of the result in one statement, so a reader never sees part of it.
      const rows = resultRows(d)
      const values: unknown[] = [d.packetId, Date.now(), JSON.stringify(result)]
      for (const row of rows) values.push(canonicalKey(row.params), await encodePng(row.picture === 'uncertainty' ? res.uncertainty! : res.image))
      const ins = await pool.query(
        `INSERT INTO decodes (packet_id, params_key, created_at, image_png, result_json)
          VALUES ${rows.map((_, i) => `($1, $${4 + 2 * i}, $2, $${5 + 2 * i}, $3)`).join(', ')}
          ON CONFLICT (packet_id, params_key) DO NOTHING RETURNING id`,
        values
      )
      const written = (ins.rowCount ?? 0) > 0
      emit({ ...base, type: 'done', decodeMs, written })
      return { decodeMs, written, worker: name }
    } catch (e) {
      const error = describeError(e)
      emit({ ...base, type: 'failed', error })
      if (attempt >= attempts)
        await archive
          .addEvent({
            severity: 'error', source: 'worker', packetId: d.packetId, data: { jobId: job.id, attempts, error },
            message: `decode job ${job.id} (${d.kind} of packet ${d.packetId}) failed for good after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${error}`
          })
          .catch(() => undefined)
      throw e
    }
  }

  const benchCell = benchCellHandler({ pool, archive, worker: name, executionProvider: ep, modelsDir: opts.modelsDir, onEvent: opts.onBenchCell })

  const ids: string[] = []
  const concurrency = Math.max(1, opts.concurrency ?? 1)
  let heartbeat: Heartbeat | undefined
  try {
    for (let i = 0; i < concurrency; i++) {
      let id = ''
      id = await queue.boss.work<DecodeJobData | BenchCellJobData>(DECODE_QUEUE, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: opts.pollSeconds ?? 1 }, async ([job]) => {
        try {
          return await (isBenchCellJob(job.data) ? benchCell(job as PgBoss.JobWithMetadata<BenchCellJobData>) : handle(job as PgBoss.JobWithMetadata<DecodeJobData>))
        } finally {
          // Fetch the next job at once: pg-boss otherwise waits out the rest of the polling interval after every job,
          // which left a worker idle most of each second when a decode takes less (docs/bench/workers.md).
          queue.boss.notifyWorker(id)
        }
      })
      ids.push(id)
    }
    // Present only once it polls: an engine that sees this row may hand it an interactive decode.
    heartbeat = await startHeartbeat(pool, { name, executionProvider: ep, concurrency }, { intervalSeconds: opts.heartbeatSeconds, onError: opts.onWarning })
  } catch (e) {
    await queue.close().catch(() => undefined)
    await archive.close()
    await pool.end()
    throw e
  }
  return {
    name,
    async stop() {
      // Absent first, so engines stop sending work; jobs in hand are finished (graceful stop) before the connections close.
      await heartbeat?.stop().catch((e) => opts.onWarning?.(`presence row not removed (it goes stale by itself): ${describeError(e)}`))
      await queue.close()
      await archive.close()
      await pool.end()
    }
  }
}
