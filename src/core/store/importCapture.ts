// Streaming capture import (and paced replay). Reads through readCapture (constant memory),
// commits every batchPackets packets or batchMs, and stores the capture offset reached in the
// same transaction: a kill -9 loses nothing committed and the next import resumes there.
import { createHash } from 'node:crypto'
import { open, realpath, stat } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type Database from 'better-sqlite3'
import { GscError, describeError } from '../util/errors'
import { readCapture } from './captureSource'
import type { BatchResult, ImportCheckpoint, PacketWriter, PendingPacket } from './packetWriter'
import type { ImportOptions, ImportSummary } from './types'

const HEAD_BYTES = 64 * 1024

export interface CaptureIdentity {
  path: string
  size: number
  mtimeMs: number
  headHash: string
}

async function identify(path: string): Promise<CaptureIdentity> {
  let st
  try {
    st = await stat(path)
  } catch (e) {
    throw new GscError(`cannot read capture ${path}: ${describeError(e)}`, 'ENOENT')
  }
  if (st.isDirectory()) throw new GscError(`capture ${path} is a directory`)
  if (st.size === 0) throw new GscError(`capture ${path} is empty`)
  const fh = await open(path, 'r').catch((e) => {
    throw new GscError(`cannot read capture ${path}: ${describeError(e)}`, 'EIO')
  })
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size))
    await fh.read(head, 0, head.length, 0)
    return { path: await realpath(path), size: st.size, mtimeMs: Math.round(st.mtimeMs), headHash: createHash('sha256').update(head).digest('hex') }
  } finally {
    await fh.close()
  }
}

/**
 * Refuses files that are not captures at all, before any row is written: only a file in which no CCSDS packet
 * frames anywhere (GSC or foreign traffic). It reads until the first framed packet, so a capture that begins
 * with megabytes of garbage or of other APIDs' packets is kept; only a file of nothing but garbage is read whole.
 */
async function probe(path: string, size: number, signal?: AbortSignal): Promise<void> {
  for await (const item of readCapture(path, { signal })) if (item.framed) return
  if (signal?.aborted) return
  throw new GscError(`${path} is not a packet capture: no CCSDS packet could be framed in its ${size} octets`)
}

export interface ImportRow {
  id: number
  committed_offset: number
  status: string
  source_size: number
}

type MaybePromise<T> = T | Promise<T>

/** The imports bookkeeping and batch writes of one back end (SQLite here; PostgreSQL in postgres/). */
export interface ImportTarget {
  /** The latest import of the same file (path + head hash), if any. */
  findImport(path: string, headHash: string): MaybePromise<ImportRow | undefined>
  createImport(kind: 'import' | 'replay', id: CaptureIdentity): MaybePromise<number>
  resumeImport(importId: number, id: CaptureIdentity): MaybePromise<void>
  setImportStatus(importId: number, status: 'complete' | 'interrupted' | 'failed'): MaybePromise<void>
  /** Writes a batch and advances the import's committed offset in one transaction. */
  write(batch: PendingPacket[], cp: ImportCheckpoint): MaybePromise<BatchResult>
}

export function sqliteImportTarget(db: Database.Database, writer: PacketWriter): ImportTarget {
  return {
    findImport: (path, headHash) =>
      db
        .prepare(`SELECT id, committed_offset, status, source_size FROM imports WHERE kind = 'import' AND source_path = ? AND head_hash = ? ORDER BY id DESC LIMIT 1`)
        .get(path, headHash) as ImportRow | undefined,
    createImport(kind, id) {
      const now = Date.now()
      const info = db
        .prepare(`INSERT INTO imports (kind, source_path, source_size, source_mtime_ms, head_hash, committed_offset, status, started_at, updated_at)
          VALUES (?, ?, ?, ?, ?, 0, 'running', ?, ?)`)
        .run(kind, id.path, id.size, id.mtimeMs, id.headHash, now, now)
      return Number(info.lastInsertRowid)
    },
    resumeImport(importId, id) {
      db.prepare(`UPDATE imports SET status = 'running', source_size = ?, source_mtime_ms = ?, updated_at = ? WHERE id = ?`).run(id.size, id.mtimeMs, Date.now(), importId)
    },
    setImportStatus(importId, status) {
      db.prepare(`UPDATE imports SET status = ?, updated_at = ? WHERE id = ?`).run(status, Date.now(), importId)
    },
    write: (batch, cp) => writer.write(batch, cp)
  }
}

export function importCaptureInto(db: Database.Database, writer: PacketWriter, path: string, opts: ImportOptions = {}): Promise<ImportSummary> {
  return importCaptureWith(sqliteImportTarget(db, writer), path, opts)
}

/** The import algorithm, the same for every back end. */
export async function importCaptureWith(target: ImportTarget, path: string, opts: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now()
  const kind = opts.kind ?? 'import'
  const id = await identify(path)
  const batchPackets = opts.batchPackets ?? 2000
  const batchMs = opts.batchMs ?? 500

  // Resume: the same file (path + first 64 KiB) imported before and not finished.
  let row: ImportRow | undefined
  if (kind === 'import' && opts.resume !== false) {
    row = await target.findImport(id.path, id.headHash)
    if (row && row.committed_offset > id.size) row = undefined // file shrank: not the same capture
  }
  const resumedFrom = row?.committed_offset ?? 0
  const summary: ImportSummary = {
    capture: path, importId: 0, kind, imported: 0, duplicates: 0, bad: 0, crcFailed: 0, malformed: 0, foreign: 0, idle: 0, gaps: 0, missing: 0,
    bytes: 0, resumedFrom, committedOffset: resumedFrom, captureBytes: id.size, alreadyComplete: false, interrupted: false,
    seconds: 0, packetsPerSecond: 0, mbPerSecond: 0
  }
  const finish = () => {
    summary.seconds = (performance.now() - started) / 1000
    const n = summary.imported + summary.duplicates // bad packets are stored, so already in imported
    summary.packetsPerSecond = summary.seconds > 0 ? n / summary.seconds : 0
    summary.mbPerSecond = summary.seconds > 0 ? summary.bytes / 1e6 / summary.seconds : 0
    return summary
  }
  if (row && row.committed_offset >= id.size) {
    summary.importId = row.id
    summary.alreadyComplete = true
    if (row.status !== 'complete') await target.setImportStatus(row.id, 'complete')
    return finish()
  }
  if (!row) {
    await probe(path, id.size, opts.signal)
    summary.importId = await target.createImport(kind, id)
  } else {
    summary.importId = row.id
    await target.resumeImport(row.id, id)
  }

  let batch: PendingPacket[] = []
  let batchBad = 0
  let batchEnd = resumedFrom
  let lastFlush = performance.now()
  let lastProgress = 0
  // A back end whose writes are asynchronous (PostgreSQL) gets one batch in flight while the next is read: writes
  // still go one at a time and in order, and a batch counts only once its write resolves. SQLite writes synchronously.
  let inflight: Promise<void> | undefined
  let inflightPackets = 0
  let failure: { error: unknown } | undefined
  const settle = async () => {
    if (inflight) await inflight
    inflight = undefined
    inflightPackets = 0
    if (failure) throw failure.error
  }
  const flush = async () => {
    if (batch.length === 0) return
    await settle()
    const end = batchEnd
    const written = target.write(batch, { importId: summary.importId, committedOffset: end })
    const apply = (r: BatchResult) => {
      summary.imported += r.inserted
      summary.duplicates += r.duplicates
      summary.crcFailed += r.crcFailed
      summary.malformed += r.malformed
      summary.foreign += r.foreign
      summary.idle += r.idle
      summary.bad += r.crcFailed + r.malformed
      summary.gaps += r.newGaps
      summary.missing += r.missing
      summary.committedOffset = end
    }
    if (written instanceof Promise) {
      inflightPackets = batch.length
      inflight = written.then(apply, (error: unknown) => void (failure = { error }))
    } else apply(written)
    batch = []
    batchBad = 0
    lastFlush = performance.now()
  }
  /** Writes what is left and waits for every write to finish. */
  const drain = async () => {
    await flush()
    await settle()
  }
  const report = (force = false) => {
    if (!opts.onProgress) return
    const now = performance.now()
    if (!force && now - lastProgress < 100) return
    lastProgress = now
    opts.onProgress({
      bytesDone: batchEnd, bytesTotal: id.size, packets: summary.imported + inflightPackets + batch.length, duplicates: summary.duplicates,
      bad: summary.bad + batchBad, seconds: (now - started) / 1000
    })
  }

  const paceStart = Date.now()
  let n = 0
  try {
    for await (const item of readCapture(path, { startOffset: resumedFrom, signal: opts.signal })) {
      if (opts.signal?.aborted) break
      let receivedAt = Date.now()
      if (opts.rate) {
        // Replay pacing: packet n is "received" n/rate seconds after the start.
        receivedAt = paceStart + Math.round((n * 1000) / opts.rate)
        let wait = receivedAt - Date.now()
        while (wait > 0 && !opts.signal?.aborted) {
          if (performance.now() - lastFlush >= batchMs) await flush()
          report()
          await sleep(Math.min(wait, 100))
          wait = receivedAt - Date.now()
        }
        if (opts.signal?.aborted) break
      }
      n++
      batch.push({ bytes: item.bytes, inspection: item.inspection, receivedAt, importId: summary.importId, sourceOffset: item.offset, framed: item.framed })
      if (!item.framed || item.inspection.crcOk === false) batchBad++ // foreign traffic is not bad (the store decides by APID)
      batchEnd = item.offset + item.bytes.length
      summary.bytes += item.bytes.length
      if (batch.length >= batchPackets || performance.now() - lastFlush >= batchMs) await flush()
      report()
    }
    await drain()
  } catch (e) {
    if (!opts.signal?.aborted) {
      // The uncommitted batch is dropped: a later import resumes at the last commit and re-reads it.
      if (inflight) await inflight // (never rejects: a failed write is kept in `failure`)
      try {
        await target.setImportStatus(summary.importId, 'failed')
      } catch {
        /* the database itself may be what failed */
      }
      if (e instanceof GscError) throw e
      throw new GscError(`import of ${path} failed at byte ${summary.committedOffset}: ${describeError(e)}`, 'EIO')
    }
    // Aborted while waiting for the reader: keep what was read, finish as interrupted below.
    await drain()
  }
  summary.interrupted = Boolean(opts.signal?.aborted) && summary.committedOffset < id.size
  await target.setImportStatus(summary.importId, summary.interrupted ? 'interrupted' : 'complete')
  report(true)
  return finish()
}
