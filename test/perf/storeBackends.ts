// Ingest on both archive back ends in one run (issue 18): SQLite and PostgreSQL, the store stage alone and the whole
// capture import, medians of several runs; then a long PostgreSQL import in a child process with its memory sampled.
// PostgreSQL is a private cluster started here (Debian's server binaries, loopback only, stopped at the end) with the
// server's default durability settings (fsync on, synchronous_commit on).
// Run: npx tsx test/perf/storeBackends.ts   (GSC_BENCH_RUNS=5, GSC_BENCH_PG_SIZES_MB=128,1024)
// Writes the "both back ends" section of docs/bench/store.md (between store-backends markers; the rest is kept).
import { execSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { readCapture, type CaptureItem } from '../../src/core/bitstream/capture'
import { openArchive } from '../../src/core/store/archive'
import { openPacketLog } from '../../src/core/store/packetLog'
import { PacketWriter, type PendingPacket } from '../../src/core/store/packetWriter'
import { openPostgresArchive } from '../../src/core/store/postgres/pgOpen'
import { writeBatchPg } from '../../src/core/store/postgres/pgWriter'
import { writeSyntheticCapture } from '../fixtures/storeFixtures'
import { startPostgresCluster } from '../support/postgresCluster'

const RUNS = Number(process.env.GSC_BENCH_RUNS ?? 5)
const PG_SIZES_MB = (process.env.GSC_BENCH_PG_SIZES_MB ?? '128,1024').split(',').filter(Boolean).map(Number)
const PACKETS = 50_000
const BATCH = 2000
const dir = mkdtempSync(join(os.tmpdir(), 'gsc-bench-backends-'))

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const mib = (b: number) => (b / 1024 / 1024).toFixed(0)

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

const batches = (items: CaptureItem[], now: number): PendingPacket[][] => {
  const out: PendingPacket[][] = []
  for (let i = 0; i < items.length; i += BATCH)
    out.push(items.slice(i, i + BATCH).map((it) => ({ bytes: it.bytes, inspection: it.inspection, receivedAt: now, sourceOffset: it.offset })))
  return out
}

async function main() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const machine = `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}, load average at start ${os.loadavg()[0].toFixed(1)}`
  console.log(`machine: ${machine}`)
  const cluster = await startPostgresCluster()
  let n = 0
  const freshPg = () => cluster.createDatabase(`bench${++n}`)
  const serverVersion = (await (async () => {
    const c = new pg.Client({ connectionString: cluster.url('postgres') })
    await c.connect()
    try {
      return (await c.query('SHOW server_version')).rows[0].server_version as string
    } finally {
      await c.end()
    }
  })())
  try {
    const cap = join(dir, 'ingest.bin')
    writeSyntheticCapture(cap, { count: PACKETS })
    const items: CaptureItem[] = []
    for await (const it of readCapture(cap)) items.push(it)
    const avgOctets = items.reduce((a, it) => a + it.bytes.length, 0) / items.length

    // Store stage: packets framed and inspected once, outside the timing.
    const sqliteStage: number[] = []
    const pgStage: number[] = []
    const sqliteImport: number[] = []
    const pgImport: number[] = []
    for (let r = 0; r < RUNS; r++) {
      // alternate the back ends run by run, so a change in the machine's load falls on both
      {
        const file = join(dir, `stage${r}.db`)
        const log = openPacketLog(file)
        const w = new PacketWriter(log.db)
        const bs = batches(items, Date.now())
        const t = performance.now()
        for (const b of bs) w.write(b)
        sqliteStage.push(items.length / ((performance.now() - t) / 1000))
        log.close()
        for (const ext of ['', '-wal', '-shm']) rmSync(file + ext, { force: true })
      }
      {
        const a = await openPostgresArchive(await freshPg())
        const bs = batches(items, Date.now())
        const t = performance.now()
        for (const b of bs) await a.tx((c) => writeBatchPg(c, b))
        pgStage.push(items.length / ((performance.now() - t) / 1000))
        await a.close()
      }
      {
        const file = join(dir, `import${r}.db`)
        const a = await openArchive(file)
        const s = await a.importCapture(cap)
        sqliteImport.push(s.packetsPerSecond)
        await a.close()
        for (const ext of ['', '-wal', '-shm']) rmSync(file + ext, { force: true })
      }
      {
        const a = await openArchive(await freshPg())
        const s = await a.importCapture(cap)
        pgImport.push(s.packetsPerSecond)
        await a.close()
      }
      console.log(`run ${r + 1}: store stage sqlite ${fmt(sqliteStage[r])}, postgres ${fmt(pgStage[r])}; import sqlite ${fmt(sqliteImport[r])}, postgres ${fmt(pgImport[r])} packets/s`)
    }

    // Long PostgreSQL imports in a child process (what `gsc log import` would run), memory sampled every 250 ms.
    const long: { mb: number; packets: number; seconds: number; pps: number; peakRss: number; quarters: number[]; serverRss: number; dbBytes: number }[] = []
    for (const mb of PG_SIZES_MB) {
      const big = join(dir, `pg-${mb}.bin`)
      const w = writeSyntheticCapture(big, { bytes: mb * 1024 * 1024 })
      const url = await freshPg()
      const t = performance.now()
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/archiveImport.ts', url, big], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      const samples: number[] = []
      const timer = setInterval(() => samples.push(rssOf(child.pid!)), 250)
      const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)))
      clearInterval(timer)
      if (code !== 0) throw new Error(`postgres import exited ${code}`)
      const seconds = (performance.now() - t) / 1000
      const s = JSON.parse(out)
      if (s.imported !== w.packets) throw new Error(`imported ${s.imported} of ${w.packets}`)
      const valid = samples.filter((x) => x > 0)
      const at = (f: number) => valid[Math.min(valid.length - 1, Math.floor(f * valid.length))] ?? 0
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      const dbBytes = Number((await c.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n)
      await c.end()
      // The server's own memory: all postgres processes of this cluster (shared buffers counted once per process that touched them).
      const postmaster = Number(readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
      const children = execSync(`pgrep -P ${postmaster} || true`, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)
      const server = [postmaster, ...children].reduce((a, p) => a + rssOf(p), 0)
      rmSync(big, { force: true })
      long.push({ mb, packets: s.imported, seconds, pps: s.imported / seconds, peakRss: Math.max(...valid), quarters: [at(0.25), at(0.5), at(0.75)], serverRss: server, dbBytes })
      console.log(`postgres import of ${mb} MiB (${fmt(s.imported)} packets) in ${seconds.toFixed(1)} s: ${fmt(s.imported / seconds)} packets/s, peak RSS ${mib(Math.max(...valid))} MiB`)
      // The database is dropped so the next size starts from an empty archive and the disk is given back.
      const admin = new pg.Client({ connectionString: cluster.url('postgres') })
      await admin.connect()
      await admin.query(`DROP DATABASE bench${n}`)
      await admin.end()
    }

    const verdict = (v: number, target: number) => (v >= target ? `meets the ${fmt(target)}/s target` : `MISSES the ${fmt(target)}/s target`)
    const section = `<!-- store-backends:begin (written by test/perf/storeBackends.ts) -->
## Both back ends: SQLite and PostgreSQL ingest (test/perf/storeBackends.ts)

Machine: ${machine}. PostgreSQL ${serverVersion} (Debian's package), a private cluster on the same machine reached over
127.0.0.1, server defaults (fsync on, synchronous_commit on, shared_buffers 128 MB). Command: \`npx tsx test/perf/storeBackends.ts\`
(GSC_BENCH_RUNS=${RUNS}, GSC_BENCH_PG_SIZES_MB=${PG_SIZES_MB.join(',')}). Both back ends in the same run, alternating run by run.
Packets: ${fmt(PACKETS)} real GSC packets, ${avgOctets.toFixed(0)} octets on average, all distinct; commits of ${fmt(BATCH)} packets.

| measure | SQLite median | PostgreSQL median | SQLite runs | PostgreSQL runs |
|---|---|---|---|---|
| store stage (sha256 dedup, gaps, roll-ups, insert, commit) | **${fmt(median(sqliteStage))} packets/s** (${verdict(median(sqliteStage), 20_000)}) | **${fmt(median(pgStage))} packets/s** (${verdict(median(pgStage), 10_000)}) | ${sqliteStage.map(fmt).join(', ')} | ${pgStage.map(fmt).join(', ')} |
| capture import end to end (read + frame + check + store) | ${fmt(median(sqliteImport))} packets/s | ${fmt(median(pgImport))} packets/s | ${sqliteImport.map(fmt).join(', ')} | ${pgImport.map(fmt).join(', ')} |

PostgreSQL writes a batch as a few array statements (unnest) under one advisory lock per transaction (so ids follow
receive order when several instances write), and NOTIFYs other instances at commit.

### Long PostgreSQL imports (child process, RSS sampled every 250 ms)

| capture | packets | seconds | packets/s | importer peak RSS | importer RSS at 25% / 50% / 75% | server RSS at the end | database size |
|---|---|---|---|---|---|---|---|
${long.map((r) => `| ${r.mb} MiB | ${fmt(r.packets)} | ${r.seconds.toFixed(1)} | ${fmt(r.pps)} | ${mib(r.peakRss)} MiB | ${r.quarters.map(mib).join(' / ')} MiB | ${mib(r.serverRss)} MiB | ${mib(r.dbBytes)} MiB |`).join('\n')}

${long.length === 0 ? 'No long import was run (GSC_BENCH_PG_SIZES_MB empty).' : Math.max(...PG_SIZES_MB) >= 1024 ? 'The largest capture is 1 GiB.' : `The largest capture run is ${Math.max(...PG_SIZES_MB)} MiB, not the 1 GiB the issue names (set GSC_BENCH_PG_SIZES_MB=128,1024).`}
${long.map((r) => `${r.mb} MiB end to end (one run, reader and store together, 10,000/s target): ${verdict(r.pps, 10_000)}.`).join(' ')}
The importer's memory stays flat as the capture grows ${long.length > 1 ? `${Math.max(...PG_SIZES_MB) / Math.min(...PG_SIZES_MB)}x` : ''}: it holds one batch of at most 2,000 packets (plus
the one being written); its RSS includes Node, tsx and the TypeScript loader. The server's RSS counts its shared buffers
once per process that touched them.
<!-- store-backends:end -->
`
    mkdirSync('docs/bench', { recursive: true })
    const prev = existsSync('docs/bench/store.md') ? readFileSync('docs/bench/store.md', 'utf8') : '# Packet log benchmark\n'
    const re = /<!-- store-backends:begin[\s\S]*?<!-- store-backends:end -->\n?/
    const next = re.test(prev) ? prev.replace(re, section) : prev.replace(/(<!-- store-queries:begin)/, `${section}\n$1`)
    writeFileSync('docs/bench/store.md', next.includes(section) ? next : `${prev.trimEnd()}\n\n${section}`)
    console.log('wrote docs/bench/store.md')
  } finally {
    cluster.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
