// The two packet-archive back ends the store suite runs against: SQLite files in a temporary folder, and a real
// PostgreSQL server (a private cluster started here, loopback only, stopped by stop()). Each fresh() archive is a new
// file or a new database, so tests do not see each other's packets.
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openArchive, type PacketArchive } from '../../src/core/store/archive'
import type { PostgresArchive } from '../../src/core/store/postgres/postgresArchive'
import type { SqliteArchive } from '../../src/core/store/sqliteArchive'
import { rebuildRollups, rebuildRollupStatements } from '../../src/core/store/timeline'
import { startPostgresCluster, type PostgresCluster } from './postgresCluster'

export interface StoreBackend {
  name: 'sqlite' | 'postgres'
  start(): Promise<void>
  stop(): Promise<void>
  /** A new, empty archive and its location (file path or URL). */
  fresh(): Promise<{ log: PacketArchive; location: string }>
  /** A location for a new archive, not opened yet (a file path; an empty database). */
  freshLocation(): Promise<string>
  /** Opens an existing location again (another instance on the same archive). */
  open(location: string, opts?: { mustExist?: boolean }): Promise<PacketArchive>
  /** Runs raw SQL on the archive (tests that damage derived tables on purpose). */
  exec(log: PacketArchive, sql: string): Promise<void>
  /** Reads rows with raw SQL, ? placeholders (SQL both databases accept: quote camelCase aliases). */
  rows<R = Record<string, unknown>>(log: PacketArchive, sql: string, params?: unknown[]): Promise<R[]>
  /** Recounts the timeline roll-ups from scratch (the statements the store itself uses). */
  rebuildRollups(log: PacketArchive): Promise<void>
  /** The SQLite file, for assertions that only make sense for a file (undefined for PostgreSQL). */
  file(log: PacketArchive): string | undefined
  /** A folder for captures and exports. */
  dir: string
  /** Command line (after node) of a child process that imports a capture into a location and prints its summary as JSON. */
  importCommand(location: string, capture: string): string[]
  /** Reads rows from a location on a connection of its own (watching a child process's writes); [] when there is nothing yet. */
  peek<R = Record<string, unknown>>(location: string, sql: string): Promise<R[]>
  /** The database's own consistency check of the stored tables and indexes; 'ok' or what is wrong. */
  integrity(location: string): Promise<string>
}

export function sqliteBackend(): StoreBackend {
  let n = 0
  const dir = mkdtempSync(join(tmpdir(), 'gsc-store-sqlite-'))
  return {
    name: 'sqlite',
    dir,
    async start() {},
    async stop() {
      rmSync(dir, { recursive: true, force: true })
    },
    async freshLocation() {
      return join(dir, `log${++n}.db`)
    },
    async fresh() {
      const location = await this.freshLocation()
      return { log: await openArchive(location), location }
    },
    open: (location, opts) => openArchive(location, opts),
    async exec(log, sql) {
      ;(log as SqliteArchive).log.db.exec(sql)
    },
    rows: async <R>(log: PacketArchive, sql: string, params: unknown[] = []) => (log as SqliteArchive).log.db.prepare(sql).all(...params) as R[],
    async rebuildRollups(log) {
      rebuildRollups((log as SqliteArchive).log.db)
    },
    file: (log) => log.location,
    importCommand: (location, capture) => ['bin/gsc.mjs', 'log', 'import', capture, '--db', location, '--json'],
    async peek<R>(location: string, sql: string) {
      try {
        const db = new Database(location, { readonly: true, fileMustExist: true })
        try {
          return db.prepare(sql).all() as R[]
        } finally {
          db.close()
        }
      } catch {
        return [] // not created / not migrated yet
      }
    },
    async integrity(location) {
      const db = new Database(location)
      try {
        return String(db.pragma('integrity_check', { simple: true }))
      } finally {
        db.close()
      }
    }
  }
}

export function postgresBackend(): StoreBackend {
  let n = 0
  let cluster: PostgresCluster | undefined
  const dir = mkdtempSync(join(tmpdir(), 'gsc-store-pg-'))
  return {
    name: 'postgres',
    dir,
    async start() {
      // fsync off: a test server's data need not survive a power cut, and the CI machine is slow enough.
      cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
    },
    async stop() {
      cluster?.stop()
      rmSync(dir, { recursive: true, force: true })
    },
    async freshLocation() {
      if (!cluster) throw new Error('postgres backend not started')
      return cluster.createDatabase(`log${++n}`)
    },
    async fresh() {
      const location = await this.freshLocation()
      return { log: await openArchive(location), location }
    },
    open: (location, opts) => openArchive(location, opts),
    async exec(log, sql) {
      await (log as PostgresArchive).pool.query(sql)
    },
    rows: async <R>(log: PacketArchive, sql: string, params: unknown[] = []) => {
      let n = 0
      return (await (log as PostgresArchive).pool.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as R[]
    },
    async rebuildRollups(log) {
      for (const sql of rebuildRollupStatements()) await (log as PostgresArchive).pool.query(sql)
    },
    file: () => undefined,
    importCommand: (location, capture) => ['--import', 'tsx', 'test/support/archiveImport.ts', location, capture],
    async peek<R>(location: string, sql: string) {
      const c = new pg.Client({ connectionString: location })
      await c.connect()
      try {
        return (await c.query(sql)).rows as R[]
      } catch {
        return [] // not migrated yet
      } finally {
        await c.end()
      }
    },
    async integrity(location) {
      // amcheck (shipped with the server): every B-tree index is consistent and holds every row of its table.
      const c = new pg.Client({ connectionString: location })
      await c.connect()
      try {
        await c.query('CREATE EXTENSION IF NOT EXISTS amcheck')
        const indexes = (await c.query(`SELECT indexrelid::regclass::text AS name FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_am a ON a.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid) WHERE t.relnamespace = 'public'::regnamespace AND a.amname = 'btree'`)).rows
        if (indexes.length === 0) return 'no indexes found'
        for (const { name } of indexes) await c.query('SELECT bt_index_check($1::regclass, true)', [name])
        return 'ok'
      } catch (e) {
        return e instanceof Error ? e.message : String(e)
      } finally {
        await c.end()
      }
    }
  }
}

/** Both back ends, for describe.each. */
export function storeBackends(): StoreBackend[] {
  return [sqliteBackend(), postgresBackend()]
}
