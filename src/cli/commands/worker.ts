// `gsc worker`: a decode worker on the shared archive's job queue; runs until interrupted (SIGINT or SIGTERM).
import { chooseExecutionProvider, cudaProviderInstalled } from '../../core/jobs/executionProvider'
import type { BenchCellEvent } from '../../core/jobs/benchCellWorker'
import { startDecodeWorker, type WorkerEvent } from '../../core/jobs/decodeWorker'
import { codecSessionThreads, setModelThreads } from '../../core/modelAssets/manifest'
import { isPostgresUrl } from '../../core/store/archive'
import { GscError } from '../../core/util/errors'
import { UsageError, numberOpt, requireString, stringOpt, type CommandSpec } from '../framework'

interface WorkerSummary {
  worker: string
  executionProvider: string
  done: number
  written: number
  cached: number
  failedAttempts: number
  benchCells: number
}

const worker: CommandSpec<WorkerSummary> = {
  name: 'worker',
  summary: 'decode jobs from the shared archive\'s queue (reconstructions and uncertainty maps into its decode cache; gsc bench cells)',
  usage:
    'gsc worker --db <postgres://...> [--concurrency N] [--provider cpu|cuda] [--models-dir DIR] [--supervise-s S]\n' +
    '           [--threads N]\n\n' +
    'Takes decode jobs (gsc decode-queue enqueues them) from the pg-boss queue in the archive\'s database, decodes\n' +
    'each packet and stores the result in the archive\'s decode cache, where every client reads it; one result per\n' +
    '(packet, options). It also runs the GSC cells of gsc bench --workers (encode and decode of one image at one C).\n' +
    'A job whose worker dies is retried after its expiry by another worker, a bounded number of\n' +
    'times; one that fails every attempt is listed by gsc decode-queue --failed and logged as an error event.\n' +
    '--provider: default cuda where onnxruntime-node\'s CUDA provider is installed, else cpu. --supervise-s: how often\n' +
    'this worker looks for jobs lost with their worker (default 30). --threads: the codec sessions\' intra-op threads\n' +
    'in this worker, without spinning (default: one per core); with several workers on\n' +
    'one host, give each its share of the cores (--threads 1 for three workers on two cores). Stops on Ctrl-C after\n' +
    'finishing the jobs in hand.',
  options: {
    db: { type: 'string' }, concurrency: { type: 'string' }, provider: { type: 'string' }, 'models-dir': { type: 'string' }, 'supervise-s': { type: 'string' }, threads: { type: 'string' }
  },
  async run(args, ctx) {
    const db = requireString(args, 'db', 'PostgreSQL archive URL, --db postgres://...')
    if (!isPostgresUrl(db)) throw new UsageError(`--db must be a postgres:// or postgresql:// URL (workers share a PostgreSQL archive), got '${db}'`)
    const requested = stringOpt(args, 'provider')
    if (requested !== undefined && requested !== 'cpu' && requested !== 'cuda') throw new UsageError(`--provider must be cpu or cuda, got '${requested}'`)
    const concurrency = numberOpt(args, 'concurrency', 1, { int: true, min: 1, max: 64 })!
    const superviseSeconds = numberOpt(args, 'supervise-s', 30, { min: 1 })!
    const threads = numberOpt(args, 'threads', undefined, { int: true, min: 1, max: 256 })
    const { provider, why } = chooseExecutionProvider(requested)
    // Refused at start rather than failing every job: without the library no CUDA session can open.
    if (provider === 'cuda' && !cudaProviderInstalled())
      throw new GscError("--provider cuda: onnxruntime-node's CUDA provider (libonnxruntime_providers_cuda.so) is not installed here; use --provider cpu")
    // before the first job opens a session: every codec session of this process gets the budget
    setModelThreads(threads)
    const codecThreads = codecSessionThreads()
    const s: WorkerSummary = { worker: '', executionProvider: provider, done: 0, written: 0, cached: 0, failedAttempts: 0, benchCells: 0 }
    const line = (e: WorkerEvent) => {
      const what = `job ${e.jobId} ${e.kind} packet ${e.packetId} attempt ${e.attempt}/${e.attempts}`
      if (e.type === 'start') ctx.info(`start ${what}`)
      else if (e.type === 'done') {
        s.done++
        if (e.written) s.written++
        ctx.info(`done ${what} in ${e.decodeMs} ms${e.written ? '' : ' (an earlier attempt had stored it; not written again)'}`)
      } else if (e.type === 'cached') {
        s.cached++
        ctx.info(`cached ${what} (already in the decode cache)`)
      } else {
        s.failedAttempts++
        ctx.info(`failed ${what}: ${e.error}`)
      }
    }
    const cellLine = (e: BenchCellEvent) => {
      const what = `job ${e.jobId} bench cell ${e.imageId} C=${e.c} attempt ${e.attempt}/${e.attempts}`
      if (e.type === 'done') s.benchCells++
      if (e.type === 'failed') s.failedAttempts++
      ctx.info(e.type === 'done' ? `done ${what} in ${e.cellMs} ms` : e.type === 'failed' ? `failed ${what}: ${e.error}` : `${e.type} ${what}`)
    }
    const w = await startDecodeWorker(db, {
      concurrency, executionProvider: provider, modelsDir: stringOpt(args, 'models-dir'), superviseSeconds, onEvent: line, onBenchCell: cellLine, onWarning: (m) => ctx.info(m)
    })
    s.worker = w.name
    ctx.info(`worker ${w.name} on ${db.replace(/:[^:@/]*@/, ':***@')}: ${concurrency} at a time, ${provider} provider (${why}), ${codecThreads} codec thread${codecThreads === 1 ? '' : 's'}`)
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve()
      ctx.signal.addEventListener('abort', () => resolve(), { once: true })
      process.once('SIGTERM', () => resolve())
    })
    ctx.info('stopping: finishing the jobs in hand')
    await w.stop()
    return s
  },
  format: (s) =>
    `worker ${s.worker} stopped: ${s.done} decoded (${s.written} written, ${s.cached} found cached), ${s.benchCells} bench cells, ${s.failedAttempts} failed attempts`
}

export default worker
