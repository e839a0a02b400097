// Schema versions: a new file is created at the latest version, older files are upgraded in
// place, newer ones and foreign files are refused with one clear line.
import Database from 'better-sqlite3'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/core/store/migrations'
import { openPacketLog } from '../../src/core/store/packetLog'
import { gscPacket } from '../fixtures/storeFixtures'

const dir = mkdtempSync(join(tmpdir(), 'gsc-migr-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const versions = (file: string) => {
  const db = new Database(file, { readonly: true })
  const v = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()
  const uv = db.pragma('user_version', { simple: true })
  const mode = db.pragma('journal_mode', { simple: true })
  db.close()
  return { v, uv, mode }
}

describe('migrations', () => {
  it('creates every table in a new file and in an existing empty file, in WAL mode', () => {
    for (const file of [join(dir, 'new.db'), join(dir, 'empty.db')]) {
      if (file.endsWith('empty.db')) writeFileSync(file, '')
      openPacketLog(file).close()
      expect(versions(file)).toEqual({ v: MIGRATIONS.map((m) => m.version), uv: SCHEMA_VERSION, mode: 'wal' })
      const db = new Database(file, { readonly: true })
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all()
      db.close()
      expect(tables).toEqual(expect.arrayContaining(['packets', 'duplicates', 'gaps', 'imports', 'apid_state', 'decodes', 'plans', 'events', 'schema_migrations']))
    }
  })

  it('upgrades a version-1 file in place and keeps its packets', () => {
    const file = join(dir, 'v1.db')
    const db = new Database(file)
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
    MIGRATIONS[0].up(db)
    db.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0].name)
    db.close()
    // Version 1 has no events table yet; write a packet with a v1 build's tables only.
    const log = openPacketLog(file)
    expect(versions(file).v).toEqual(MIGRATIONS.map((m) => m.version))
    log.ingest(gscPacket(1, 0, 1))
    log.addEvent({ severity: 'info', source: 'test', message: 'after upgrade' })
    log.close()
    const again = openPacketLog(file)
    expect(again.stats()).toMatchObject({ packets: 1, events: 1, schemaVersion: SCHEMA_VERSION })
    again.close()
  })

  it('refuses a file from a newer gsc, a non-SQLite file, a foreign SQLite file and a missing log', () => {
    const newer = join(dir, 'newer.db')
    openPacketLog(newer).close()
    const db = new Database(newer)
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(SCHEMA_VERSION + 7, 'from the future')
    db.close()
    expect(() => openPacketLog(newer)).toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 7}, newer than this gsc supports \\(${SCHEMA_VERSION}\\)`))

    const text = join(dir, 'notes.txt')
    writeFileSync(text, 'these are not the packets you are looking for\n'.repeat(10))
    expect(() => openPacketLog(text)).toThrow(/not a SQLite database/)

    const foreign = join(dir, 'foreign.db')
    const f = new Database(foreign)
    f.exec('CREATE TABLE customers (id INTEGER)')
    f.close()
    expect(() => openPacketLog(foreign)).toThrow(/not a gsc packet log/)

    expect(() => openPacketLog(join(dir, 'absent.db'), { mustExist: true })).toThrow(/no packet log at/)
    const sub = join(dir, 'adir.db')
    mkdirSync(sub)
    expect(() => openPacketLog(sub)).toThrow(/is a directory/)
    expect(() => openPacketLog(join(dir, 'no', 'such', 'dir.db'))).toThrow(/cannot open packet log/)
  })
})
