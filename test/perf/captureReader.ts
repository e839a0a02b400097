// Capture reader cost per packet (issue 18): readCapture alone (framing, CRC, GSC header; decode off, as the importer
// reads) over a synthetic capture of ~205-octet GSC packets and a mixed one (GSC with foreign housekeeping packets,
// idle packets and some garbage), in µs per item. GSC_BENCH_BASELINE=<commit>: that commit's reader (its src tree
// extracted to a temporary folder) is timed too, in rounds ordered A B, B A, ... so a trend
// in the machine's load falls on both alike; the medians and the median of the per-round ratios are printed, and both
// readers must yield the same items (a digest of every item is compared each round).
// Run: npx tsx test/perf/captureReader.ts   (GSC_BENCH_MB=200, GSC_BENCH_ROUNDS=5, GSC_BENCH_BASELINE unset)
// Profile: GSC_BENCH_ROUNDS=1 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/perf/captureReader.ts
import { execSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { IDLE_APID, writePrimaryHeader } from '../../src/core/bitstream/ccsds'
import { readCapture as readCaptureHere, type CaptureItem } from '../../src/core/bitstream/capture'
import { SyntheticPass, writeSyntheticCapture } from '../fixtures/storeFixtures'

const MB = Number(process.env.GSC_BENCH_MB ?? 200)
const ROUNDS = Number(process.env.GSC_BENCH_ROUNDS ?? 5)
const BASELINE = process.env.GSC_BENCH_BASELINE ?? ''
const dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-bench-capture-'))

type Reader = (file: string) => AsyncGenerator<CaptureItem>
interface Code {
  label: string
  read: Reader
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** That commit's reader: its src tree extracted with git archive (the CRC and header code it used come with it). */
async function baselineCode(commit: string): Promise<Code> {
  const sha = execSync(`git rev-parse --short ${JSON.stringify(commit)}`, { encoding: 'utf8' }).trim()
  const root = path.join(dir, `baseline-${sha}`)
  mkdirSync(root)
  execSync(`git archive ${sha} src package.json | tar -x -C ${JSON.stringify(root)}`)
  symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'))
  const m = (await import(path.join(root, 'src/core/bitstream/capture.ts'))) as { readCapture: typeof readCaptureHere }
  return { label: sha, read: (f) => m.readCapture(f) }
}

/** A mixed pass: mostly GSC packets, every 10th a foreign housekeeping packet, every 20th an idle packet, every 500th a garbage span. */
function writeMixedCapture(file: string, bytes: number): void {
  const pass = new SyntheticPass()
  let seed = 777
  const rnd = () => {
    seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0
    return seed
  }
  const ccsds = (apid: number, seq: number, data: Uint8Array) => {
    const out = new Uint8Array(6 + data.length)
    writePrimaryHeader(out, { version: 0, type: 0, secondaryHeaderFlag: 0, apid, sequenceFlags: 3, sequenceCount: seq, dataFieldOctets: data.length })
    out.set(data, 6)
    return out
  }
  const parts: Uint8Array[] = []
  let total = 0
  for (let k = 0; total < bytes; k++) {
    const p =
      k % 500 === 499
        ? Uint8Array.from({ length: 100 + (rnd() % 300) }, () => rnd() & 0xff)
        : k % 20 === 19
          ? ccsds(IDLE_APID, k & 0x3fff, new Uint8Array(64).fill(0x55))
          : k % 10 === 9
            ? ccsds(200 + (k % 3), k & 0x3fff, Uint8Array.from({ length: 40 + (rnd() % 80) }, () => rnd() & 0xff))
            : pass.packet(k)
    parts.push(p)
    total += p.length
  }
  writeFileSync(file, Buffer.concat(parts))
}

interface Pass {
  us: number // wall-clock µs per item
  cpuUs: number // process CPU (user + system) µs per item: moves less with the machine's load
  items: number
  digest: number
}

/** One full pass: µs per item and a digest of every item (offset, length, framed, CRC, ok, error). */
async function pass(code: Code, file: string): Promise<Pass> {
  let items = 0
  let digest = 0
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for await (const it of code.read(file)) {
    items++
    const i = it.inspection
    let h = (it.offset + it.bytes.length * 31 + (it.framed ? 7 : 0) + (i.ok ? 13 : 0) + (i.crcComputed ?? 1) + (i.header?.seed ?? 3)) >>> 0
    if (i.error) for (let k = 0; k < i.error.length; k++) h = (h * 33 + i.error.charCodeAt(k)) >>> 0
    digest = (Math.imul(digest, 0x9e3779b1) + h + it.bytes[it.bytes.length - 1]) >>> 0
  }
  const ns = Number(process.hrtime.bigint() - t0)
  const cpu = process.cpuUsage(cpu0)
  return { us: ns / 1000 / items, cpuUs: (cpu.user + cpu.system) / items, items, digest }
}

async function main(): Promise<void> {
  const gscFile = path.join(dir, 'gsc.bin')
  const mixedFile = path.join(dir, 'mixed.bin')
  const { packets } = writeSyntheticCapture(gscFile, { bytes: MB * 1024 * 1024 })
  writeMixedCapture(mixedFile, (MB / 4) * 1024 * 1024)
  const codes: Code[] = [{ label: 'this tree', read: (f) => readCaptureHere(f) }]
  if (BASELINE) codes.unshift(await baselineCode(BASELINE))
  console.log(`capture reader: ${MB} MiB GSC capture (${packets} packets) and a ${MB / 4} MiB mixed one; ${ROUNDS} rounds; ${codes.map((c) => c.label).join(' vs ')}`)
  for (const c of codes) await pass(c, mixedFile) // warm-up: both readers compiled before the first timed round
  for (const [name, file] of [['gsc', gscFile], ['mixed', mixedFile]] as const) {
    const times = codes.map(() => [] as number[])
    const cpuTimes = codes.map(() => [] as number[])
    const ratios: number[] = []
    const cpuRatios: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? codes.map((_, i) => i) : codes.map((_, i) => codes.length - 1 - i)
      const got: Pass[] = []
      for (const i of order) got[i] = await pass(codes[i], file)
      got.forEach((g, i) => (times[i].push(g.us), cpuTimes[i].push(g.cpuUs)))
      if (got.some((g) => g.items !== got[0].items || g.digest !== got[0].digest)) throw new Error(`${name} round ${r}: the readers' items differ (${got.map((g) => `${g.items}/${g.digest}`).join(' vs ')})`)
      if (codes.length === 2) ratios.push(got[1].us / got[0].us), cpuRatios.push(got[1].cpuUs / got[0].cpuUs)
      console.log(`  ${name} round ${r + 1}: ${codes.map((c, i) => `${c.label} ${got[i].us.toFixed(2)} µs/item (CPU ${got[i].cpuUs.toFixed(2)})`).join(', ')} (${got[0].items} items)`)
    }
    const summary = codes.map((c, i) => `${c.label} median ${median(times[i]).toFixed(2)} µs/item (CPU ${median(cpuTimes[i]).toFixed(2)})`).join(', ')
    const ratio = ratios.length ? `; this tree / baseline, median of per-round ratios ${median(ratios).toFixed(3)} (CPU ${median(cpuRatios).toFixed(3)})` : ''
    console.log(`${name}: ${summary}${ratio}`)
  }
}

main()
  .catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }))
