// The two packet-archive back ends the store suite runs against: SQLite files in a temporary folder, and a real
// PostgreSQL server (a private cluster started here, loopback only, stopped by stop()). Each fresh() archive is a new
// file or a new database, so tests do not see each other's packets.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
    async fresh() {
      const location = join(dir, `log${++n}.db`)
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
    file: (log) => log.location
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
    async fresh() {
      if (!cluster) throw new Error('postgres backend not started')
      const location = await cluster.createDatabase(`log${++n}`)
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
    file: () => undefined
  }
}

/** Both back ends, for describe.each. */
export function storeBackends(): StoreBackend[] {
  return [sqliteBackend(), postgresBackend()]
}
