// Streams stored raw bytes back out as a capture file, in receive order (packet id order), with
// constant memory: rows are iterated into the export file (exportFile.ts).
import { existsSync, realpathSync } from 'node:fs'
import type Database from 'better-sqlite3'
import { GscError } from '../util/errors'
import { openExportFile } from './exportFile'
import type { ExportFilter, ExportSummary } from './types'

export function exportCaptureFrom(db: Database.Database, outPath: string, filter: ExportFilter = {}): ExportSummary {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (filter.apid !== undefined) {
    where.push('p.apid = @apid')
    params.apid = filter.apid
  }
  if (filter.status !== undefined) {
    where.push('p.status = @status')
    params.status = filter.status
  }
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : ''
  // A duplicate reception is re-emitted right after the packet that was newest when it arrived.
  const sql = filter.withDuplicates
    ? `SELECT raw, dup FROM (
         SELECT p.raw AS raw, p.id AS k, 0 AS sub, 0 AS dup FROM packets p ${cond}
         UNION ALL
         SELECT p.raw, d.after_packet_id, d.id, 1 FROM duplicates d JOIN packets p ON p.id = d.packet_id ${cond}
       ) ORDER BY k, sub`
    : `SELECT p.raw AS raw, 0 AS dup FROM packets p ${cond} ORDER BY p.id`
  const dbFile = db.name
  if (dbFile && existsSync(outPath) && realpathSync(outPath) === realpathSync(dbFile))
    throw new GscError(`refusing to export over the packet log itself (${outPath})`)
  const file = openExportFile(outPath)
  try {
    for (const row of db.prepare(sql).iterate(params) as Iterable<{ raw: Buffer; dup: number }>) file.write(row.raw, Boolean(row.dup))
    return file.commit()
  } catch (e) {
    return file.abort(e)
  }
}
