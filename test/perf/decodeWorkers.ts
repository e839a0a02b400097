// Decode workers, one against three (docs/bench/workers.md): a capture imported into a private PostgreSQL archive,
// every packet enqueued for reconstruction (as `gsc decode-queue` does), decoded by N `gsc worker` processes; wall
// time from enqueue to the last job's end. Per round, each run on a fresh database: 1 worker, 3 workers, and 3 workers
// of which one is killed with SIGKILL once a third of the jobs have completed (its job in hand expires after
// GSC_BENCH_EXPIRE_S and another worker retries it). Every run then checks the decode cache: exactly one result per
// packet, every job completed, none failed. The first pass is cold (each worker loads its models on its first job);
// GSC_BENCH_WARM=1 adds a warm pass (the same packets with another noise seed, same workers). Prints a JSON line per
// run and the medians; writes nothing. The plan (default 1,3,3k) lists each round's runs in order: <workers>, then
// t<threads> for `gsc worker --threads` (absent: onnxruntime's default), then k for one worker killed mid-run; the
// speed-ups are against the plan's first run.
//   npx tsx test/perf/decodeWorkers.ts <capture> [rounds=1] [plan=1,3,3k]     e.g. plan 1,3t1,2t1
import { openArchive } from '../../src/core/store/archive'
import { decodeParams } from '../../src/core/jobs/decodeJob'
import { queueArchiveDecodes } from '../../src/core/jobs/queueArchive'
import { canonicalKey } from '../../src/core/store/decodeKey'
import os from 'node:os'
import { queryRows, startPostgresCluster } from '../support/postgresCluster'
import { startWorkers } from './workerProcesses'

const [capture, roundsArg, planArg] = process.argv.slice(2)
if (!capture) throw new Error('usage: tsx test/perf/decodeWorkers.ts <capture> [rounds] [plan]')
const plan = (planArg ?? '1,3,3k').split(',').map((p) => {
  const m = /^(\d+)(?:t(\d+))?(k?)$/.exec(p)
  if (!m) throw new Error(`plan entry '${p}': <workers>[t<threads>][k]`)
  return { label: p, workers: Number(m[1]), threads: m[2] === undefined ? undefined : Number(m[2]), kill: m[3] === 'k' }
})
const rounds = Number(roundsArg ?? 1)
const warm = process.env.GSC_BENCH_WARM === '1'
// A job in hand when its worker dies is retried after this; long enough for a decode on a loaded 2-core machine.
const expireSeconds = Number(process.env.GSC_BENCH_EXPIRE_S ?? 60)

const cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off' })
let db = 0

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2
}

interface Run {
  workers: number
  /** gsc worker --threads (undefined: onnxruntime's default) */
  threads?: number
  killed: boolean
  packets: number
  cold: number
  warm?: number
  loadAtStart: number
  /** decode cache rows per packet for the pass's parameters: min and max over the packets (1 and 1 = exactly once) */
  cachedPerPacket: [number, number]
  jobs: { completed: number; failed: number }
  /** decodes started by all workers (a killed worker's unfinished one included) and results written */
  started: number
  written: number
  /** results stored by each worker (a killed worker's count is what it finished before the kill) */
  perWorker: number[]
  /** results stored by an attempt after the first (the killed worker's job) */
  retried: number
  /** the decoder's own time per packet (median of the results' decodeMs): what a worker spends per job besides the queue */
  decodeMsMedian: number
}

async function exactlyOnce(url: string, seed: number | undefined) {
  // the key queueArchiveDecodes gives the pass's jobs
  const key = canonicalKey(decodeParams({ kind: 'reconstruction', packetId: 0, steps: undefined, seed }))
  const rows = await queryRows<{ n: number }>(
    url,
    `SELECT count(d.id)::int AS n FROM packets p LEFT JOIN decodes d ON d.packet_id = p.id AND d.params_key = $1 WHERE p.status = 'ok' GROUP BY p.id`,
    [key]
  )
  const by = await queryRows<{ worker: string; attempt: number; ms: number }>(
    url,
    `SELECT result_json::json->>'worker' AS worker, (result_json::json->>'attempt')::int AS attempt, (result_json::json->>'decodeMs')::int AS ms FROM decodes WHERE params_key = $1`,
    [key]
  )
  return { min: Math.min(...rows.map((r) => r.n)), max: Math.max(...rows.map((r) => r.n)), by }
}

async function run(workers: number, kill: boolean, threads?: number): Promise<Run> {
  const url = await cluster.createDatabase(`bench${++db}`)
  const a = await openArchive(url)
  const imported = await a.importCapture(capture)
  await a.close()
  let started = 0
  let written = 0
  const names: string[] = []
  const ws = await startWorkers(url, workers, {
    extraArgs: ['--supervise-s', '5', ...(threads === undefined ? [] : ['--threads', String(threads)])],
    onLine: (k, l) => {
      if (l.startsWith('start job')) started++
      if (l.startsWith('done job') && !l.includes('not written again')) written++
      const m = /^worker (\S+) on /.exec(l)
      if (m) names[k] = m[1]
    }
  })
  let killedAt: number | null = null
  const pass = async (seed?: number) => {
    const t0 = performance.now()
    const s = await queueArchiveDecodes(url, {
      seed, expireSeconds, retryDelaySeconds: 1,
      onProgress: ({ total, counts }) => {
        if (kill && killedAt === null && counts.completed >= total / 3) {
          killedAt = counts.completed
          ws[0].kill('SIGKILL')
        }
      }
    })
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(1))
    if (s.counts.completed !== s.enqueued || s.counts.failed !== 0 || s.cached !== s.packets || s.enqueued !== imported.imported)
      throw new Error(`not every packet decoded: ${JSON.stringify(s)}`)
    return { seconds, counts: s.counts, check: await exactlyOnce(url, seed) }
  }
  const loadAtStart = Number(os.loadavg()[0].toFixed(1))
  const cold = await pass()
  const second = warm ? await pass(4242) : undefined
  for (const w of ws) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM')
  await Promise.all(ws.map((w) => new Promise((r) => (w.exitCode !== null || w.signalCode !== null ? r(null) : w.once('exit', r)))))
  const { check, counts } = cold
  const r: Run = {
    workers, threads, killed: kill, packets: imported.imported, cold: cold.seconds, warm: second?.seconds, loadAtStart,
    cachedPerPacket: [check.min, check.max], jobs: { completed: counts.completed, failed: counts.failed }, started, written,
    perWorker: names.map((n) => check.by.filter((b) => b.worker === n).length),
    retried: check.by.filter((b) => b.attempt > 1).length,
    decodeMsMedian: median(check.by.map((b) => b.ms))
  }
  if (kill && killedAt === null) throw new Error('the run ended before a worker could be killed')
  console.log(JSON.stringify({ ...r, ...(kill ? { killedAfterCompleted: killedAt } : {}) }))
  return r
}

try {
  const runs = plan.map(() => [] as Run[])
  for (let i = 0; i < rounds; i++) for (const [k, p] of plan.entries()) runs[k].push(await run(p.workers, p.kill, p.threads))
  const m = (xs: Run[], k: 'cold' | 'warm') => median(xs.map((x) => x[k] ?? NaN))
  const summary = (k: 'cold' | 'warm') =>
    Object.fromEntries(plan.map((p, j) => [p.label, { median: m(runs[j], k), speedUp: Number((m(runs[0], k) / m(runs[j], k)).toFixed(2)) }]))
  console.log(JSON.stringify({ cold: summary('cold'), ...(warm ? { warm: summary('warm') } : {}) }))
} finally {
  cluster.stop()
}
