// Enqueueing the archive's packets for decoding and following the jobs to their end: what `gsc decode-queue` does.
// With no live worker, the jobs either wait for one or are decoded by a worker started in this process for the run.
import { openArchive, type PacketArchive } from '../store/archive'
import { poolFor } from '../store/postgres/connection'
import { canonicalKey } from '../store/decodeKey'
import { GscError } from '../util/errors'
import { decodeParams, type DecodeJobData, type DecodeJobKind } from './decodeJob'
import { DecodeQueue, type QueueCounts, type QueueOptions } from './decodeQueue'
import { startDecodeWorker, type DecodeWorker, type DecodeWorkerOptions } from './decodeWorker'
import { listWorkerPresence } from './workerPresence'

export interface QueueArchiveOptions extends QueueOptions {
  kind?: DecodeJobKind
  steps?: number
  seed?: number
  /** Return after enqueueing instead of waiting for the jobs to end. */
  noWait?: boolean
  /** Progress while waiting (about once a second). */
  onProgress?(p: { total: number; counts: QueueCounts }): void
  signal?: AbortSignal
  /** No live worker when the jobs are enqueued: 'wait' for one to start (default), or 'decode-here': a worker in this
   *  process takes them until they end (it is a live worker meanwhile, so others may join). */
  whenNoWorker?: 'wait' | 'decode-here'
  /** That local worker's provider, models, and event callback. */
  localWorker?: Pick<DecodeWorkerOptions, 'executionProvider' | 'modelsDir' | 'onEvent'>
}

export interface QueueArchiveSummary {
  /** GSC image packets in the archive (status ok). */
  packets: number
  /** Already in the decode cache with these params: not enqueued. */
  alreadyDecoded: number
  enqueued: number
  counts: QueueCounts
  /** Decode cache rows for these params after the run (one per packet at most: the key is unique). */
  cached: number
  seconds: number
  /** The worker started in this process because none was live (whenNoWorker 'decode-here'); null when none was. */
  localWorker: string | null
}

/** Enqueues one job per GSC image packet without a cached result for these params; waits unless noWait. */
export async function queueArchiveDecodes(url: string, opts: QueueArchiveOptions = {}): Promise<QueueArchiveSummary> {
  const t0 = Date.now()
  const archive = await openArchive(url, { mustExist: true })
  if (archive.kind !== 'postgres') {
    await archive.close()
    throw new GscError(`the decode queue needs a PostgreSQL archive (postgres://...), not ${archive.location}`)
  }
  const pool = poolFor(url, 1)
  let queue: DecodeQueue | undefined
  let local: DecodeWorker | undefined
  try {
    queue = await DecodeQueue.open(url, opts)
    const template: DecodeJobData = { kind: opts.kind ?? 'reconstruction', packetId: 0, steps: opts.steps, seed: opts.seed }
    const key = canonicalKey(decodeParams(template))
    const todo = await pool.query<{ id: number }>(
      `SELECT p.id FROM packets p WHERE p.status = 'ok' AND NOT EXISTS (SELECT 1 FROM decodes d WHERE d.packet_id = p.id AND d.params_key = $1) ORDER BY p.id`,
      [key]
    )
    const packets = (await pool.query<{ n: number }>(`SELECT count(*) AS n FROM packets WHERE status = 'ok'`)).rows[0].n
    const ids = await queue.enqueue(todo.rows.map((r) => ({ ...template, packetId: r.id })))
    if (!opts.noWait && ids.length > 0 && opts.whenNoWorker === 'decode-here' && !(await listWorkerPresence(pool)).some((w) => w.live))
      local = await startDecodeWorker(url, { ...opts.localWorker, retryLimit: opts.retryLimit, expireSeconds: opts.expireSeconds, pollSeconds: 0.5 })
    let counts = await queue.counts(ids)
    while (!opts.noWait && ids.length > 0 && counts.completed + counts.failed + counts.cancelled < ids.length) {
      if (opts.signal?.aborted) throw new GscError(`stopped waiting; the ${ids.length} jobs stay queued for the workers`)
      opts.onProgress?.({ total: ids.length, counts })
      await new Promise((r) => setTimeout(r, 1000))
      counts = await queue.counts(ids)
    }
    opts.onProgress?.({ total: ids.length, counts })
    if (counts.failed > 0) await logLostFailures(queue, archive, ids)
    const cached = (await pool.query<{ n: number }>(`SELECT count(*) AS n FROM decodes WHERE params_key = $1`, [key])).rows[0].n
    return { packets, alreadyDecoded: packets - todo.rows.length, enqueued: ids.length, counts, cached, seconds: (Date.now() - t0) / 1000, localWorker: local?.name ?? null }
  } finally {
    await local?.stop().catch(() => undefined)
    await queue?.close().catch(() => undefined)
    await pool.end()
    await archive.close()
  }
}

/**
 * A job whose last attempt was lost with its worker failed without any worker to say so: the event log gets its
 * error entry here (a job whose last attempt threw was logged by its worker).
 */
async function logLostFailures(queue: DecodeQueue, archive: PacketArchive, ids: string[]): Promise<void> {
  const mine = new Set(ids)
  const logged = new Set(
    (await archive.listEvents({ source: 'worker', severity: 'error', limit: 10_000 })).map((e) => (e.data as { jobId?: string } | null)?.jobId)
  )
  for (const f of await queue.failed(10_000)) {
    if (!mine.has(f.jobId) || logged.has(f.jobId)) continue
    await archive.addEvent({
      severity: 'error', source: 'worker', packetId: f.data.packetId, data: { jobId: f.jobId, attempts: f.attempts, error: f.error },
      message: `decode job ${f.jobId} (${f.data.kind} of packet ${f.data.packetId}) failed for good after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${f.error} (the last attempt's worker was lost)`
    })
  }
}

/** The decode jobs that used up their attempts. */
export async function listFailedDecodes(url: string, limit = 100) {
  const queue = await DecodeQueue.open(url)
  try {
    return await queue.failed(limit)
  } finally {
    await queue.close()
  }
}
