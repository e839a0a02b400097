// Opens (or creates) a packet-log SQLite file: validates it is ours, upgrades older schemas,
// refuses newer ones, and sets WAL. Every failure is a one-line GscError.
import Database from 'better-sqlite3'
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { GscError, describeError } from '../util/errors'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations'

const SQLITE_MAGIC = 'SQLite format 3\u0000'

export interface OpenOptions {
  /** Fail instead of creating a new file (read-only commands such as stats and export). */
  mustExist?: boolean
  readonly?: boolean
}

function checkFileHeader(file: string): void {
  let st
  try {
    st = statSync(file)
  } catch (e) {
    throw new GscError(`cannot read packet log ${file}: ${describeError(e)}`, 'EIO')
  }
  if (st.isDirectory()) throw new GscError(`packet log ${file} is a directory, not a SQLite file`)
  if (st.size === 0) return // an empty file becomes a new log
  const head = Buffer.alloc(16)
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (e) {
    throw new GscError(`cannot read packet log ${file}: ${describeError(e)}`, 'EIO')
  }
  try {
    readSync(fd, head, 0, 16, 0)
  } finally {
    closeSync(fd)
  }
  if (head.toString('latin1') !== SQLITE_MAGIC) throw new GscError(`${file} is not a SQLite database (not a gsc packet log)`)
}

export function openDatabase(file: string, opts: OpenOptions = {}): Database.Database {
  const exists = file !== ':memory:' && existsSync(file)
  if (!exists && opts.mustExist) throw new GscError(`no packet log at ${file}`, 'ENOENT')
  if (exists) checkFileHeader(file)
  let db: Database.Database
  try {
    db = new Database(file, { readonly: Boolean(opts.readonly), fileMustExist: Boolean(opts.mustExist) })
  } catch (e) {
    throw new GscError(`cannot open packet log ${file}: ${describeError(e)}`, 'EIO')
  }
  try {
    if (!opts.readonly) db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL') // WAL + NORMAL: a committed transaction survives a process kill
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.pragma('cache_size = -65536') // 64 MiB page cache: the sha256 index is written at random places
    migrate(db, file, Boolean(opts.readonly))
    return db
  } catch (e) {
    db.close()
    if (e instanceof GscError) throw e
    throw new GscError(`cannot use packet log ${file}: ${describeError(e)}`, 'EIO')
  }
}

function currentVersion(db: Database.Database, file: string): number {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]
  if (tables.length === 0) return 0
  if (!tables.includes('schema_migrations'))
    throw new GscError(`${file} is a SQLite database but not a gsc packet log (no schema_migrations table)`)
  return (db.prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() as number) ?? 0
}

function migrate(db: Database.Database, file: string, readonly: boolean): void {
  const version = currentVersion(db, file)
  if (version > SCHEMA_VERSION)
    throw new GscError(`packet log ${file} has schema version ${version}, newer than this gsc supports (${SCHEMA_VERSION}); upgrade gsc`)
  if (version === SCHEMA_VERSION) return
  if (readonly) throw new GscError(`packet log ${file} has schema version ${version} and needs an upgrade to ${SCHEMA_VERSION}; open it writable once`)
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
    for (const m of MIGRATIONS) {
      if (m.version <= version) continue
      m.up(db)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now())
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
    // A migration may rebuild a table others refer to (SQLite's documented way to change a CHECK): foreign
    // keys are off while it runs, and every reference must still hold before the upgrade commits.
    const broken = db.pragma('foreign_key_check') as unknown[]
    if (broken.length > 0) throw new GscError(`upgrading packet log ${file} to schema ${SCHEMA_VERSION} would break ${broken.length} reference(s); left at version ${version}`)
  })
  db.pragma('foreign_keys = OFF') // no effect inside a transaction, so set around it
  try {
    apply.immediate()
  } finally {
    db.pragma('foreign_keys = ON')
  }
}
