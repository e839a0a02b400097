// Tables the queue layer keeps beside pg-boss's own (worker heartbeats, bench cells): created on first use by
// whichever process gets there first, in one transaction under an advisory lock, so processes starting together
// do not race on CREATE TABLE IF NOT EXISTS (which is not safe against concurrent creation in PostgreSQL).
import type pg from 'pg'

export type Queryable = Pick<pg.Pool, 'query' | 'connect'>

export async function createTablesOnce(db: Queryable, lockName: string, statements: readonly string[]): Promise<void> {
  const c = await db.connect()
  try {
    await c.query('BEGIN')
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName])
    for (const sql of statements) await c.query(sql)
    await c.query('COMMIT')
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined)
    throw e
  } finally {
    c.release()
  }
}
