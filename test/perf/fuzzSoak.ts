// Fuzz soak (issue 19, "What it must show"; a benchmark, not a CI test). Real packets (Kodak crops encoded with
// every installed model set), wire-format packets, foreign and idle packets, the oversized packets of issue 19
// group 4, and captures made of them, mutated many times: bit flips, truncations, splices, insertions, deletions,
// byte runs, primary-header length fields, GSC header fields re-written with a fresh CRC (oversized and allowed
// large dimensions, flow steps, channels, model ids), and random bytes under a fresh CRC. Each mutant goes through
//   inspect: inspectPacket (one packet) and readCapture with full decoding (every item),
//   import:  PacketLog.importCapture into a real SQLite packet log in a temp dir,
//   decode:  decodePacket with the station's default limits and the real models, on every item the reader yields,
// and the soak reports crashes (any throw that is not a one-line GscError, any unhandled rejection or exception;
// must be 0), images produced from a packet whose CRC failed (must be 0), files with a framable packet refused by
// import (must be 0), and each decode's rise of peak memory against the bound docs/bitstream.md 4.1 states (per
// megapixel; must hold for every decode), beside the process's peak RSS. Writes docs/bench/fuzz.md.
//
//   nice -n 19 npx tsx test/perf/fuzzSoak.ts [--iterations 100000] [--minutes 40] [--seed 1]
//
// It stops at --iterations or after --minutes, whichever comes first, and says how many it ran. Decode outcomes
// are cached by the packet's SHA-256 (the decoder is deterministic; `gsc decode` skips repeats the same way).
// Inputs that crash are written to $GSC_FUZZ_OUT (default a temp dir) for reproduction.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { writePrimaryHeader, PRIMARY_HEADER_OCTETS } from '../../src/core/bitstream/ccsds'
import { readCapture } from '../../src/core/bitstream/capture'
import { crc32 } from '../../src/core/bitstream/crc32'
import { readHeader, writeHeader } from '../../src/core/bitstream/gscHeader'
import { encodeGscPacket, type GscHeader } from '../../src/core/bitstream/gscPacket'
import { inspectPacket } from '../../src/core/bitstream/inspect'
import { DEFAULT_DECODE_LIMITS, decodedPixels } from '../../src/core/bitstream/limits'
import { decodePacket } from '../../src/core/codec/decoder'
import { encodeImage } from '../../src/core/codec/encoder'
import { defaultModelsDir, loadManifest, modelSetsOf } from '../../src/core/modelAssets/manifest'
import { openPacketLog } from '../../src/core/store/packetLog'
import { GscError } from '../../src/core/util/errors'
import { cropImage, readImage, type RgbImage } from '../../src/core/image/rgbImage'
import { payload, prng } from '../fixtures/bitstreamFixtures'
import { sharedData } from '../fixtures/sharedData'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..', '..')
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const ITERATIONS = arg('iterations', 100_000)
const MINUTES = arg('minutes', 40)
const SEED = arg('seed', 1)
const MiB = 2 ** 20
/** What one decode may add to the resident memory the process had before it, per megapixel decoded, as
 *  docs/bitstream.md 4.1 states it (0.64 GiB set 1, 0.32 GiB set 3); plus a slack for small images. */
const RISE_MIB_PER_MPX: Record<number, number> = { 1: 0.64 * 1024, 3: 0.32 * 1024 }
const RISE_SLACK_MIB = 64

/** VmRSS and VmHWM (peak since the last reset) of this process, MiB. */
function memory(): { rss: number; hwm: number } {
  const s = readFileSync('/proc/self/status', 'utf8')
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0) / 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}
/** Sets VmHWM to VmRSS, so the next reading is the peak of what runs in between. */
const resetPeak = () => writeFileSync('/proc/self/clear_refs', '5')

const rnd = prng(SEED * 7919 + 13)
const int = (n: number) => Math.floor(rnd() * n)
const pick = <T>(a: readonly T[]): T => a[int(a.length)]

// ---- corpus ----

interface Base {
  name: string
  bytes: Uint8Array
  /** Offsets where packets start (one packet: [0]). */
  starts: number[]
}

function framed(apid: number, seq: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(PRIMARY_HEADER_OCTETS + data.length)
  writePrimaryHeader(out, { version: 0, type: 0, secondaryHeaderFlag: 0, apid, sequenceFlags: 3, sequenceCount: seq & 0x3fff, dataFieldOctets: data.length })
  out.set(data, PRIMARY_HEADER_OCTETS)
  return out
}

function withCrc(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(b.length - 4, crc32(b, 0, b.length - 4), false)
  return b
}

function tiny(width: number, height: number, steps: number, modelId: number, seq: number): Uint8Array {
  return encodeGscPacket(
    { header: { formatVersion: 1, width, height, modelId, latentChannels: 320, channelIndices: [], quantStep: 1, steps, seed: seq, captionMode: 'none', hasDetections: false }, caption: '', latents: new Int32Array(0), detections: [] },
    { apid: 100, sequenceCount: seq }
  )
}

async function corpus(sets: number[], modelsDir: string): Promise<{ packets: Base[]; note: string }> {
  const packets: Base[] = []
  const add = (name: string, bytes: Uint8Array) => packets.push({ name, bytes, starts: [0] })
  const kodak = sharedData('kodak')
  let note: string
  let images: RgbImage[]
  if (existsSync(path.join(kodak, 'kodim23.png'))) {
    const a = await readImage(path.join(kodak, 'kodim23.png'))
    const b = await readImage(path.join(kodak, 'kodim05.png'))
    images = [cropImage(a, 96, 64, 200, 140), cropImage(b, 61, 45, 300, 200), cropImage(a, 128, 96, 0, 0)]
    note = 'real packets: Kodak kodim23 and kodim05 crops (96x64, 61x45, 128x96) encoded with each installed model set'
  } else {
    images = [96, 61, 128].map((w, k) => {
      const h = [64, 45, 96][k]
      const data = new Uint8Array(w * h * 3).map((_, i) => (i * 37 + k * 11) % 251)
      return { width: w, height: h, data } as RgbImage
    })
    note = `Kodak images missing at ${kodak}: real packets encoded from synthetic gradients instead`
    console.warn(note)
  }
  let seq = 0
  for (const set of sets)
    for (const [k, img] of images.entries()) {
      const r = await encodeImage(img, { modelSet: set, modelsDir, channels: [1, 2, 4][k], seed: 11 + k, sequenceCount: seq++, apid: 100, sendDetections: k === 2, caption: k === 1 ? undefined : 'rocks near the horizon under a pale sky' })
      add(`set${set}-real-${img.width}x${img.height}-C${r.channels}`, r.packet)
    }
  // wire-format packets (set 1's id, so they reach the models when they parse)
  for (const [k, o] of [{ mode: 'utf8' as const, channels: 2, width: 64, height: 48 }, { mode: 'static' as const, channels: 1, width: 80, height: 32 }, { mode: 'none' as const, channels: 0, width: 48, height: 48, detections: false }].entries()) {
    const p = payload({ ...o, seed: 100 + k })
    p.header.modelId = 1
    p.header.steps = [0, 4, 8][k]
    add(`wire-${o.mode}-C${o.channels}`, encodeGscPacket(p, { apid: 100, sequenceCount: seq++ }))
  }
  // blank packets (no channels) of each set: any size they are mutated to is a valid packet
  for (const set of sets) add(`set${set}-blank-64x48`, tiny(64, 48, 0, set, seq++))
  // the oversized packets of issue 19 group 4
  add('oversized-4096x4096', tiny(4096, 4096, 0, 1, seq++))
  add('oversized-16384x16384', tiny(16384, 16384, 0, 1, seq++))
  add('steps-4096', tiny(64, 64, 4096, 1, seq++))
  // a packet of a set that is not installed, foreign and idle packets
  add('set-7', tiny(64, 48, 0, 7, seq++))
  add('foreign-hk', framed(291, seq++, new Uint8Array(120).map((_, i) => (i * 13) & 255)))
  add('foreign-short', framed(300, seq++, new Uint8Array(9).fill(0x55)))
  add('idle', framed(2047, seq++, new Uint8Array(64).fill(0xff)))
  return { packets, note }
}

function capture(packets: Base[]): Base {
  const n = 2 + int(8)
  const parts: Uint8Array[] = []
  const starts: number[] = []
  let at = 0
  for (let i = 0; i < n; i++) {
    const p = pick(packets).bytes
    starts.push(at)
    parts.push(p)
    at += p.length
  }
  const out = new Uint8Array(at)
  let o = 0
  for (const p of parts) (out.set(p, o), (o += p.length))
  return { name: `capture-${n}`, bytes: out, starts }
}

// ---- mutations ----

const DIMS = [1, 15, 16, 17, 255, 256, 2047, 2048, 2049, 4096, 8192, 16383, 16384]
const LARGE_ALLOWED: [number, number][] = [[1024, 1024], [2048, 1024], [2048, 2048], [16384, 256]]

function rewriteHeader(src: Uint8Array, at: number): { bytes: Uint8Array; what: string } | null {
  const len = ((src[at + 4] << 8) | src[at + 5]) + 7
  if (at + len > src.length || len < 16) return null
  const pkt = src.subarray(at, at + len)
  let h: GscHeader
  let next: number
  try {
    ;({ header: h, next } = readHeader(pkt, PRIMARY_HEADER_OCTETS, pkt.length - 4))
  } catch {
    return null
  }
  const n = { ...h, channelIndices: [...h.channelIndices] }
  const field = int(8)
  let what: string
  switch (field) {
    case 0:
    case 1: {
      if (rnd() < 0.01) [n.width, n.height] = pick(LARGE_ALLOWED)
      else if (rnd() < 0.5) [n.width, n.height] = [pick(DIMS), pick(DIMS)]
      else field === 0 ? (n.width = 1 + int(16384)) : (n.height = 1 + int(16384))
      what = `size ${n.width}x${n.height}`
      break
    }
    case 2:
      n.steps = pick([0, 1, 4, 8, 63, 64, 65, 100, 4095, 4096, int(4097)])
      what = `steps ${n.steps}`
      break
    case 3:
      n.modelId = pick([0, 1, 2, 3, 4, 255, int(256)])
      what = `modelId ${n.modelId}`
      break
    case 4: {
      const C = pick([0, 1, 2, 4, 16, 64])
      const set = new Set<number>()
      while (set.size < C) set.add(int(n.latentChannels))
      n.channelIndices = [...set]
      what = `C ${C}`
      break
    }
    case 5:
      n.quantStep = pick([1 / 64, 0.5, 1, 2, 16, 96, 1024])
      what = `quantStep ${n.quantStep}`
      break
    case 6:
      n.captionMode = pick(['none', 'static', 'utf8'] as const)
      n.hasDetections = rnd() < 0.5
      what = `caption ${n.captionMode}, detections ${n.hasDetections}`
      break
    default:
      n.seed = int(2 ** 32)
      n.latentChannels = rnd() < 0.2 ? 1 + int(1024) : n.latentChannels
      n.channelIndices = n.channelIndices.filter((c) => c < n.latentChannels)
      what = `seed/latentChannels ${n.latentChannels}`
  }
  let head: Uint8Array
  try {
    head = writeHeader(n)
  } catch {
    return null
  }
  const body = pkt.subarray(next, pkt.length - 4)
  const dataField = head.length + body.length + 4
  if (dataField > 65536) return null
  const out = new Uint8Array(PRIMARY_HEADER_OCTETS + dataField)
  out.set(pkt.subarray(0, PRIMARY_HEADER_OCTETS))
  writePrimaryHeader(out, { version: 0, type: 0, secondaryHeaderFlag: 0, apid: ((pkt[0] & 7) << 8) | pkt[1], sequenceFlags: 3, sequenceCount: ((pkt[2] & 0x3f) << 8) | pkt[3], dataFieldOctets: dataField })
  out.set(head, PRIMARY_HEADER_OCTETS)
  out.set(body, PRIMARY_HEADER_OCTETS + head.length)
  withCrc(out)
  const whole = new Uint8Array(src.length - len + out.length)
  whole.set(src.subarray(0, at))
  whole.set(out, at)
  whole.set(src.subarray(at + len), at + out.length)
  return { bytes: whole, what: `header ${what}` }
}

const KINDS = ['bit flips', 'truncation', 'splice', 'insertion', 'deletion', 'byte run', 'length field', 'header field, CRC fixed', 'random bytes, CRC fixed', 'garbage around'] as const
type Kind = (typeof KINDS)[number]

function mutate(base: Base, other: Base): { bytes: Uint8Array; kind: Kind; what: string } {
  const kind = pick(KINDS)
  const b = base.bytes.slice()
  const pos = () => int(b.length)
  switch (kind) {
    case 'bit flips': {
      const n = 1 + int(8)
      for (let i = 0; i < n; i++) b[pos()] ^= 1 << int(8)
      return { bytes: b, kind, what: `${n}` }
    }
    case 'truncation': {
      const at = rnd() < 0.5 ? int(b.length) : Math.max(0, b.length - 1 - int(8))
      return { bytes: b.slice(0, at), kind, what: `at ${at}` }
    }
    case 'splice': {
      const a = int(b.length + 1)
      const o = int(other.bytes.length + 1)
      const out = new Uint8Array(a + other.bytes.length - o)
      out.set(b.subarray(0, a))
      out.set(other.bytes.subarray(o), a)
      return { bytes: out, kind, what: `${base.name}[0,${a}) + ${other.name}[${o},)` }
    }
    case 'insertion': {
      const at = int(b.length + 1)
      const ins = new Uint8Array(1 + int(rnd() < 0.1 ? 4096 : 16)).map(() => int(256))
      const out = new Uint8Array(b.length + ins.length)
      out.set(b.subarray(0, at))
      out.set(ins, at)
      out.set(b.subarray(at), at + ins.length)
      return { bytes: out, kind, what: `${ins.length} at ${at}` }
    }
    case 'deletion': {
      const at = pos()
      const n = 1 + int(rnd() < 0.1 ? 512 : 8)
      return { bytes: Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]), kind, what: `${n} at ${at}` }
    }
    case 'byte run': {
      const at = pos()
      const n = 1 + int(12)
      for (let i = at; i < Math.min(b.length, at + n); i++) b[i] = int(256)
      return { bytes: b, kind, what: `${n} at ${at}` }
    }
    case 'length field': {
      const at = pick(base.starts)
      if (at + 6 > b.length) return { bytes: b, kind, what: 'none (too short)' }
      const old = (b[at + 4] << 8) | b[at + 5]
      const v = pick([0, 1, 8, 9, 65535, 65534, old + 1, old - 1, old + 1 + int(16), old - 1 - int(16), int(65536)]) & 0xffff
      b[at + 4] = v >> 8
      b[at + 5] = v & 255
      return { bytes: b, kind, what: `${old} -> ${v} at ${at}` }
    }
    case 'header field, CRC fixed': {
      const r = rewriteHeader(b, pick(base.starts))
      return r ? { bytes: r.bytes, kind, what: r.what } : { bytes: b, kind, what: 'none (no header)' }
    }
    case 'random bytes, CRC fixed': {
      const at = pick(base.starts)
      const len = ((b[at + 4] << 8) | b[at + 5]) + 7
      if (at + len > b.length || len < 16) return { bytes: b, kind, what: 'none' }
      const n = 1 + int(6)
      for (let j = 0; j < n; j++) {
        const p = at + 6 + int(len - 10)
        if (rnd() < 0.5) b[p] ^= 1 << int(8)
        else b[p] = int(256)
      }
      withCrc(b.subarray(at, at + len))
      return { bytes: b, kind, what: `${n} in the packet at ${at}` }
    }
    default: {
      const pre = new Uint8Array(int(rnd() < 0.05 ? 65536 : 64)).map(() => int(256))
      const post = new Uint8Array(int(64)).map(() => int(256))
      const out = new Uint8Array(pre.length + b.length + post.length)
      out.set(pre)
      out.set(b, pre.length)
      out.set(post, pre.length + b.length)
      return { bytes: out, kind, what: `${pre.length} before, ${post.length} after` }
    }
  }
}

// ---- the soak ----

interface Tally {
  iterations: number
  packets: number
  captures: number
  byKind: Record<string, number>
  inspected: number
  readerItems: number
  imports: number
  importedRows: number
  importRefused: number
  importRefusedFramable: number
  importIncomplete: number
  decodeCalls: number
  decodeCacheHits: number
  images: number
  imagesByPixels: Record<string, number>
  largestImage: string
  imagesFromBadCrc: number
  /** Decodes whose peak rose above the process's level before them by more than the stated bound. */
  overRiseBound: number
  /** Largest rise per megapixel of decodes of more than 0.25 Mpx, per model set (MiB). */
  risePerMpx: Record<number, number>
  /** The decode that reached the process's highest peak: the level before it, its rise and its image. */
  highest: { before: number; rise: number; image: string }
  refusedByLimit: number
  refusedBySet: number
  refusedOther: number
  crashes: number
  crashNotes: string[]
  peakRssMiB: number
  stageMs: Record<string, number>
}

async function main(): Promise<void> {
  const modelsDir = defaultModelsDir()
  const sets = modelSetsOf(loadManifest(modelsDir)).sets.map((s) => s.id)
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}, load average at start ${os.loadavg()[0].toFixed(1)}`
  console.log(`machine: ${machine}; model sets ${sets.join(', ')}; ${ITERATIONS} iterations or ${MINUTES} minutes, seed ${SEED}`)
  const work = mkdtempSync(path.join(os.tmpdir(), 'gsc-fuzz-'))
  const crashDir = process.env.GSC_FUZZ_OUT ?? path.join(work, 'crashes')
  mkdirSync(crashDir, { recursive: true })
  const log = openPacketLog(path.join(work, 'soak.db'))
  const { packets, note } = await corpus(sets, modelsDir)
  console.log(`corpus: ${packets.length} packets (${packets.map((p) => p.name).join(', ')})`)

  const t: Tally = {
    iterations: 0, packets: 0, captures: 0, byKind: {}, inspected: 0, readerItems: 0, imports: 0, importedRows: 0, importRefused: 0,
    importRefusedFramable: 0, importIncomplete: 0, decodeCalls: 0, decodeCacheHits: 0, images: 0, imagesByPixels: {}, largestImage: 'none',
    imagesFromBadCrc: 0, overRiseBound: 0, risePerMpx: {}, highest: { before: 0, rise: 0, image: 'none' }, refusedByLimit: 0, refusedBySet: 0, refusedOther: 0, crashes: 0, crashNotes: [], peakRssMiB: 0,
    stageMs: { mutate: 0, inspect: 0, import: 0, decode: 0 }
  }
  let current = ''
  const crash = (stage: string, e: unknown, bytes: Uint8Array) => {
    t.crashes++
    const file = path.join(crashDir, `crash-${t.iterations}-${stage}.bin`)
    writeFileSync(file, bytes)
    const line = `iteration ${t.iterations} (${current}), ${stage}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (input ${file})`
    if (t.crashNotes.length < 20) t.crashNotes.push(line)
    console.error(`CRASH ${line}`)
  }
  process.on('unhandledRejection', (e) => crash('unhandled rejection', e, new Uint8Array(0)))
  process.on('uncaughtException', (e) => crash('uncaught exception', e, new Uint8Array(0)))
  /** A refusal is a one-line GscError; anything else is a crash. */
  const refusal = (e: unknown) => e instanceof GscError && !e.message.includes('\n') && e.message.length > 0

  const decoded = new Map<string, { image: boolean; code: string | null }>()
  let largest = 0
  // load every set before measuring (a decode's rise should not include opening its models)
  for (const p of packets.filter((x) => x.name.endsWith('-blank-64x48'))) await decodePacket(p.bytes, { modelsDir })
  let peak = memory().hwm
  const t0 = Date.now()
  const deadline = t0 + MINUTES * 60_000
  let lastReport = t0
  const clock = () => performance.now()
  while (t.iterations < ITERATIONS && Date.now() < deadline) {
    t.iterations++
    let s = clock()
    const asCapture = rnd() < 0.4
    const base = asCapture ? capture(packets) : pick(packets)
    const other = rnd() < 0.5 ? pick(packets) : capture(packets)
    const m = mutate(base, other)
    current = `${asCapture ? 'capture' : base.name}: ${m.kind} ${m.what}`
    asCapture ? t.captures++ : t.packets++
    t.byKind[m.kind] = (t.byKind[m.kind] ?? 0) + 1
    const file = path.join(work, `m${t.iterations}.bin`)
    writeFileSync(file, m.bytes)
    t.stageMs.mutate += clock() - s

    // inspect: the packet alone, and every item of the file as a capture (full decoding of each)
    s = clock()
    try {
      inspectPacket(m.bytes)
      t.inspected++
    } catch (e) {
      crash('inspectPacket', e, m.bytes)
    }
    const items: { bytes: Uint8Array; crcOk: boolean | undefined; framed: boolean }[] = []
    try {
      for await (const it of readCapture(file, { decode: true })) items.push({ bytes: it.bytes, crcOk: it.inspection.crcOk, framed: it.framed })
      t.readerItems += items.length
    } catch (e) {
      if (!(m.bytes.length === 0 && refusal(e))) crash('readCapture', e, m.bytes)
    }
    t.stageMs.inspect += clock() - s

    // import into the packet log
    s = clock()
    try {
      const r = await log.importCapture(file)
      t.imports++
      t.importedRows += r.imported + r.bad + r.foreign + r.idle
      if (r.committedOffset !== m.bytes.length || r.interrupted) t.importIncomplete++
    } catch (e) {
      if (!refusal(e)) crash('importCapture', e, m.bytes)
      else {
        t.importRefused++
        if (items.some((i) => i.framed)) t.importRefusedFramable++
      }
    }
    rmSync(file, { force: true })
    t.stageMs.import += clock() - s

    // decode every item (the decoder must refuse all but whole, CRC-valid packets within the limits)
    s = clock()
    for (const it of items) {
      const key = createHash('sha256').update(it.bytes).digest('hex')
      let out = decoded.get(key)
      if (out) {
        t.decodeCacheHits++
      } else {
        t.decodeCalls++
        const before = memory()
        peak = Math.max(peak, before.hwm)
        resetPeak()
        try {
          const r = await decodePacket(it.bytes, { modelsDir })
          out = { image: true, code: null }
          const after = memory()
          peak = Math.max(peak, after.hwm)
          const rise = after.hwm - before.rss
          const mpx = decodedPixels(r.header) / 1e6
          if (rise > RISE_MIB_PER_MPX[r.modelSet] * mpx + RISE_SLACK_MIB) {
            t.overRiseBound++
            if (t.crashNotes.length < 20) t.crashNotes.push(`iteration ${t.iterations}: a ${r.image.width}x${r.image.height} decode of set ${r.modelSet} rose ${rise.toFixed(0)} MiB`)
          }
          if (mpx > 0.25) t.risePerMpx[r.modelSet] = Math.max(t.risePerMpx[r.modelSet] ?? 0, rise / mpx)
          if (after.hwm >= peak) t.highest = { before: before.rss, rise, image: `${r.image.width}x${r.image.height} image of set ${r.modelSet}` }
          const px = r.image.width * r.image.height
          const bucket = px <= 65536 ? '<= 64 Kpx' : px <= 524288 ? '<= 0.5 Mpx' : px <= 1048576 ? '<= 1 Mpx' : '> 1 Mpx'
          t.imagesByPixels[bucket] = (t.imagesByPixels[bucket] ?? 0) + 1
          if (px > largest) {
            largest = px
            t.largestImage = `${r.image.width}x${r.image.height} (set ${r.modelSet})`
          }
          // an image only ever comes from a packet whose CRC holds
          const b = it.bytes
          const stored = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(b.length - 4, false)
          if (b.length < 16 || stored !== crc32(b, 0, b.length - 4) || it.crcOk !== true) {
            t.imagesFromBadCrc++
            crash('image from a packet whose CRC failed', new Error('decoded'), b)
          }
        } catch (e) {
          if (!refusal(e)) crash('decodePacket', e, it.bytes)
          out = { image: false, code: e instanceof GscError ? e.code : 'crash' }
        }
        decoded.set(key, out)
        if (decoded.size > 200_000) decoded.clear()
      }
      if (out.image) t.images++
      else if (out.code === 'ELIMIT') t.refusedByLimit++
      else if (out.code === 'ENOMODELSET') t.refusedBySet++
      else t.refusedOther++
    }
    t.stageMs.decode += clock() - s
    t.peakRssMiB = Math.max(t.peakRssMiB, process.memoryUsage().rss / MiB)
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now()
      console.log(`${t.iterations} iterations in ${((Date.now() - t0) / 60000).toFixed(1)} min: crashes ${t.crashes}, images ${t.images} (from bad CRC ${t.imagesFromBadCrc}), refused by limit ${t.refusedByLimit}, peak RSS ${t.peakRssMiB.toFixed(0)} MiB`)
    }
  }
  const minutes = (Date.now() - t0) / 60000
  const hwm = Math.max(peak, memory().hwm)
  const stats = log.stats()
  log.close()
  rmSync(work, { recursive: true, force: true })
  const done = t.iterations >= ITERATIONS
  const pct = (n: number) => `${n.toLocaleString('en-US')}`
  const md = [
    '# Fuzz soak (test/perf/fuzzSoak.ts)',
    '',
    `Machine: ${machine}. Command: \`nice -n 19 npx tsx test/perf/fuzzSoak.ts --iterations ${ITERATIONS} --minutes ${MINUTES} --seed ${SEED}\`.`,
    `Model sets: ${sets.join(', ')} (resources/models); ${note}; decode limits the defaults (${DEFAULT_DECODE_LIMITS.maxPixels.toLocaleString('en-US')} pixels, ${DEFAULT_DECODE_LIMITS.maxFlowSteps} flow steps).`,
    done
      ? `Ran all ${pct(t.iterations)} iterations in ${minutes.toFixed(1)} minutes.`
      : `**Stopped after ${minutes.toFixed(1)} minutes at ${pct(t.iterations)} of ${pct(ITERATIONS)} iterations** (the --minutes limit on this shared machine); the command above with a larger --minutes runs the rest.`,
    '',
    '| result | count | must be |',
    '|---|---|---|',
    `| crashes (a throw that is not a one-line GscError, an unhandled rejection or exception) | **${t.crashes}** | 0 |`,
    `| images produced from a packet whose CRC failed | **${t.imagesFromBadCrc}** | 0 |`,
    `| files refused whole by import although a packet frames in them | **${t.importRefusedFramable}** | 0 |`,
    `| imports that did not consume the whole file | **${t.importIncomplete}** | 0 |`,
    `| decodes whose peak rose above the process's level before them by more than the bound docs/bitstream.md 4.1 states (${sets.map((s) => `set ${s} ${(RISE_MIB_PER_MPX[s] / 1024).toFixed(2)} GiB`).join(', ')} per megapixel, + ${RISE_SLACK_MIB} MiB) | **${t.overRiseBound}** | 0 |`,
    '',
    `Largest rise per megapixel (decodes of more than 0.25 megapixels): ${sets.map((s) => `set ${s} ${t.risePerMpx[s]?.toFixed(0) ?? '-'} MiB`).join(', ')}.`,
    `Peak RSS of the soak process (VmHWM over the run): **${hwm.toFixed(0)} MiB**, reached while decoding a ${t.highest.image}, which rose ${t.highest.rise.toFixed(0)} MiB from the ${t.highest.before.toFixed(0)} MiB`,
    'the process held before it. That level is the soak\'s own (one process for everything, both model sets with their',
    'cached sessions, the packet log, the caches, memory freed by earlier large decodes that the allocator keeps); the',
    'bound is on the rise, which is what a decode adds to whatever process runs it. `gsc serve` idles at about 0.42 GiB',
    'with its models and peaked at 2.9 GiB at the default limit (docs/bench/decode-memory.md).',
    '',
    `Corpus: ${packets.length} packets (${packets.map((p) => p.name).join(', ')}); a mutant is one of them (${pct(t.packets)}) or a capture of 2 to 9 of them (${pct(t.captures)}).`,
    '',
    '| mutation | mutants |',
    '|---|---|',
    ...KINDS.map((k) => `| ${k} | ${pct(t.byKind[k] ?? 0)} |`),
    '',
    '| stage | what ran | time |',
    '|---|---|---|',
    `| inspect | ${pct(t.inspected)} inspectPacket calls; readCapture with full decoding yielded ${pct(t.readerItems)} items | ${(t.stageMs.inspect / 1000).toFixed(0)} s |`,
    `| import | ${pct(t.imports)} captures imported into one SQLite log (${pct(t.importedRows)} rows; ${pct(t.importRefused)} files refused as holding no framable packet); the log ends with ${pct(stats.packets)} packets | ${(t.stageMs.import / 1000).toFixed(0)} s |`,
    `| decode | ${pct(t.decodeCalls)} decodePacket calls on distinct items (${pct(t.decodeCacheHits)} repeats answered from the cache): ${pct(t.images)} item images, ${pct(t.refusedByLimit)} refused by the limits, ${pct(t.refusedBySet)} of a set not installed, ${pct(t.refusedOther)} other refusals | ${(t.stageMs.decode / 1000).toFixed(0)} s |`,
    '',
    `Images decoded by size: ${Object.entries(t.imagesByPixels).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}; largest ${t.largestImage}.`,
    '',
    ...(t.crashNotes.length ? ['Crashes and decodes over the bound (first 20):', '', ...t.crashNotes.map((c) => `- ${c}`), ''] : [])
  ]
  const out = path.join(root, 'docs', 'bench', 'fuzz.md')
  writeFileSync(out, md.join('\n'))
  console.log(md.join('\n'))
  console.log(`wrote ${out}`)
  process.exit(t.crashes || t.imagesFromBadCrc || t.importRefusedFramable || t.importIncomplete || t.overRiseBound ? 1 : 0)
}

await main()
