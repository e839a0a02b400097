// Handing one interactive decode (the Image view's reconstruction or uncertainty map) to the decode workers: used by
// an engine on a PostgreSQL archive while a worker is present (workerPresence.ts). The job goes into the queue ahead
// of bulk work, and the engine waits for its result rows in the archive's decode cache. It gives up, so that the engine decodes in-process
// instead, when the wait runs past its bound, the job fails (interactive jobs are not retried: decoding here is
// quicker than a retry delay), or every worker leaves while the job still waits to be taken.
import type pg from 'pg'
import { poolFor } from '../store/postgres/connection'
import { canonicalKey } from '../store/decodeKey'
import { GscError } from '../util/errors'
import { completeParams, DECODE_QUEUE, type DecodeJobData } from './decodeJob'
import { DecodeQueue, failureMessage } from './decodeQueue'
import { STALE_AFTER_SECONDS, listWorkerPresence, type WorkerPresence } from './workerPresence'

export interface RoutingOptions {
  /** Seconds an engine waits for a worker's result before decoding in-process itself. Default 60. */
  waitSeconds?: number
  /** A worker whose heartbeat is older is not present. Default STALE_AFTER_SECONDS (15). */
  staleAfterSeconds?: number
}

/** Workers take higher priorities first: an analyst waiting at the Image view goes before a bulk `gsc decode-queue`. */
export const INTERACTIVE_PRIORITY = 10
/** How often the result row is looked for while waiting. */
const POLL_MS = 200

export type RoutedDecode = { served: true; jobId: string; waitedMs: number } | { served: false; jobId: string; waitedMs: number; reason: string }

export class DecodeRouting {
  readonly waitSeconds: number
  readonly staleAfterSeconds: number
  private pool: pg.Pool | null = null
  private queue: Promise<DecodeQueue> | null = null
  private closed = false

  constructor(private readonly url: string, opts: RoutingOptions = {}) {
    this.waitSeconds = opts.waitSeconds ?? 60
    this.staleAfterSeconds = opts.staleAfterSeconds ?? STALE_AFTER_SECONDS
  }

  private db(): pg.Pool {
    if (this.closed) throw new GscError('the engine is shutting down')
    return (this.pool ??= poolFor(this.url, 2))
  }

  /** Every worker that has a row (live or stale), newest heartbeat first. */
  workers(): Promise<WorkerPresence[]> {
    return listWorkerPresence(this.db(), this.staleAfterSeconds)
  }

  async liveWorkers(): Promise<WorkerPresence[]> {
    return (await this.workers()).filter((w) => w.live)
  }

  /** pg-boss is started on first use only, so an engine on an archive without workers never opens it. */
  private openQueue(): Promise<DecodeQueue> {
    if (!this.queue) {
      const q = DecodeQueue.open(this.url, { retryLimit: 0, expireSeconds: Math.max(60, this.waitSeconds * 2) })
      this.queue = q
      q.catch(() => {
        if (this.queue === q) this.queue = null // tried again on the next request
      })
    }
    return this.queue
  }

  /** Enqueues the job and waits for its result row; `served: false` says why the engine should decode it itself. */
  async decode(job: DecodeJobData, opts: { signal?: AbortSignal; onWaiting?(detail: string): void } = {}): Promise<RoutedDecode> {
    const t0 = Date.now()
    const queue = await this.openQueue()
    const [jobId] = await queue.enqueue([job], INTERACTIVE_PRIORITY)
    const key = canonicalKey(completeParams(job))
    const stored = async () => ((await this.db().query('SELECT 1 FROM decodes WHERE packet_id = $1 AND params_key = $2', [job.packetId, key])).rowCount ?? 0) > 0
    const served = (): RoutedDecode => ({ served: true, jobId, waitedMs: Date.now() - t0 })
    const notServed = (reason: string): RoutedDecode => ({ served: false, jobId, waitedMs: Date.now() - t0, reason })
    // A job given up on is cancelled so no worker spends time on it (one already decoding it still stores its result).
    const giveUp = async (reason: string) => {
      await queue.boss.cancel(DECODE_QUEUE, jobId).catch(() => undefined)
      return notServed(reason)
    }
    let nextStateCheck = Date.now() + 1000
    for (;;) {
      if (opts.signal?.aborted) {
        await queue.boss.cancel(DECODE_QUEUE, jobId).catch(() => undefined)
        throw new GscError(`decode job ${jobId} cancelled`)
      }
      if (await stored()) return served()
      const now = Date.now()
      if (now >= t0 + this.waitSeconds * 1000) return giveUp(`no result after ${this.waitSeconds} s`)
      if (now >= nextStateCheck) {
        nextStateCheck = now + 1000
        const j = await queue.boss.getJobById<DecodeJobData>(DECODE_QUEUE, jobId, { includeArchive: true })
        if (!j) return giveUp('the job is no longer in the queue')
        if (j.state === 'failed') return notServed(`the worker's attempt failed: ${failureMessage(j.output)}`)
        if (j.state === 'cancelled') return notServed('the job was cancelled in the queue')
        if (j.state === 'completed') return (await stored()) ? served() : notServed('the job completed but no result is stored')
        // No live worker left: a waiting job has nobody to take it, a taken one's worker died (its heartbeat stopped).
        if ((await this.liveWorkers()).length === 0)
          return giveUp(j.state === 'active' ? 'the worker decoding it stopped sending heartbeats' : 'every worker left before one took the job')
        opts.onWaiting?.(j.state === 'active' ? 'decoding on a gsc worker' : 'queued for a gsc worker')
      }
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  async close(): Promise<void> {
    this.closed = true
    const q = this.queue
    this.queue = null
    if (q) await (await q.catch(() => null))?.close().catch(() => undefined)
    await this.pool?.end().catch(() => undefined)
    this.pool = null
  }
}
