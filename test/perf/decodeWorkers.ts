// Decode workers, one against three (docs/bench/workers.md): a capture imported into a private PostgreSQL archive,
// every packet enqueued for reconstruction (as `gsc decode-queue` does), decoded by N `gsc worker` processes; wall
// time from enqueue to the last job's end, alternating 1 and 3 workers per round, each round on a fresh database.
// Two passes per run: cold (each worker loads its models on its first job, as a freshly started station's would),
// then warm (the same packets again with another noise seed: new results, same workers). Prints a JSON line per run
// and the medians; writes nothing.
//   npx tsx test/perf/decodeWorkers.ts <capture> [rounds=2]
import { openArchive } from '../../src/core/store/archive'
import { queueArchiveDecodes } from '../../src/core/jobs/queueArchive'
import { startPostgresCluster } from '../support/postgresCluster'
import { startWorkers } from './workerProcesses'

const [capture, roundsArg] = process.argv.slice(2)
if (!capture) throw new Error('usage: tsx test/perf/decodeWorkers.ts <capture> [rounds]')
const rounds = Number(roundsArg ?? 2)

const cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off' })
let db = 0

async function run(workers: number) {
  const url = await cluster.createDatabase(`bench${++db}`)
  const a = await openArchive(url)
  const imported = await a.importCapture(capture)
  await a.close()
  const ws = await startWorkers(url, workers)
  const pass = async (seed?: number) => {
    const t0 = performance.now()
    const s = await queueArchiveDecodes(url, { seed })
    const seconds = (performance.now() - t0) / 1000
    if (s.counts.completed !== s.enqueued || s.cached !== s.packets || s.enqueued !== imported.imported)
      throw new Error(`not every packet decoded: ${JSON.stringify(s)}`)
    return Number(seconds.toFixed(2))
  }
  const cold = await pass()
  const warm = await pass(4242)
  for (const w of ws) w.kill('SIGTERM')
  await Promise.all(ws.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))))
  const r = { workers, packets: imported.imported, cold, warm, warmPerPacket: Number((warm / imported.imported).toFixed(2)) }
  console.log(JSON.stringify(r))
  return r
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2
}
try {
  const one: { cold: number; warm: number }[] = []
  const three: { cold: number; warm: number }[] = []
  for (let i = 0; i < rounds; i++) {
    one.push(await run(1))
    three.push(await run(3))
  }
  const m = (xs: { cold: number; warm: number }[], k: 'cold' | 'warm') => median(xs.map((x) => x[k]))
  console.log(
    JSON.stringify({
      cold: { one: m(one, 'cold'), three: m(three, 'cold'), speedUp: Number((m(one, 'cold') / m(three, 'cold')).toFixed(2)) },
      warm: { one: m(one, 'warm'), three: m(three, 'warm'), speedUp: Number((m(one, 'warm') / m(three, 'warm')).toFixed(2)) }
    })
  )
} finally {
  cluster.stop()
}
