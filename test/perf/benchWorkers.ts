// `gsc bench --workers`, in-process against one and three local `gsc worker`s (docs/bench/workers.md): a private
// PostgreSQL archive (fresh database per run), N workers started (cold: each loads its models on its first cell), then
// `gsc bench ... --workers <url>` timed from start to exit; in-process runs are the same command without --workers.
// Every run's per-cell records must equal the in-process run's (timings aside), or the script fails. Prints a JSON
// line per run and the medians; writes only under the temporary folder.
//   npx tsx test/perf/benchWorkers.ts <image folder> [rounds=2] [-- extra gsc bench options]
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { openArchive } from '../../src/core/store/archive'
import { startPostgresCluster } from '../support/postgresCluster'
import { startWorkers } from './workerProcesses'

const dashes = process.argv.indexOf('--')
const [data, roundsArg] = process.argv.slice(2, dashes < 0 ? undefined : dashes)
const extra = dashes < 0 ? ['--baselines', 'none', '--analyses', 'none'] : process.argv.slice(dashes + 1)
if (!data) throw new Error('usage: tsx test/perf/benchWorkers.ts <image folder> [rounds] [-- gsc bench options]')
const rounds = Number(roundsArg ?? 2)

const cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off' })
const tmp = mkdtempSync(path.join(tmpdir(), 'gsc-bench-workers-'))
let db = 0

function bench(out: string, workersUrl?: string): Promise<{ seconds: number; stdout: string }> {
  const args = ['bin/gsc.mjs', 'bench', '--data', data, '--out', out, ...extra, ...(workersUrl ? ['--workers', workersUrl] : []), '--json']
  const t0 = performance.now()
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  return new Promise((resolve, reject) =>
    p.once('exit', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, stdout }) : reject(new Error(`gsc bench exited ${code}: ${stderr.slice(-2000)}`))))
  )
}

/** Every cell record of a bench output folder without its timings, keyed by dataset/image/C. */
function records(out: string): Map<string, string> {
  const m = new Map<string, string>()
  const root = path.join(out, 'cache')
  for (const ds of readdirSync(root))
    for (const im of readdirSync(path.join(root, ds)))
      for (const f of readdirSync(path.join(root, ds, im)).filter((x) => /^c\d+\.json$/.test(x))) {
        const r = JSON.parse(readFileSync(path.join(root, ds, im, f), 'utf8'))
        delete r.peakRssMiB
        for (const k of ['encodeMs', 'packMs', 'decodeMs']) delete r.gsc[k]
        m.set(`${ds}/${im}/${f}`, JSON.stringify(r))
      }
  return m
}

let reference: Map<string, string> | null = null
async function run(workers: number) {
  const out = path.join(tmp, `out${++db}`)
  let ws: ChildProcess[] = []
  let url: string | undefined
  if (workers > 0) {
    url = await cluster.createDatabase(`bench${db}`)
    await (await openArchive(url)).close()
    ws = await startWorkers(url, workers)
  }
  const load0 = loadavg()[0]
  const { seconds, stdout } = await bench(out, url)
  const load1 = loadavg()[0]
  for (const w of ws) w.kill('SIGTERM')
  await Promise.all(ws.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))))
  const result = JSON.parse(stdout)
  const recs = records(out)
  reference ??= recs
  const same = recs.size === reference.size && [...recs].every(([k, v]) => reference!.get(k) === v)
  if (!same) {
    const k = [...recs.keys()].find((x) => reference!.get(x) !== recs.get(x))
    throw new Error(`run with ${workers} workers: records differ from the first run's (${k}):\n${reference.get(k!)}\n${k ? recs.get(k) : ''}`)
  }
  rmSync(out, { recursive: true, force: true })
  const r = { workers, cells: recs.size, seconds: Number(seconds.toFixed(1)), benchWallS: Number(result.wallS.toFixed(1)), byWorkers: result.workers?.byWorkers ?? 0, inProcess: result.workers?.inProcess ?? recs.size, perWorker: result.workers?.perWorker ?? {}, load: [Number(load0.toFixed(2)), Number(load1.toFixed(2))], sameRecords: same }
  console.log(JSON.stringify(r))
  return r
}

const all: Awaited<ReturnType<typeof run>>[] = []
try {
  for (let i = 0; i < rounds; i++) for (const n of [0, 1, 3]) all.push(await run(n))
} finally {
  cluster.stop()
  rmSync(tmp, { recursive: true, force: true })
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
for (const n of [0, 1, 3])
  console.log(JSON.stringify({ workers: n, medianSeconds: median(all.filter((r) => r.workers === n).map((r) => r.seconds)), runs: all.filter((r) => r.workers === n).map((r) => r.seconds) }))
