// Fits trained initial states (priors) for the entropy models' banks from recorded decisions (record_symbols.ts), and
// reports the code length they save on other photos' packets, per bank and C, against today's start (p = 1/2, n = 0).
// Each model's start is the pooled probability of its bit over the fit packets and an adaptation count n0 chosen, model
// by model, on two halves of the fit photos (priorFit.ts fitStarts; models never interact, so each is chosen alone).
// With OUT.ts, writes the tables as src/core/entropy/priors/setN.ts does (SET, the set's id, names the constants).
// Usage: npx tsx training/eval/priors/fit_priors.ts FIT.jsonl EVAL.jsonl [OUT.ts SET]
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { fitStarts, halvesByPhoto, packetCost } from './priorFit'

const [fitFile, evalFile, outFile, setId] = process.argv.slice(2)
type Row = { photo: string; c: number; octets: number; [bank: string]: unknown }
const rows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row)
const BANKS = ['colour', 'latent']

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
const halves = halvesByPhoto(fit.map((r) => r.photo))
for (const bank of BANKS) {
  const seqs = sequences(fit, bank)
  const table = fitStarts(seqs, halves)
  const models = new Set(seqs.flatMap((m) => [...m.keys()]))
  priors[bank] = table
  console.log(`${bank}: ${models.size} models seen in ${fit.length} packets, ${table.length} given a start`)
}

// Judge on the other packets: code length per bank and C, today's start against the priors.
const byC = new Map<number, { base: number; prior: number; octets: number; n: number }>()
for (const bank of BANKS) {
  const start = new Map(priors[bank].map(([i, p16, n0]) => [i, [p16, n0] as const]))
  const seqs = sequences(evalRows, bank)
  evalRows.forEach((r, k) => {
    const acc = byC.get(r.c) ?? { base: 0, prior: 0, octets: 0, n: 0 }
    acc.base += packetCost(seqs[k], new Map())
    acc.prior += packetCost(seqs[k], start)
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
