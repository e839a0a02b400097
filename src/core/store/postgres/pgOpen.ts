// Opening a PostgreSQL archive: connect with bounded retries, check the database is a gsc archive, migrate it.
import type { OpenArchiveOptions } from '../archiveTypes'
import { poolFor, redactUrl, withConnectRetries } from './connection'
import { migratePostgres } from './migrations'
import { PostgresArchive } from './postgresArchive'

/** Connects (bounded retries with backoff), checks the database is a gsc archive, and migrates it. */
export async function openPostgresArchive(url: string, opts: OpenArchiveOptions = {}): Promise<PostgresArchive> {
  const pool = poolFor(url)
  try {
    const version = await withConnectRetries(
      url,
      'open',
      async () => {
        const c = await pool.connect()
        try {
          return await migratePostgres(c, redactUrl(url), Boolean(opts.mustExist))
        } finally {
          c.release()
        }
      },
      { attempts: opts.connectAttempts, backoffMs: opts.connectBackoffMs }
    )
    return new PostgresArchive(url, pool, version)
  } catch (e) {
    await pool.end().catch(() => undefined)
    throw e
  }
}
