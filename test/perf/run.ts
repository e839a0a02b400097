// `npm run bench`: the benchmarks whose results docs/bench reports, by name. Each runs in a child process of its own
// (tsx), one after another, and its result file is printed before and after it runs.
//   npm run bench                               list them
//   npm run bench -- wire store                 run the named ones
//   npm run bench -- all                        run every one (hours on a 2-core machine: fuzz and store-queries are long)
//   npm run bench -- wire -- --runs 1           arguments after a second `--` go to the (single) named benchmark
// docs/bench/generator and docs/bench/latent-codec come from training/eval/eval_conditions.ts and `gsc bench`, not from here.
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

interface Benchmark {
  name: string
  script: string
  writes: string
  measures: string
  /** What it needs besides the checkout, and how long it takes, as its header or its report says. */
  needs: string
}

const BENCHMARKS: Benchmark[] = [
  { name: 'wire', script: 'wire.ts', writes: 'docs/bench/wire.md', measures: 'range-coder throughput, packets parsed per second, caption bits/char vs brotli', needs: 'nothing; options --runs N (default 5)' },
  { name: 'codec', script: 'codec.ts', writes: 'docs/bench/codec.md', measures: 'bits per part on Kodak, encode and decode time, peak memory of a decode', needs: '../shared/data/kodak; options --images N --runs N --compare N' },
  { name: 'detector', script: 'detector.ts', writes: 'docs/bench/detector.md, docs/bench/detector.json', measures: 'detector mAP@0.5 on coco128, latency, built-in caption lengths', needs: '../shared/data/coco128' },
  { name: 'analyses', script: 'analyses.ts', writes: 'the measured part of docs/bench/analyses.md', measures: 'segmentation, depth, LPIPS and detector time per 768x512 image (issue 20\'s 150 ms target); with --candidates DIR the Cityscapes graph at other input sizes and their KITTI agreement', needs: '../shared/data/kodak and kitti; options --runs N (default 9) --candidates DIR (training/segmentation/export_size_candidates.py)' },
  { name: 'store', script: 'store.ts', writes: 'docs/bench/store.md (its large-log section is kept)', measures: 'SQLite ingest rate, capture import throughput, peak RSS of gsc log import', needs: 'env GSC_BENCH_SIZES_MB (default 32,128), GSC_BENCH_RUNS (default 5)' },
  { name: 'store-backends', script: 'storeBackends.ts', writes: 'the both-back-ends section of docs/bench/store.md', measures: 'SQLite and PostgreSQL ingest (store stage, import end to end), long PostgreSQL imports with importer and server memory', needs: 'Debian\'s postgresql server binaries (npm run setup); env GSC_BENCH_RUNS (default 5), GSC_BENCH_PG_SIZES_MB (default 128,1024), GSC_BENCH_BASELINE=<commit> for before/after; about 25 min with a baseline' },
  { name: 'store-queries', script: 'storeQueries.ts', writes: 'the large-log section of docs/bench/store.md (only at 1,000,000 packets or GSC_BENCH_WRITE=1)', measures: 'timeline and caption search over a 1,000,000-packet log', needs: 'env GSC_BENCH_PACKETS (default 1000000), GSC_BENCH_QUERIES (default 200); long' },
  { name: 'decode-memory', script: 'decodeMemory.ts', writes: 'docs/bench/decode-memory.md', measures: 'peak memory of one decode per megapixel for each model set, gsc serve before and after large decodes', needs: 'the model sets in resources/models; run it under nice -n 19' },
  { name: 'fuzz', script: 'fuzzSoak.ts', writes: 'docs/bench/fuzz.md', measures: 'mutated packets and captures through inspect, import and decode: crashes, images from bad CRCs, memory per decode', needs: '../shared/data/kodak; options --iterations N (default 100000) --minutes N (default 40) --seed N; long' }
]

function usage(): string {
  const width = Math.max(...BENCHMARKS.map((b) => b.name.length))
  const rows = BENCHMARKS.map((b) => `  ${b.name.padEnd(width)}  ${b.measures}\n  ${' '.repeat(width)}  writes ${b.writes}; needs ${b.needs}`)
  return ['usage: npm run bench -- <name...|all> [-- <arguments for one benchmark>]', '', 'benchmarks (test/perf):', ...rows].join('\n')
}

/** Runs one benchmark in a child process; a signal to this runner is passed on to it. Resolves to its exit code. */
function runOne(b: Benchmark, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'perf', b.script), ...args], { cwd: ROOT, stdio: 'inherit' })
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    process.on('SIGINT', forward).on('SIGTERM', forward)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward)
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0))
    })
    child.on('error', (e) => {
      console.error(`bench: cannot start ${b.script}: ${e.message}`)
      resolve(1)
    })
  })
}

async function main(argv: string[]): Promise<number> {
  const split = argv.indexOf('--')
  const names = split < 0 ? argv : argv.slice(0, split)
  const passOn = split < 0 ? [] : argv.slice(split + 1)
  if (names.length === 0) {
    console.log(usage())
    return 0
  }
  const chosen = names.includes('all') ? BENCHMARKS : names.map((n) => BENCHMARKS.find((b) => b.name === n))
  const unknown = names.filter((n, i) => n !== 'all' && !chosen[i])
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark '${unknown[0]}' (choose from: ${BENCHMARKS.map((b) => b.name).join(', ')}, all)`)
    return 2
  }
  if (passOn.length > 0 && chosen.length !== 1) {
    console.error('bench: arguments after -- go to one benchmark; name exactly one')
    return 2
  }
  const failed: string[] = []
  for (const b of chosen as Benchmark[]) {
    console.log(`bench: ${b.name} (test/perf/${b.script}) -> ${b.writes}`)
    const started = Date.now()
    const code = await runOne(b, passOn)
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`
    if (code === 0) console.log(`bench: ${b.name} done in ${took}; results in ${b.writes}`)
    else {
      console.error(`bench: ${b.name} failed (exit code ${code}) after ${took}`)
      failed.push(b.name)
    }
  }
  if (failed.length > 0) console.error(`bench: ${failed.length} of ${chosen.length} failed: ${failed.join(', ')}`)
  return failed.length > 0 ? 1 : 0
}

process.exitCode = await main(process.argv.slice(2))
