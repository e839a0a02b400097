// The decode job queue: pg-boss (a maintained PostgreSQL job queue) in its own schema (pgboss) of the archive's
// database, so a station with a shared archive needs no second server. Jobs survive any worker: a job whose worker
// dies stays active until its expiry, then pg-boss's supervisor puts it back for another attempt, up to the retry
// limit; a job that exhausts its attempts stays listed as failed.
import { randomUUID } from 'node:crypto'
import PgBoss from 'pg-boss'
import { redactUrl, serverName } from '../store/postgres/connection'
import { GscError, describeError } from '../util/errors'
import { BENCH_CELL_KIND, type BenchCellJobData } from './benchCellJob'
import { DECODE_QUEUE, type DecodeJobData } from './decodeJob'

export interface QueueOptions {
  /** Attempts after the first (pg-boss retryLimit). Default 2: three attempts in all. */
  retryLimit?: number
  /** A job running longer than this is presumed lost with its worker and retried. Default 600 s (a decode here takes 3-6 s). */
  expireSeconds?: number
  /** Seconds before a failed attempt is retried (doubling with pg-boss's backoff). Default 5. */
  retryDelaySeconds?: number
  /** How often this instance looks for expired jobs (pg-boss supervise interval; one instance at a time does it). */
  superviseSeconds?: number
  /** Start pg-boss's supervisor in this instance (workers do; a one-shot enqueuer need not). */
  supervise?: boolean
}

export interface QueueCounts {
  created: number
  retry: number
  active: number
  completed: number
  failed: number
  cancelled: number
}

export interface FailedJob {
  jobId: string
  data: DecodeJobData
  attempts: number
  completedOn: string | null
  error: string
}

export class DecodeQueue {
  private constructor(readonly boss: PgBoss, readonly where: string, private readonly opts: Required<Omit<QueueOptions, 'supervise'>>) {}

  /** Connects and installs or upgrades pg-boss's schema (its own migrations), and the decode queue with its retry policy. */
  static async open(url: string, opts: QueueOptions = {}): Promise<DecodeQueue> {
    const o = { retryLimit: opts.retryLimit ?? 2, expireSeconds: opts.expireSeconds ?? 600, retryDelaySeconds: opts.retryDelaySeconds ?? 5, superviseSeconds: opts.superviseSeconds ?? 30 }
    const where = serverName(url)
    const boss = new PgBoss({
      connectionString: url,
      max: 4,
      application_name: 'gsc-decode-queue',
      supervise: opts.supervise ?? false,
      schedule: false,
      maintenanceIntervalSeconds: o.superviseSeconds
    })
    // pg-boss reports background errors (a lost connection during polling) as events; without a listener Node would
    // end the process. They are retried by pg-boss; the worker prints them.
    boss.on('error', () => undefined)
    try {
      await boss.start()
      if (!(await boss.getQueue(DECODE_QUEUE))) {
        await boss.createQueue(DECODE_QUEUE, {
          name: DECODE_QUEUE, retryLimit: o.retryLimit, retryDelay: o.retryDelaySeconds, retryBackoff: true, expireInSeconds: o.expireSeconds
        }).catch(async (e) => {
          if (!(await boss.getQueue(DECODE_QUEUE))) throw e // else another instance created it meanwhile
        })
      }
    } catch (e) {
      await boss.stop({ graceful: false, wait: false }).catch(() => undefined)
      throw new GscError(`decode queue on ${where}: ${describeError(e)} (${redactUrl(url)})`)
    }
    return new DecodeQueue(boss, where, o)
  }

  /**
   * Enqueues jobs in one insert; returns their ids. Each carries this queue's retry limit and expiry. `priority`:
   * workers take higher first (an analyst waiting at the Image view before a bulk `gsc decode-queue`); default 0.
   */
  async enqueue(jobs: (DecodeJobData | BenchCellJobData)[], priority = 0): Promise<string[]> {
    const rows = jobs.map((data) => ({
      id: randomUUID(), name: DECODE_QUEUE, data, priority, retryLimit: this.opts.retryLimit, retryDelay: this.opts.retryDelaySeconds,
      retryBackoff: true, expireInSeconds: this.opts.expireSeconds
    }))
    for (let i = 0; i < rows.length; i += 1000) await this.boss.insert(rows.slice(i, i + 1000))
    return rows.map((r) => r.id)
  }

  /** States of the given jobs (all of the queue's when ids is not given), live and archived. */
  async counts(ids?: string[]): Promise<QueueCounts> {
    const filter = ids ? 'AND id = ANY($2::uuid[])' : ''
    const params: unknown[] = ids ? [DECODE_QUEUE, ids] : [DECODE_QUEUE]
    const { rows } = await this.boss.getDb().executeSql(
      `SELECT state::text AS state, count(*)::int AS n FROM (
         SELECT state FROM pgboss.job WHERE name = $1 ${filter} UNION ALL SELECT state FROM pgboss.archive WHERE name = $1 ${filter}
       ) s GROUP BY state`,
      params
    )
    const c: QueueCounts = { created: 0, retry: 0, active: 0, completed: 0, failed: 0, cancelled: 0 }
    for (const r of rows as { state: keyof QueueCounts; n: number }[]) c[r.state] = r.n
    return c
  }

  /** Decode jobs that used up their attempts, newest first, with the last attempt's error (bench cells are the bench's). */
  async failed(limit = 100): Promise<FailedJob[]> {
    const { rows } = await this.boss.getDb().executeSql(
      `SELECT id, data, output, retry_count, completed_on FROM (
         SELECT id, data, output, retry_count, completed_on FROM pgboss.job WHERE name = $1 AND state = 'failed'
         UNION ALL SELECT id, data, output, retry_count, completed_on FROM pgboss.archive WHERE name = $1 AND state = 'failed'
       ) f WHERE data->>'kind' IS DISTINCT FROM $3 ORDER BY completed_on DESC NULLS LAST LIMIT $2`,
      [DECODE_QUEUE, limit, BENCH_CELL_KIND]
    )
    return (rows as { id: string; data: DecodeJobData; output: unknown; retry_count: number; completed_on: Date | null }[]).map((r) => ({
      jobId: r.id, data: r.data, attempts: r.retry_count + 1, completedOn: r.completed_on ? r.completed_on.toISOString() : null, error: failureMessage(r.output)
    }))
  }

  /** Puts lost jobs (active past their expiry) back now instead of at the supervisor's next round. */
  async expireLost(): Promise<void> {
    await this.boss.expire()
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 })
  }
}

/** pg-boss stores a thrown error as { message, stack, ... } (or { value: { message } } for a timeout). */
export function failureMessage(output: unknown): string {
  const o = output as { message?: string; value?: { message?: string } } | null
  return o?.message ?? o?.value?.message ?? (output == null ? 'unknown' : JSON.stringify(output))
}
