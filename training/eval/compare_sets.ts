// Two `gsc bench` result folders of the same images (one per model set) side by side, per C: mean ΔE00,
// blockiness, MS-SSIM, LPIPS, PSNR, the median false texture (over the images: a few photos with a nearly flat quarter
// read far above the rest, so the median is the rule's statistic) and pooled detection agreement (matched / found / reference at the bench's
// operating point), the numbers a ship rule such as docs/bench/latent-codec/ship-rule.md reads; and B minus A over the
// images with 95 % paired bootstrap intervals (src/core/bench/confidence.ts), so a rule's margin can be read against
// what resampling the frames gives.
// Usage: npx tsx training/eval/compare_sets.ts <results dir A> <results dir B> [--json out.json]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { detectionAgreement, pooledAgreement, type DetectionCounts } from '../../src/core/analysis/detections'
import { AGREEMENT_SCORE } from '../../src/core/bench/measurement'
import { bootstrapIntervals, excludesZero } from '../../src/core/bench/confidence'

type Det = { classId: number; score: number; box: [number, number, number, number] }
interface Rec { image: string; c: number; gsc: Record<string, number> & { detections: Det[] } }
const METRICS = ['ciede2000', 'blockiness', 'msssim', 'lpips', 'psnr'] as const

/** The median of the finite values (NaN where none: a bench folder from before false texture was measured). */
function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((p, q) => p - q)
  return v.length === 0 ? NaN : v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}

function summarise(dir: string) {
  // results.json keeps only counts; the per-cell cache keeps every detection
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
  const scene = r.summaries[0].name as string
  const root = join(dir, 'cache', scene)
  const images = readdirSync(root).sort()
  const refs = new Map(images.map((im) => [im, (JSON.parse(readFileSync(join(root, im, 'original.json'), 'utf8')).detections as Det[]).filter((t) => t.score >= AGREEMENT_SCORE)]))
  // each record keyed by its cache folder: the bench names a folder after the photo with unsafe characters replaced
  // ("Atlas_(Farnese_Globe)" -> "Atlas__Farnese_Globe_"), while the record keeps the photo's own name
  const d = { records: images.flatMap((im) => readdirSync(join(root, im)).filter((f) => /^c\d+\.json$/.test(f)).map((f) => ({ ...(JSON.parse(readFileSync(join(root, im, f), 'utf8')) as Rec), folder: im }))) }
  const cs = [...new Set(d.records.map((x) => x.c))].sort((a, b) => a - b)
  const countsOf = (x: Rec & { folder: string }): DetectionCounts => {
    const ref = refs.get(x.folder) ?? []
    const found = x.gsc.detections.filter((t) => t.score >= AGREEMENT_SCORE)
    return { matched: detectionAgreement(ref, found, 0.5).matched, found: found.length, reference: ref.length }
  }
  // per image: each metric averaged over C, and matched detections summed over C (what the rules compare)
  const perImage = new Map(
    images.map((im) => {
      const rows = d.records.filter((x) => x.folder === im)
      return [im, { ...Object.fromEntries(METRICS.map((k) => [k, rows.reduce((s, x) => s + x.gsc[k], 0) / rows.length])), matched: rows.reduce((s, x) => s + countsOf(x).matched, 0) }]
    })
  )
  return {
    command: r.command as string,
    perImage,
    perC: cs.map((c) => {
      const rows = d.records.filter((x) => x.c === c)
      const mean = (k: string) => rows.reduce((s, x) => s + x.gsc[k], 0) / rows.length
      const counts = rows.map(countsOf)
      const sum = (k: keyof DetectionCounts) => counts.reduce((s, n) => s + n[k], 0)
      return { c, images: rows.length, meanBytes: mean('bytes'), ...Object.fromEntries(METRICS.map((k) => [k, mean(k)])), falseTexture: median(rows.map((x) => x.gsc.falseTexture)), matched: sum('matched'), found: sum('found'), reference: sum('reference'), pooledF1: pooledAgreement(counts).f1 }
    })
  }
}

const USAGE = 'usage: npx tsx training/eval/compare_sets.ts <results dir A> <results dir B> [--json out.json]'
function fail(why: string): never {
  console.error(`gsc: ${why}`)
  process.exit(2)
}
let parsed: ReturnType<typeof parseArgs<{ allowPositionals: true; options: { json: { type: 'string' } } }>>
try {
  parsed = parseArgs({ allowPositionals: true, options: { json: { type: 'string' } } })
} catch (e) {
  fail(`${(e as Error).message.split('\n')[0]} (${USAGE})`)
}
const { positionals, values } = parsed
if (positionals.length !== 2) fail(USAGE)
const [a, b] = positionals.map((dir) => {
  try {
    return summarise(dir)
  } catch (e) {
    return fail(`${dir} is not a gsc bench results folder: ${(e as Error).message.split('\n')[0]}`)
  }
})
const channelsOf = (s: typeof a) => s.perC.map((x) => x.c).join(', ')
if (channelsOf(a) !== channelsOf(b)) fail(`A was benched at C = ${channelsOf(a)}, B at C = ${channelsOf(b)}: compare benches run at the same channel counts`)
const f = (v: number, n = 3) => v.toFixed(n)
console.log(`A: ${a.command}\nB: ${b.command}\n`)
console.log('| C | bytes A / B | ΔE00 A / B | blockiness A / B | MS-SSIM A / B | LPIPS A / B | PSNR A / B | false texture (median) A / B | matched (found) A / B |')
console.log('|---|---|---|---|---|---|---|---|---|')
a.perC.forEach((x, i) => {
  const y = b.perC[i] as typeof x
  const p = (k: (typeof METRICS)[number], n: number) => `${f((x as unknown as Record<string, number>)[k], n)} / ${f((y as unknown as Record<string, number>)[k], n)}`
  console.log(`| ${x.c} | ${f(x.meanBytes, 0)} / ${f(y.meanBytes, 0)} | ${p('ciede2000', 2)} | ${p('blockiness', 3)} | ${p('msssim', 4)} | ${p('lpips', 3)} | ${p('psnr', 2)} | ${f(x.falseTexture)} / ${f(y.falseTexture)} | ${x.matched} (${x.found}) / ${y.matched} (${y.found}) of ${x.reference} |`)
})
const avg = (s: typeof a, k: string) => s.perC.reduce((t, x) => t + (x as unknown as Record<string, number>)[k], 0) / s.perC.length
console.log(`\nmeans over C: MS-SSIM ${f(avg(a, 'msssim'), 4)} / ${f(avg(b, 'msssim'), 4)}, LPIPS ${f(avg(a, 'lpips'))} / ${f(avg(b, 'lpips'))}; matched summed ${a.perC.reduce((t, x) => t + x.matched, 0)} / ${b.perC.reduce((t, x) => t + x.matched, 0)}`)

// B - A over the images both folders hold, paired: the mean over images of (mean over C) for each metric, and the
// total matched detections (summed over C and images)
const shared = [...a.perImage.keys()].filter((im) => b.perImage.has(im))
const pairs = shared.map((im) => ({ a: a.perImage.get(im)!, b: b.perImage.get(im)! }))
type Pair = (typeof pairs)[number]
const keys = [...METRICS, 'matched'] as const
const stat = (k: (typeof keys)[number]) => (s: readonly Pair[]) => {
  const total = s.reduce((t, p) => t + (p.b as Record<string, number>)[k] - (p.a as Record<string, number>)[k], 0)
  return k === 'matched' ? total : total / s.length
}
const intervals = bootstrapIntervals(pairs, keys.map(stat))
if (intervals) {
  const digits: Record<string, number> = { ciede2000: 2, blockiness: 3, msssim: 4, lpips: 3, psnr: 2, matched: 0 }
  const cells = keys.map((k, i) => {
    const iv = intervals[i]
    const txt = `${k} ${iv.estimate >= 0 ? '+' : ''}${f(iv.estimate, digits[k])} [${f(iv.lo, digits[k])}, ${f(iv.hi, digits[k])}]`
    return excludesZero(iv) ? `**${txt}**` : txt
  })
  console.log(`B - A over ${pairs.length} images (metrics: mean over C; matched: total), 95 % paired bootstrap: ${cells.join('; ')}`)
}
const perImage = (s: typeof a) => Object.fromEntries(s.perImage)
if (values.json) writeFileSync(values.json, JSON.stringify({ a: { ...a, perImage: perImage(a) }, b: { ...b, perImage: perImage(b) }, differenceIntervals: intervals && Object.fromEntries(keys.map((k, i) => [k, intervals[i]])) }, null, 1))
