// A bench cell on the decode queue (`gsc bench --workers`): one image encoded at one C and that packet decoded, by
// a `gsc worker`. The job names its image by sha256; the bytes wait in bench_cell_inputs (uploaded by the bench for its
// run) and the worker's result, packet and reconstructed pixels, in bench_cell_results under the job's id, until the
// bench reads and deletes it. Both tables belong to the queue layer (like decode_workers), not to the archive's schema.
import type { GscPacked } from '../bench/gscCodec'
import type { LumaRule } from '../codec/types'
import { createTablesOnce, type Queryable } from './createTablesOnce'

export const BENCH_CELL_KIND = 'bench-cell'

export interface BenchCellJobData {
  kind: typeof BENCH_CELL_KIND
  /** The bench run (its inputs and results are keyed by it). */
  runId: string
  /** The image's id in its dataset, for logs only. */
  imageId: string
  /** sha256 of the image file's bytes in bench_cell_inputs. */
  sha256: string
  c: number
  modelSet?: number
  steps?: number
  /** Set 28's luma rule (absent: lumaSearch.ts DEFAULT_LUMA_RULE). */
  lumaRule?: LumaRule
  /** gscCodecFingerprint of the bench's models: a worker with other model files refuses the cell (other pixels). */
  modelFingerprint: string
}

/** What the worker stores beside the packet and the PNG (the GscCellResult without its binary parts). */
export interface BenchCellResultJson extends Omit<GscPacked, 'packet'> {
  caption: string
  prepareMs: number
  decodeMs: number
  steps: number
  worker: string
  executionProvider: string
  attempt: number
}

export function isBenchCellJob(data: unknown): data is BenchCellJobData {
  return (data as { kind?: unknown } | null)?.kind === BENCH_CELL_KIND
}

/** A bench cell as messages name it. */
export function cellName(d: Pick<BenchCellJobData, 'imageId' | 'c'>): string {
  return `bench cell ${d.imageId} C=${d.c}`
}

/** Rows of runs that ended without cleaning up (a bench killed) are removed after this long. */
const FORGET_AFTER_HOURS = 24


/** Creates the two tables once (an advisory lock serialises benches starting together) and drops day-old rows. */
export async function ensureBenchCellTables(db: Queryable): Promise<void> {
  await createTablesOnce(db, 'gsc bench_cells', [
    `CREATE TABLE IF NOT EXISTS bench_cell_inputs (
      run_id uuid NOT NULL, sha256 text NOT NULL, bytes bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, sha256))`,
    `CREATE TABLE IF NOT EXISTS bench_cell_results (
      job_id uuid PRIMARY KEY, run_id uuid NOT NULL, packet bytea NOT NULL, image_png bytea NOT NULL, result jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`
  ])
  for (const t of ['bench_cell_inputs', 'bench_cell_results'])
    await db.query(`DELETE FROM ${t} WHERE created_at < now() - make_interval(hours => $1)`, [FORGET_AFTER_HOURS])
}
