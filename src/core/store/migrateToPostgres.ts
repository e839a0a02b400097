// Moves a SQLite packet log into an empty PostgreSQL archive without loss: every table copied row for row with its
// ids (packets, receptions, gaps, per-APID state, imports, decode cache, plans, events, settings, roll-ups) in one
// transaction, so a failure leaves the target empty; then both are exported (as stored, and with repeated receptions
// in place) and the exports compared byte for byte. The SQLite file is opened read-only (a log of an older schema
// must be upgraded first by any writing gsc command, as its error says).
import { createHash } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import type pg from 'pg'
import { GscError } from '../util/errors'
import { PacketLog } from './packetLog'
import { WRITE_LOCK } from './postgres/migrations'
import { openPostgresArchive } from './postgres/pgOpen'
import type { PostgresArchive } from './postgres/postgresArchive'
import type { LogStats } from './types'

export interface MigrateProgress {
  table: string
  rows: number
  totalRows: number
}

export interface ExportCheck {
  bytes: number
  sha256: string
  identical: boolean
}

export interface MigrateSummary {
  from: string
  to: string
  rows: Record<string, number>
  packets: number
  duplicates: number
  bytes: number
  /** Export of the stored packets, and export with repeated receptions re-emitted: SQLite's vs PostgreSQL's. */
  export: { source: ExportCheck; target: ExportCheck }
  exportWithDuplicates: { source: ExportCheck; target: ExportCheck }
  /** Counts that must agree (packets by status, duplicates, gaps, missing, imports, events, bytes). */
  statsMatch: boolean
  verified: boolean
  seconds: number
}

interface TableCopy {
  table: string
  columns: string[]
  /** PostgreSQL array types of the columns, for unnest. */
  types: string[]
  order: string
  /** Tables whose ids PostgreSQL generates later (identity columns): the sequence moves past the copied ids. */
  identity?: boolean
}

// Foreign keys in order: imports before packets, packets before what refers to them.
const TABLES: TableCopy[] = [
  {
    table: 'imports', order: 'id',
    columns: ['id', 'kind', 'source_path', 'source_size', 'source_mtime_ms', 'head_hash', 'committed_offset', 'status', 'started_at', 'updated_at', 'packets', 'duplicates', 'bad'],
    types: ['bigint', 'text', 'text', 'bigint', 'bigint', 'text', 'bigint', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint']
  },
  {
    table: 'packets', order: 'id',
    columns: ['id', 'received_at', 'apid', 'sequence_count', 'octets', 'raw', 'hash', 'status', 'crc_ok', 'error', 'format_version', 'width', 'height', 'channels',
      'model_id', 'caption', 'header_json', 'import_id', 'source_offset', 'framed'],
    types: ['bigint', 'bigint', 'int', 'int', 'int', 'bytea', 'bytea', 'text', 'smallint', 'text', 'int', 'int', 'int', 'int', 'int', 'text', 'text', 'bigint', 'bigint', 'smallint']
  },
  {
    table: 'duplicates', order: 'id',
    columns: ['id', 'packet_id', 'after_packet_id', 'received_at', 'import_id', 'source_offset'],
    types: ['bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint']
  },
  {
    table: 'gaps', order: 'id', identity: true,
    columns: ['id', 'apid', 'after_sequence', 'before_sequence', 'missing', 'after_packet_id', 'before_packet_id', 'detected_at'],
    types: ['bigint', 'int', 'int', 'int', 'int', 'bigint', 'bigint', 'bigint']
  },
  { table: 'apid_state', order: 'apid', columns: ['apid', 'last_sequence', 'last_packet_id', 'images'], types: ['int', 'int', 'bigint', 'smallint'] },
  {
    table: 'decodes', order: 'id', identity: true,
    columns: ['id', 'packet_id', 'params_key', 'created_at', 'image_png', 'result_json'],
    types: ['bigint', 'bigint', 'text', 'bigint', 'bytea', 'text']
  },
  { table: 'plans', order: 'id', identity: true, columns: ['id', 'created_at', 'name', 'input_json', 'result_json'], types: ['bigint', 'bigint', 'text', 'text', 'text'] },
  {
    table: 'events', order: 'id', identity: true,
    columns: ['id', 'time', 'severity', 'source', 'message', 'packet_id', 'data_json'],
    types: ['bigint', 'bigint', 'text', 'text', 'text', 'bigint', 'text']
  },
  { table: 'station_settings', order: 'key', columns: ['key', 'value'], types: ['text', 'text'] },
  {
    table: 'timeline_rollup', order: 'level, apid, bin, status',
    columns: ['level', 'bin', 'apid', 'status', 'packets', 'octets', 'max_octets', 'c_n', 'c_sum', 'c_min', 'c_max', 'first_id', 'last_id'],
    types: ['int', 'bigint', 'int', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'int', 'int', 'bigint', 'bigint']
  }
]

/** Rows per INSERT: bounded memory whatever the log's size (at most ~130 MB of the largest packets). */
const CHUNK = 2000

async function copyTable(src: Database.Database, c: pg.ClientBase, t: TableCopy, onRows: (n: number) => void): Promise<number> {
  const insert = `INSERT INTO ${t.table} (${t.columns.join(', ')}) SELECT * FROM unnest(${t.types.map((ty, i) => `$${i + 1}::${ty}[]`).join(', ')})`
  let cols: unknown[][] = t.columns.map(() => [])
  let n = 0
  let pending = 0
  for (const row of src.prepare(`SELECT ${t.columns.join(', ')} FROM ${t.table} ORDER BY ${t.order}`).raw().iterate() as Iterable<unknown[]>) {
    for (let i = 0; i < row.length; i++) cols[i].push(row[i])
    if (++pending === CHUNK) {
      await c.query(insert, cols)
      n += pending
      onRows(pending)
      pending = 0
      cols = t.columns.map(() => [])
    }
  }
  if (pending > 0) {
    await c.query(insert, cols)
    n += pending
    onRows(pending)
  }
  if (t.identity) await c.query(`SELECT setval(pg_get_serial_sequence('${t.table}', 'id'), COALESCE((SELECT MAX(id) FROM ${t.table}), 0) + 1, false)`)
  return n
}

async function fileCheck(path: string, bytes: number): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return { bytes, sha256: h.digest('hex') }
}

const comparable = (s: LogStats) => ({
  packets: s.packets, byStatus: s.byStatus, duplicates: s.duplicates, gaps: s.gaps, missing: s.missing, bytes: s.bytes, imports: s.imports, events: s.events,
  imageApids: s.imageApids, perApid: s.perApid
})

export async function migrateSqliteToPostgres(
  sqliteFile: string,
  url: string,
  opts: { onProgress?: (p: MigrateProgress) => void; workDir?: string } = {}
): Promise<MigrateSummary> {
  const started = performance.now()
  const source = new PacketLog(sqliteFile, { mustExist: true, readonly: true })
  let target: PostgresArchive | undefined
  const work = mkdtempSync(join(opts.workDir ?? tmpdir(), 'gsc-migrate-'))
  try {
    target = await openPostgresArchive(url)
    const held = (
      await target.query<{ n: number; what: string }>(
        `SELECT n, what FROM (SELECT COUNT(*) AS n, 'packets' AS what FROM packets UNION ALL SELECT COUNT(*), 'imports' FROM imports
          UNION ALL SELECT COUNT(*), 'events' FROM events UNION ALL SELECT COUNT(*), 'plans' FROM plans UNION ALL SELECT COUNT(*), 'decodes' FROM decodes) c WHERE n > 0`
      )
    )
    if (held.length > 0)
      throw new GscError(`the archive at ${target.location} is not empty (${held.map((h) => `${h.n} ${h.what}`).join(', ')}); migrate into an empty database`)

    const rows: Record<string, number> = {}
    const counts = Object.fromEntries(TABLES.map((t) => [t.table, source.db.prepare(`SELECT COUNT(*) FROM ${t.table}`).pluck().get() as number]))
    const t0 = target
    await t0.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
      // The schema's roll-up rebuild ran on an empty table; the copied rows replace it (there is nothing else yet).
      await c.query('DELETE FROM timeline_rollup; DELETE FROM station_settings;')
      for (const t of TABLES) {
        let done = 0
        rows[t.table] = await copyTable(source.db, c, t, (k) => {
          done += k
          opts.onProgress?.({ table: t.table, rows: done, totalRows: counts[t.table] })
        })
      }
    })

    // Verification: what each back end exports, byte for byte, and the counts an operator reads.
    const check = async (withDuplicates: boolean) => {
      const a = join(work, `sqlite${withDuplicates ? '-dups' : ''}.bin`)
      const b = join(work, `postgres${withDuplicates ? '-dups' : ''}.bin`)
      const ea = source.exportCapture(a, { withDuplicates })
      const eb = await t0.exportCapture(b, { withDuplicates })
      const [fa, fb] = [await fileCheck(a, ea.bytes), await fileCheck(b, eb.bytes)]
      rmSync(a, { force: true })
      rmSync(b, { force: true })
      const identical = fa.sha256 === fb.sha256 && fa.bytes === fb.bytes
      return { source: { ...fa, identical }, target: { ...fb, identical } }
    }
    const plain = await check(false)
    const withDups = await check(true)
    const statsMatch = JSON.stringify(comparable(source.stats())) === JSON.stringify(comparable(await t0.stats()))
    const s = source.stats()
    return {
      from: sqliteFile, to: t0.location, rows, packets: s.packets, duplicates: s.duplicates, bytes: s.bytes,
      export: plain, exportWithDuplicates: withDups, statsMatch,
      verified: plain.source.identical && withDups.source.identical && statsMatch,
      seconds: (performance.now() - started) / 1000
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
    source.close()
    await target?.close()
  }
}
