// Streams stored raw bytes back out as a capture file, in receive order (packet id order), with
// constant memory: rows are iterated and written through a 1 MiB buffer into a temp file that is
// renamed into place only when complete.
import { closeSync, existsSync, fsyncSync, openSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import type Database from 'better-sqlite3'
import { GscError, describeError } from '../util/errors'
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
  const tmp = `${outPath}.partial-${process.pid}`
  let fd: number
  try {
    fd = openSync(tmp, 'w')
  } catch (e) {
    throw new GscError(`cannot write ${outPath}: ${describeError(e)}`, 'EIO')
  }
  const summary: ExportSummary = { path: outPath, packets: 0, duplicates: 0, bytes: 0 }
  const buf = Buffer.allocUnsafe(1 << 20)
  let used = 0
  const drain = () => {
    let off = 0
    while (off < used) off += writeSync(fd, buf, off, used - off)
    used = 0
  }
  try {
    for (const row of db.prepare(sql).iterate(params) as Iterable<{ raw: Buffer; dup: number }>) {
      const raw = row.raw
      if (used + raw.length > buf.length) drain()
      if (raw.length > buf.length) {
        let off = 0
        while (off < raw.length) off += writeSync(fd, raw, off, raw.length - off)
      } else {
        raw.copy(buf, used)
        used += raw.length
      }
      if (row.dup) summary.duplicates++
      else summary.packets++
      summary.bytes += raw.length
    }
    drain()
    fsyncSync(fd)
    closeSync(fd)
    renameSync(tmp, outPath)
  } catch (e) {
    try {
      closeSync(fd)
    } catch {
      /* already closed */
    }
    try {
      unlinkSync(tmp)
    } catch {
      /* nothing to remove */
    }
    throw new GscError(`cannot write ${outPath}: ${describeError(e)}`, 'EIO')
  }
  return summary
}
