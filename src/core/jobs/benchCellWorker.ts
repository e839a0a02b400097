// What a decode worker does with a bench cell job: reads the bench's image, encodes it at the cell's C with the
// bench's model set, decodes that packet and stores packet, pixels (PNG, lossless) and the rest under the job's id.
// The codec is deterministic (the packet's seed drives the decoder's noise), so the bench measures the pixels an
// in-process run would have. An image's preparation is kept for its next cell on this worker.
import type pg from 'pg'
import type PgBoss from 'pg-boss'
import { gscCodecFingerprint, realGscCodec, type GscPrepared } from '../bench/gscCodec'
import { encodePng, readImage } from '../image/rgbImage'
import type { ExecutionProvider } from '../modelAssets/manifest'
import type { PacketArchive } from '../store/archive'
import { GscError, describeError } from '../util/errors'
import { cellName, type BenchCellJobData, type BenchCellResultJson } from './benchCellJob'

export interface BenchCellEvent {
  type: 'start' | 'done' | 'cached' | 'failed'
  jobId: string
  imageId: string
  c: number
  attempt: number
  attempts: number
  /** Encode and decode, ms. */
  cellMs?: number
  error?: string
}

export interface BenchCellHandlerContext {
  pool: pg.Pool
  archive: PacketArchive
  worker: string
  executionProvider: ExecutionProvider
  modelsDir?: string
  onEvent?(e: BenchCellEvent): void
}

export function benchCellHandler(ctx: BenchCellHandlerContext): (job: PgBoss.JobWithMetadata<BenchCellJobData>) => Promise<unknown> {
  let last: { key: string; prepared: Promise<GscPrepared> } | null = null
  return async (job) => {
    const d = job.data
    const attempt = job.retryCount + 1
    const attempts = job.retryLimit + 1
    const base = { jobId: job.id, imageId: d.imageId, c: d.c, attempt, attempts }
    const emit = (e: BenchCellEvent) => ctx.onEvent?.(e)
    try {
      if ((await ctx.pool.query('SELECT 1 FROM bench_cell_results WHERE job_id = $1', [job.id])).rowCount) {
        emit({ ...base, type: 'cached' })
        return { cached: true }
      }
      emit({ ...base, type: 'start' })
      if (attempt > 1)
        await ctx.archive.addEvent({
          severity: 'warning', source: 'worker',
          message: `${cellName(d)} (job ${job.id}): attempt ${attempt} of ${attempts}, taken by ${ctx.worker} (an earlier attempt failed or its worker was lost)`
        })
      const mine = gscCodecFingerprint({ modelsDir: ctx.modelsDir, modelSet: d.modelSet, steps: d.steps, lumaRule: d.lumaRule })
      if (mine !== d.modelFingerprint)
        throw new GscError(`this worker's model files differ from the bench's (model set ${d.modelSet ?? 'default'}): its cells would not be the bench's`)
      const codec = realGscCodec({ executionProvider: ctx.executionProvider, modelsDir: ctx.modelsDir, modelSet: d.modelSet, steps: d.steps, lumaRule: d.lumaRule })
      const key = `${d.runId} ${d.sha256} ${mine}`
      if (last?.key !== key) {
        const input = await ctx.pool.query<{ bytes: Buffer }>('SELECT bytes FROM bench_cell_inputs WHERE run_id = $1 AND sha256 = $2', [d.runId, d.sha256])
        if (!input.rows[0]) throw new GscError(`the image of ${cellName(d)} is no longer stored (its bench ended)`)
        const bytes = input.rows[0].bytes
        last = { key, prepared: readImage(bytes).then((img) => codec.prepare(img)) }
        last.prepared.catch(() => undefined) // awaited below; a failure is this job's
      }
      const t0 = Date.now()
      const prepared = await last.prepared.catch((e) => {
        last = null // not kept for the next cell
        throw e
      })
      const { packet, ...packed } = await prepared.pack(d.c)
      const decoded = await codec.decode(packet)
      const cellMs = Date.now() - t0
      const result: BenchCellResultJson = {
        caption: prepared.caption, prepareMs: prepared.prepareMs, ...packed, decodeMs: decoded.decodeMs, steps: decoded.steps,
        worker: ctx.worker, executionProvider: ctx.executionProvider, attempt
      }
      // Once per job: a second attempt of a job whose first one was only slow finds the row and writes nothing.
      await ctx.pool.query(
        `INSERT INTO bench_cell_results (job_id, run_id, packet, image_png, result) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO NOTHING`,
        [job.id, d.runId, Buffer.from(packet), await encodePng(decoded.image), JSON.stringify(result)]
      )
      emit({ ...base, type: 'done', cellMs })
      return { cellMs, worker: ctx.worker }
    } catch (e) {
      const error = describeError(e)
      emit({ ...base, type: 'failed', error })
      if (attempt >= attempts)
        await ctx.archive
          .addEvent({
            severity: 'error', source: 'worker', data: { jobId: job.id, attempts, error },
            message: `${cellName(d)} (job ${job.id}) failed for good after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${error}`
          })
          .catch(() => undefined)
      throw e
    }
  }
}
