// The capture file an export writes, for every back end: raw packets through a 1 MiB buffer into a temp file that is
// renamed into place only when complete (a failed export leaves nothing at the path), with the export's counts.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { GscError, describeError } from '../util/errors'
import type { ExportSummary } from './types'

export interface ExportFile {
  /** Appends one stored packet (a repeated reception when `dup`). */
  write(raw: Buffer, dup: boolean): void
  /** Flushes, syncs and renames the file into place; returns the counts. */
  commit(): ExportSummary
  /** Closes and removes the temp file, then throws `e` as a one-line GscError naming the path. */
  abort(e: unknown): never
}

export function openExportFile(outPath: string): ExportFile {
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
  return {
    write(raw, dup) {
      if (used + raw.length > buf.length) drain()
      if (raw.length > buf.length) {
        let off = 0
        while (off < raw.length) off += writeSync(fd, raw, off, raw.length - off)
      } else {
        raw.copy(buf, used)
        used += raw.length
      }
      if (dup) summary.duplicates++
      else summary.packets++
      summary.bytes += raw.length
    },
    commit() {
      drain()
      fsyncSync(fd)
      closeSync(fd)
      renameSync(tmp, outPath)
      return summary
    },
    abort(e) {
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
      if (e instanceof GscError) throw e
      throw new GscError(`cannot write ${outPath}: ${describeError(e)}`, 'EIO')
    }
  }
}
