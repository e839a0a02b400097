// Connecting to the PostgreSQL archive: a pool with integer types read as numbers, bounded retries with backoff for
// errors that can pass (server down or starting, network), and one-line errors naming the server and the reason.
import pg from 'pg'
import { GscError, describeError } from '../../util/errors'

/** The URL as messages show it: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@')
  }
}

/** "host:port/database" of a URL (what an operator needs to find the server). */
export function serverName(url: string): string {
  try {
    const u = new URL(url)
    const host = u.hostname || new URLSearchParams(u.search).get('host') || 'localhost'
    return `${host}:${u.port || 5432}/${decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)'}`
  } catch {
    return redactUrl(url)
  }
}

// bigint (COUNT, ids, ms times), numeric (SUM of bigint) read as numbers: every value the archive stores stays
// below 2^53 (ids, octets, milliseconds).
const INT8 = 20
const NUMERIC = 1700
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => (v === null ? null : Number(v))
    return (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format)
  }) as typeof pg.types.getTypeParser
}

export function poolFor(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 })
  pool.on('error', () => {
    /* an idle client lost its server: the next query reconnects or reports it */
  })
  return pool
}

export function clientFor(url: string): pg.Client {
  return new pg.Client({ connectionString: url, types, connectionTimeoutMillis: 10_000 })
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE'])
// PostgreSQL SQLSTATEs worth waiting for: the server is starting, shutting down or out of connection slots.
const TRANSIENT_SQLSTATES = new Set(['57P03', '57P01', '57P02', '53300', '08006', '08001', '08004'])

export function isTransient(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code
  if (code && (TRANSIENT_CODES.has(code) || TRANSIENT_SQLSTATES.has(code))) return true
  return /timeout|terminated unexpectedly|Connection terminated/i.test(describeError(e))
}

/** Why a connection failed, in an operator's words. */
export function connectionReason(e: unknown): string {
  const err = e as { code?: string; message?: string }
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is PostgreSQL running and listening there?)'
    case 'ENOTFOUND':
      return 'host not found'
    case '3D000':
      return `${err.message} (create it first, e.g. createdb)`
    case '28P01':
    case '28000':
      return `authentication failed: ${err.message}`
    case '57P03':
      return 'the server is starting up'
    default:
      return describeError(e)
  }
}

export interface RetryOptions {
  attempts?: number
  backoffMs?: number
}

/** Runs fn, retrying transient connection failures with doubling waits; throws a GscError naming the server. */
export async function withConnectRetries<T>(url: string, what: string, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5)
  let wait = opts.backoffMs ?? 250
  const started = Date.now()
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (e) {
      if (e instanceof GscError) throw e
      if (!isTransient(e) || i >= attempts) {
        const tries = i > 1 ? `; tried ${i} times over ${((Date.now() - started) / 1000).toFixed(1)} s` : ''
        throw new GscError(`cannot ${what} PostgreSQL archive at ${serverName(url)}: ${connectionReason(e)}${tries}`, 'EIO')
      }
      await new Promise((r) => setTimeout(r, wait))
      wait *= 2
    }
  }
}
