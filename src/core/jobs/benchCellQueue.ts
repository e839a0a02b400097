// `gsc bench --workers`: the bench's GSC cells as jobs on the decode queue, for the live `gsc worker`s to run. The
// bench uploads each image once per run, enqueues its cells in the order it will measure them, and reads each result
// when it reaches that cell (one at a time: memory stays one cell's), deleting it once read. A cell the workers cannot
// deliver (its job failed every attempt, or was cancelled, or no live worker is left) runs in this process instead,
// with a warning line, so the report is the same either way.
import { decodeGscPacket } from '../bitstream/gscPacket'
import { randomUUID, createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type pg from 'pg'
import type { GscCellRef, GscCellResult, GscCellRunner } from '../bench/runBench'
import { readImage, type RgbImage } from '../image/rgbImage'
import { poolFor, serverName, withConnectRetries } from '../store/postgres/connection'
import { BENCH_CELL_KIND, cellName, ensureBenchCellTables, type BenchCellJobData, type BenchCellResultJson } from './benchCellJob'
import { DECODE_QUEUE } from './decodeJob'
import { DecodeQueue, failureMessage } from './decodeQueue'
import { listWorkerPresence } from './workerPresence'
import type { LumaRule } from '../codec/types'

export interface QueuedCellsOptions {
  modelSet?: number
  steps?: number
  lumaRule?: LumaRule
  /** gscCodecFingerprint of the bench's models; workers with other model files refuse the cells. */
  modelFingerprint: string
  /** Where a cell runs when the workers cannot deliver it. */
  local: GscCellRunner
  /** Attempts after the first. Default 2. */
  retryLimit?: number
  /** A cell running longer than this is presumed lost with its worker and retried. Default 300 s. */
  expireSeconds?: number
  /** Seconds before a failed attempt is retried (doubling). Default 5. */
  retryDelaySeconds?: number
  /** Warning lines (a cell run here instead). */
  onInfo?(line: string): void
}

export interface QueuedCells extends GscCellRunner {
  /** host:port/database of the queue. */
  readonly where: string
  start(cells: GscCellRef[]): Promise<void>
  /** Cells delivered by workers (by worker name), and cells run in this process instead. */
  readonly stats: { byWorkers: number; inProcess: number; workers: Record<string, number> }
  /** Cancels this run's jobs not yet delivered and deletes its stored images and results. */
  close(): Promise<void>
}

/** How often a result row is looked for while waiting, and how often the job's state and the workers are checked. */
const POLL_MS = 200
const STATE_CHECK_MS = 1000

/** The queued cell runner, or `{ noLiveWorker }` when no worker is live on that archive (the bench then runs here). */
export async function openQueuedCells(url: string, opts: QueuedCellsOptions): Promise<QueuedCells | { noLiveWorker: string }> {
  const where = serverName(url)
  const pool = poolFor(url, 2)
  let queue: DecodeQueue | undefined
  try {
    const live = (await withConnectRetries(url, 'reach the', () => listWorkerPresence(pool))).filter((w) => w.live)
    if (live.length === 0) {
      await pool.end()
      return { noLiveWorker: where }
    }
    await ensureBenchCellTables(pool)
    queue = await DecodeQueue.open(url, { retryLimit: opts.retryLimit ?? 2, expireSeconds: opts.expireSeconds ?? 300, retryDelaySeconds: opts.retryDelaySeconds ?? 5 })
  } catch (e) {
    await pool.end().catch(() => undefined)
    throw e
  }
  return new QueuedCellRunner(where, pool, queue, randomUUID(), opts)
}

class QueuedCellRunner implements QueuedCells {
  readonly stats = { byWorkers: 0, inProcess: 0, workers: {} as Record<string, number> }
  /** Job ids of cells enqueued and not yet read, by cellKey. */
  private readonly pending = new Map<string, string>()
  /** Set when no live worker is left: every cell from then on runs here. */
  private workersGone = false

  constructor(readonly where: string, private readonly pool: pg.Pool, private readonly queue: DecodeQueue, private readonly runId: string, private readonly opts: QueuedCellsOptions) {}

  /** Uploads each image once and enqueues its cells, image by image, so workers start on the first at once. */
  async start(cells: GscCellRef[]): Promise<void> {
    const byFile = new Map<string, GscCellRef[]>()
    for (const cell of cells) byFile.set(cell.file, [...(byFile.get(cell.file) ?? []), cell])
    for (const [file, ofImage] of byFile) {
      const bytes = await readFile(file)
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      await this.pool.query('INSERT INTO bench_cell_inputs (run_id, sha256, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [this.runId, sha256, bytes])
      const jobs: BenchCellJobData[] = ofImage.map((cell) => ({
        kind: BENCH_CELL_KIND, runId: this.runId, imageId: cell.imageId, sha256, c: cell.c, modelSet: this.opts.modelSet, steps: this.opts.steps, lumaRule: this.opts.lumaRule,
        modelFingerprint: this.opts.modelFingerprint
      }))
      const ids = await this.queue.enqueue(jobs)
      ofImage.forEach((cell, i) => this.pending.set(cellKey(cell), ids[i]))
    }
  }

  async run(cell: GscCellRef, image: () => Promise<RgbImage>, signal?: AbortSignal): Promise<GscCellResult> {
    const jobId = this.pending.get(cellKey(cell))
    if (!jobId || this.workersGone) return this.here(cell, image, signal)
    this.pending.delete(cellKey(cell))
    const name = cellName({ imageId: cell.imageId, c: cell.c })
    let nextStateCheck = Date.now() + STATE_CHECK_MS
    for (;;) {
      if (signal?.aborted) {
        await this.queue.boss.cancel(DECODE_QUEUE, jobId).catch(() => undefined)
        signal.throwIfAborted()
      }
      const got = await this.take(jobId)
      if (got) return got
      if (Date.now() >= nextStateCheck) {
        nextStateCheck = Date.now() + STATE_CHECK_MS
        const j = await this.queue.boss.getJobById(DECODE_QUEUE, jobId, { includeArchive: true })
        let why: string | null = null
        if (!j) why = 'its job is no longer in the queue'
        else if (j.state === 'failed') why = `it failed on the workers after ${j.retryCount + 1} attempt${j.retryCount === 0 ? '' : 's'}: ${failureMessage(j.output)}`
        else if (j.state === 'cancelled') why = 'its job was cancelled in the queue'
        else if (j.state === 'completed') {
          const late = await this.take(jobId) // stored between the two reads
          if (late) return late
          why = 'its job completed but no result is stored'
        }
        if (why) {
          this.opts.onInfo?.(`warning: ${name}: ${why}; running it in this process`)
          return this.here(cell, image, signal)
        }
        if ((await listWorkerPresence(this.pool)).every((w) => !w.live)) {
          this.workersGone = true
          const left = [jobId, ...this.pending.values()]
          await this.queue.boss.cancel(DECODE_QUEUE, left).catch(() => undefined)
          this.opts.onInfo?.(`warning: no live gsc worker left on ${this.where}: the ${left.length} remaining GSC cells run in this process`)
          return (await this.take(jobId)) ?? this.here(cell, image, signal)
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  /** The job's result if a worker has stored it (read once: the row is deleted). */
  private async take(jobId: string): Promise<GscCellResult | null> {
    const { rows } = await this.pool.query<{ packet: Buffer; image_png: Buffer; result: BenchCellResultJson }>(
      'DELETE FROM bench_cell_results WHERE job_id = $1 RETURNING packet, image_png, result',
      [jobId]
    )
    const row = rows[0]
    if (!row) return null
    const r = row.result
    this.stats.byWorkers++
    this.stats.workers[r.worker] = (this.stats.workers[r.worker] ?? 0) + 1
    return {
      caption: r.caption,
      prepareMs: r.prepareMs,
      packed: {
        packet: new Uint8Array(row.packet), quantStep: r.quantStep, fitsTarget: r.fitsTarget, targetBits: r.targetBits, channelIndices: r.channelIndices,
        modelSet: decodeGscPacket(new Uint8Array(row.packet)).header.modelId,
        // In the codec's key order (jsonb stores keys in its own order), so records and report read the same as in-process.
        sections: { header: r.sections.header, caption: r.sections.caption, latents: r.sections.latents, detections: r.sections.detections, total: r.sections.total },
        packMs: r.packMs
      },
      decoded: { image: await readImage(row.image_png), decodeMs: r.decodeMs, steps: r.steps }
    }
  }

  private async here(cell: GscCellRef, image: () => Promise<RgbImage>, signal?: AbortSignal): Promise<GscCellResult> {
    const r = await this.opts.local.run(cell, image, signal)
    this.stats.inProcess++
    return r
  }

  async close(): Promise<void> {
    try {
      const left = [...this.pending.values()]
      this.pending.clear()
      if (left.length > 0) await this.queue.boss.cancel(DECODE_QUEUE, left).catch(() => undefined)
      await this.pool.query('DELETE FROM bench_cell_results WHERE run_id = $1', [this.runId]).catch(() => undefined)
      await this.pool.query('DELETE FROM bench_cell_inputs WHERE run_id = $1', [this.runId]).catch(() => undefined)
    } finally {
      await this.queue.close().catch(() => undefined)
      await this.pool.end().catch(() => undefined)
    }
  }
}

function cellKey(cell: GscCellRef): string {
  return `${cell.file}\u0000${cell.c}`
}

