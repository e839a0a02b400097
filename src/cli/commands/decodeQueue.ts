// `gsc decode-queue`: enqueue the shared archive's packets for decoding by `gsc worker`s and follow them, or list
// the jobs that failed every attempt.
import type { FailedJob } from '../../core/jobs/decodeQueue'
import { chooseExecutionProvider } from '../../core/jobs/executionProvider'
import { listFailedDecodes, queueArchiveDecodes, type QueueArchiveSummary } from '../../core/jobs/queueArchive'
import { isPostgresUrl } from '../../core/store/archive'
import { GscError } from '../../core/util/errors'
import { UsageError, numberOpt, requireString, stringOpt, type CommandSpec } from '../framework'

type Result = { summary: QueueArchiveSummary } | { failed: FailedJob[] }

const decodeQueue: CommandSpec<Result> = {
  name: 'decode-queue',
  summary: 'enqueue the shared archive\'s packets for the decode workers and wait; --failed lists failed jobs',
  usage:
    'gsc decode-queue --db <postgres://...> [--kind reconstruction|uncertainty] [--steps N] [--seed N]\n' +
    '                 [--retries N] [--expire-s S] [--no-wait] [--wait-for-workers] [--json]\n' +
    'gsc decode-queue --db <postgres://...> --failed [--limit N] [--json]\n\n' +
    'Enqueues one decode job per GSC image packet of the archive that has no result with these options in the\n' +
    'decode cache yet, then waits until every job has completed or failed, printing progress (gsc workers do the\n' +
    'decoding). --retries: attempts after the first (default 2); --expire-s: a job running longer\n' +
    'is presumed lost with its worker and retried (default 600). Exits non-zero when any job failed every attempt.\n' +
    '--failed: the jobs that failed every attempt, with their last error. With no live gsc worker, a worker in this\n' +
    'process decodes the jobs (CUDA where installed, else CPU) unless --wait-for-workers or --no-wait.',
  options: {
    db: { type: 'string' }, kind: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' }, retries: { type: 'string' },
    'expire-s': { type: 'string' }, 'no-wait': { type: 'boolean', default: false }, 'wait-for-workers': { type: 'boolean', default: false }, failed: { type: 'boolean', default: false }, limit: { type: 'string' }
  },
  async run(args, ctx) {
    const db = requireString(args, 'db', 'PostgreSQL archive URL, --db postgres://...')
    if (!isPostgresUrl(db)) throw new UsageError(`--db must be a postgres:// or postgresql:// URL (the queue lives in the shared archive), got '${db}'`)
    if (args.values.failed) return { failed: await listFailedDecodes(db, numberOpt(args, 'limit', 100, { int: true, min: 1 })) }
    const kind = stringOpt(args, 'kind') ?? 'reconstruction'
    if (kind !== 'reconstruction' && kind !== 'uncertainty') throw new UsageError(`--kind must be reconstruction or uncertainty, got '${kind}'`)
    let bar: ReturnType<typeof ctx.progress> | undefined
    let last = ''
    const summary = await queueArchiveDecodes(db, {
      kind,
      steps: numberOpt(args, 'steps', undefined, { int: true, min: 0, max: 64 }),
      seed: numberOpt(args, 'seed', undefined, { int: true, min: 0, max: 65535 }),
      retryLimit: numberOpt(args, 'retries', 2, { int: true, min: 0, max: 20 }),
      expireSeconds: numberOpt(args, 'expire-s', 600, { int: true, min: 1 }),
      noWait: Boolean(args.values['no-wait']),
      whenNoWorker: args.values['wait-for-workers'] ? 'wait' : 'decode-here',
      localWorker: { executionProvider: chooseExecutionProvider().provider },
      signal: ctx.signal,
      onProgress: ({ total, counts: c }) => {
        bar ??= ctx.progress('decode jobs', total)
        const detail = `completed ${c.completed}, active ${c.active}, waiting ${c.created + c.retry}, failed ${c.failed}`
        bar.update(c.completed + c.failed, detail)
        // A plain line now and then where stderr is not a terminal (logs, CI).
        if (!process.stderr.isTTY && detail !== last) ctx.info(`${c.completed + c.failed}/${total} ended: ${(last = detail)}`)
      }
    })
    bar?.done()
    if (summary.counts.failed > 0)
      throw new GscError(`${summary.counts.failed} of ${summary.enqueued} decode jobs failed every attempt (${summary.counts.completed} completed); gsc decode-queue --failed lists them`)
    return { summary }
  },
  format: (r) => {
    if ('failed' in r)
      return r.failed.length === 0
        ? 'no failed decode jobs'
        : r.failed.map((f) => `${f.completedOn ?? '-'}  job ${f.jobId}  ${f.data.kind} packet ${f.data.packetId}  ${f.attempts} attempts  ${f.error}`).join('\n')
    const s = r.summary
    return [
      `${s.packets} GSC image packets, ${s.alreadyDecoded} already decoded, ${s.enqueued} enqueued`,
      `jobs: ${s.counts.completed} completed, ${s.counts.failed} failed (gsc decode-queue --failed lists them), ${s.counts.active} active, ${s.counts.created + s.counts.retry} waiting`,
      `decode cache: ${s.cached} results with these options; ${s.seconds.toFixed(1)} s`,
      ...(s.localWorker ? [`no live gsc worker: decoded in this process (worker ${s.localWorker})`] : [])
    ].join('\n')
  }
}

export default decodeQueue
