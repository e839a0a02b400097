// Fits trained initial states (priors) for the entropy models' banks from recorded decisions (record_symbols.ts), and
// reports the code length they save on other photos' packets, per bank and C, against today's start (p = 1/2, n = 0).
// Each model's start is the pooled probability of its bit over the fit packets and an adaptation count n0 chosen, model
// by model, to minimise the fit packets' code length (models never interact, so each is chosen on its own).
// With OUT.ts, writes the tables as src/core/entropy/priors/setN.ts does (SET, the set's id, names the constants).
// Usage: npx tsx training/eval/priors/fit_priors.ts FIT.jsonl EVAL.jsonl [OUT.ts SET]
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'

const [fitFile, evalFile, outFile, setId] = process.argv.slice(2)
type Row = { photo: string; c: number; octets: number; [bank: string]: unknown }
const rows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row)
const BANKS = ['colour', 'latent']
const N0 = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 255]

// BitModels' arithmetic (src/core/entropy/bitModels.ts), so the costs are the coder's.
const STATE_ONE = 2 ** 28
const RATES = Array.from({ length: 256 }, (_, n) => Math.floor((65536 * 2) / (2 * n + 3)))
const clampP = (p: number) => (p < 31 ? 31 : p > 65535 - 31 ? 65535 - 31 : p)
function sequenceCost(bits: number[], p16: number, n0: number): number {
  let s = p16 * 4096
  let n = n0
  let cost = 0
  for (const bit of bits) {
    const p0 = clampP(Math.floor(s / 4096))
    cost -= Math.log2((bit === 0 ? p0 : 65536 - p0) / 65536)
    const r = RATES[n]
    s = bit === 0 ? s + Math.floor(((STATE_ONE - s) * r) / 65536) : s - Math.floor((s * r) / 65536)
    if (n < 255) n++
  }
  return cost
}

/** Per packet of a bank: model index -> its bits in order. */
function sequences(rs: Row[], bank: string): Map<number, number[]>[] {
  return rs.map((r) => {
    const m = new Map<number, number[]>()
    for (const d of (r[bank] as number[] | undefined) ?? []) {
      const i = d >> 1
      let a = m.get(i)
      if (!a) m.set(i, (a = []))
      a.push(d & 1)
    }
    return m
  })
}

const fit = rows(fitFile)
const evalRows = rows(evalFile)
const priors: Record<string, [number, number, number][]> = {}
const photoIndex = new Map([...new Set(fit.map((r) => r.photo))].map((p, k) => [p, k]))
for (const bank of BANKS) {
  const seqs = sequences(fit, bank)
  const models = new Set<number>()
  for (const m of seqs) for (const i of m.keys()) models.add(i)
  const table: [number, number, number][] = []
  // the photos in two halves: a model's count is chosen on each half's packets with the other half's probability, so a
  // model seen in a few packets cannot claim a confident start it did not earn
  const half = fit.map((r) => photoIndex.get(r.photo)! % 2)
  for (const i of [...models].sort((a, b) => a - b)) {
    const all = seqs.map((m) => m.get(i))
    const pOf = (keep: (k: number) => boolean) => {
      let zeros = 0
      let total = 0
      all.forEach((a, k) => {
        if (!a || !keep(k)) return
        zeros += a.filter((b) => b === 0).length
        total += a.length
      })
      return clampP(Math.round(((zeros + 0.5) / (total + 1)) * 65536))
    }
    const [p0, p1] = [pOf((k) => half[k] === 0), pOf((k) => half[k] === 1)]
    const heldOut = (n0: number, p16?: number) => all.reduce((s, a, k) => s + (a ? sequenceCost(a, p16 ?? (half[k] === 0 ? p1 : p0), n0) : 0), 0)
    let best = { n0: 0, cost: heldOut(0, 32768) }
    for (const n0 of N0) {
      const cost = heldOut(n0)
      if (cost < best.cost - 1e-9) best = { n0, cost }
    }
    if (best.n0 > 0) table.push([i, pOf(() => true), best.n0])
  }
  priors[bank] = table
  console.log(`${bank}: ${models.size} models seen in ${fit.length} packets, ${table.length} given a start`)
}

// Judge on the other packets: code length per bank and C, today's start against the priors.
const byC = new Map<number, { base: number; prior: number; octets: number; n: number }>()
for (const bank of BANKS) {
  const start = new Map(priors[bank].map(([i, p16, n0]) => [i, [p16, n0]]))
  const seqs = sequences(evalRows, bank)
  evalRows.forEach((r, k) => {
    const acc = byC.get(r.c) ?? { base: 0, prior: 0, octets: 0, n: 0 }
    for (const [i, bits] of seqs[k]) {
      const [p16, n0] = start.get(i) ?? [32768, 0]
      acc.base += sequenceCost(bits, 32768, 0)
      acc.prior += sequenceCost(bits, p16, n0)
    }
    if (bank === BANKS[0]) {
      acc.octets += r.octets
      acc.n++
    }
    byC.set(r.c, acc)
  })
}
for (const [c, a] of [...byC].sort((x, y) => x[0] - y[0]))
  console.log(`C=${c}: ${a.n} packets, mean ${(a.octets / a.n).toFixed(1)} B; colour+latent payload ${(a.base / a.n / 8).toFixed(1)} -> ${(a.prior / a.n / 8).toFixed(1)} B (${((100 * (a.prior - a.base)) / a.base).toFixed(1)} %), packet ${((100 * (a.prior - a.base)) / 8 / a.octets).toFixed(1)} %`)
if (outFile) {
  const photos = new Set(fit.map((r) => r.photo)).size
  const cs = [...new Set(fit.map((r) => r.c))].join(', ')
  const lines = [
    `// Set ${setId}'s trained starting states (entropyPriors.ts, docs/bitstream.md 6.5): triples (model index, 16-bit`,
    `// probability of bit 0, adaptation count). Written by training/eval/priors/fit_priors.ts from ${fit.length} packets`,
    `// (${photos} training photos, C = ${cs}); part of the wire: a changed table is a new set (test/unit/entropy-priors.test.ts`,
    `// checks its hash).`,
    `import type { ModelStarts } from '../bitModels'`,
    ''
  ]
  for (const bank of BANKS) {
    lines.push(`export const SET_${setId}_${bank.toUpperCase()}_STARTS: ModelStarts = [`)
    for (let k = 0; k < priors[bank].length; k += 8) lines.push('  ' + priors[bank].slice(k, k + 8).map((t) => t.join(', ')).join(', ') + ',')
    lines.push(']', '')
  }
  writeFileSync(outFile, lines.join('\n'))
  for (const bank of BANKS) console.log(`${bank} table sha256 ${createHash('sha256').update(priors[bank].flat().join(',')).digest('hex')}`)
}
