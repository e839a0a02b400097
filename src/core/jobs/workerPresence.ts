// Which decode workers are alive: each `gsc worker` keeps one row in the archive's decode_workers table, written
// again every few seconds (a heartbeat) and deleted when it stops cleanly. An engine hands a decode to the queue only
// while some row is fresher than the staleness bound, so a worker killed with SIGKILL stops counting within that bound.
// Times are the database server's clock (now()) both when written and when compared: hosts' clocks may differ.
// The table belongs to the queue layer (like pg-boss's own schema), created by the first worker; an archive where no
// worker ever ran has none, and then no worker is present.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type pg from 'pg'
import type { ExecutionProvider } from '../modelAssets/manifest'
import { describeError } from '../util/errors'
import { createTablesOnce, type Queryable } from './createTablesOnce'

/** Seconds between a worker's heartbeats. */
export const HEARTBEAT_SECONDS = 5
/** A worker whose last heartbeat is older than this is not present (three missed heartbeats). */
export const STALE_AFTER_SECONDS = 15
/** Rows of workers gone (killed, host lost) this long are removed when a worker starts. */
const FORGET_AFTER_HOURS = 24

export interface WorkerPresence {
  /** One id per running worker (several may run on one host, or in one process). */
  id: string
  /** host:pid, as the worker prints it and writes it in its results. */
  name: string
  host: string
  pid: number
  executionProvider: ExecutionProvider
  concurrency: number
  startedAt: string
  lastSeen: string
  /** Seconds since the last heartbeat, by the database's clock. */
  ageSeconds: number
  /** lastSeen within the staleness bound. */
  live: boolean
}

/** Creates the table once (an advisory lock serialises workers starting together). */
export async function ensureWorkerTable(db: Queryable): Promise<void> {
  await createTablesOnce(db, 'gsc decode_workers', [
    `CREATE TABLE IF NOT EXISTS decode_workers (
      id text PRIMARY KEY, name text NOT NULL, host text NOT NULL, pid integer NOT NULL,
      execution_provider text NOT NULL, concurrency integer NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now())`
  ])
}

export interface Heartbeat {
  readonly id: string
  /** Stops beating and deletes the row (a clean exit: engines stop sending work at once). */
  stop(): Promise<void>
}

/**
 * Writes this worker's row now and every `intervalSeconds`. A failed beat (server briefly gone) is reported and the
 * next one tries again; meanwhile the row ages and engines stop routing to this worker, which is what they should do.
 */
export async function startHeartbeat(
  db: Queryable,
  w: { name: string; executionProvider: ExecutionProvider; concurrency: number },
  opts: { intervalSeconds?: number; onError?(message: string): void } = {}
): Promise<Heartbeat> {
  await ensureWorkerTable(db)
  const id = randomUUID()
  await db.query(`DELETE FROM decode_workers WHERE last_seen < now() - make_interval(hours => $1)`, [FORGET_AFTER_HOURS])
  await db.query(
    `INSERT INTO decode_workers (id, name, host, pid, execution_provider, concurrency) VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, w.name, hostname(), process.pid, w.executionProvider, w.concurrency]
  )
  let beating: Promise<unknown> = Promise.resolve()
  const timer = setInterval(() => {
    beating = db
      .query(
        `INSERT INTO decode_workers (id, name, host, pid, execution_provider, concurrency) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (id) DO UPDATE SET last_seen = now()`,
        [id, w.name, hostname(), process.pid, w.executionProvider, w.concurrency]
      )
      .catch((e) => opts.onError?.(`heartbeat not written: ${describeError(e)}`))
  }, (opts.intervalSeconds ?? HEARTBEAT_SECONDS) * 1000)
  timer.unref?.()
  return {
    id,
    async stop() {
      clearInterval(timer)
      await beating
      await db.query('DELETE FROM decode_workers WHERE id = $1', [id])
    }
  }
}

/** Every worker row, newest heartbeat first; none where no worker ever ran (no table). */
export async function listWorkerPresence(db: Pick<pg.Pool, 'query'>, staleAfterSeconds = STALE_AFTER_SECONDS): Promise<WorkerPresence[]> {
  try {
    const { rows } = await db.query(
      `SELECT id, name, host, pid, execution_provider, concurrency, started_at, last_seen,
              extract(epoch FROM now() - last_seen)::float8 AS age, last_seen > now() - make_interval(secs => $1) AS live
         FROM decode_workers ORDER BY last_seen DESC`,
      [staleAfterSeconds]
    )
    return rows.map((r) => ({
      id: r.id, name: r.name, host: r.host, pid: r.pid, executionProvider: r.execution_provider, concurrency: r.concurrency,
      startedAt: (r.started_at as Date).toISOString(), lastSeen: (r.last_seen as Date).toISOString(), ageSeconds: Math.max(0, r.age), live: r.live
    }))
  } catch (e) {
    if ((e as { code?: string }).code === '42P01') return [] // undefined_table: no worker has run on this archive
    throw e
  }
}
