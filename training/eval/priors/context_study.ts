// Study (not on the wire): other contexts for the colour thumbnail's zero flags, the decisions that cost most of its
// payload (59 % at C = 1). Replays each recorded packet's thumbnail (record_symbols.ts, its coefficients) through the
// coder's binarisation (colourCoder.ts: LL residuals, zero flag, sign, Exp-Golomb) with a variant's zero-flag context,
// fits starts for each variant on the fit packets (priorFit.ts) and prints the code length on the other packets.
// Variant 'today' must reproduce the recorded decisions exactly (checked).
// Usage: npx tsx training/eval/priors/context_study.ts FIT.jsonl EVAL.jsonl
import { readFileSync } from 'node:fs'
import { subbands, colourPlaneSizes, type Subband } from '../../../src/core/bitstream/colourThumbnail'
import { predictAt } from '../../../src/core/bitstream/latentPrediction'
import { magClass } from '../../../src/core/entropy/latentCoder'
import { fitStarts, halvesByPhoto, packetCost, type PacketBits } from './priorFit'

type Row = { photo: string; c: number; octets: number; colour?: number[]; thumbnail?: { lumaFactor: number; lh: number; lw: number; coefficients: string } }
const rows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row).filter((r) => r.thumbnail)

interface Band extends Subband { cls: number; parent?: Subband; index: number }
interface Site { sym: Int32Array; w: number; b: Band; bands: Band[]; luma: boolean; y: number; x: number; lumaPlane?: { sym: Int32Array; w: number; bands: Band[]; shift: number } }
const at = (s: Int32Array, w: number, b: Subband, y: number, x: number) => (y >= 0 && x >= 0 && x < b.w && y < b.h ? s[(b.y0 + y) * w + b.x0 + x] : 0)
const orient = (b: Band) => (b.band === 'LL' ? 0 : b.band === 'HH' ? 2 : 1)

/** A variant: the zero flag's context key for one site (any integer; the study numbers them). */
type Variant = (s: Site) => number
function base(s: Site) {
  const { sym, w, b, y, x } = s
  const a = Math.min(2 * (Math.abs(at(sym, w, b, y, x - 1)) + Math.abs(at(sym, w, b, y - 1, x))) + Math.abs(at(sym, w, b, y - 1, x - 1)) + Math.abs(at(sym, w, b, y - 1, x + 1)), 1 << 20)
  const p = b.parent
  const parent = p ? sym[(p.y0 + Math.min(y >> 1, p.h - 1)) * w + p.x0 + Math.min(x >> 1, p.w - 1)] : 0
  return { mc: magClass(a), parent, cls: (s.luma ? 0 : 4) + b.cls }
}
const parentNeighbours = (s: Site) => {
  const p = s.b.parent
  if (!p) return 0
  const [py, px] = [Math.min(s.y >> 1, p.h - 1), Math.min(s.x >> 1, p.w - 1)]
  let n = 0
  for (const [dy, dx] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) if (at(s.sym, s.w, p, py + dy, px + dx) !== 0) n++
  return n
}
const sibling = (s: Site) => {
  // bands of the same level coded before this one (HL before LH before HH), same position
  let n = 0
  for (const o of s.bands) if (o.level === s.b.level && o.band !== 'LL' && o.index < s.b.index && at(s.sym, s.w, o, s.y, s.x) !== 0) n++
  return Math.min(n, 1)
}
const further = (s: Site) => (at(s.sym, s.w, s.b, s.y, s.x - 2) !== 0 || at(s.sym, s.w, s.b, s.y - 2, s.x) !== 0 || at(s.sym, s.w, s.b, s.y - 1, s.x + 2) !== 0 ? 1 : 0)
const lumaCo = (s: Site) => {
  const l = s.lumaPlane
  if (!l || s.b.band === 'LL') return 0
  const o = l.bands.find((q) => q.band === s.b.band && q.level === s.b.level + l.shift)
  if (!o) return 0
  return at(l.sym, l.w, o, s.y, s.x) !== 0 || at(l.sym, l.w, o, s.y, s.x + 1) !== 0 || at(l.sym, l.w, o, s.y + 1, s.x) !== 0 ? 1 : 0
}
const VARIANTS: Record<string, Variant> = {
  today: (s) => { const { mc, parent, cls } = base(s); return (cls * 8 + mc) * 2 + (parent !== 0 ? 1 : 0) },
  orientation: (s) => { const { mc, parent, cls } = base(s); return ((cls * 3 + orient(s.b)) * 8 + mc) * 2 + (parent !== 0 ? 1 : 0) },
  parentMag: (s) => { const { mc, parent, cls } = base(s); return (cls * 8 + mc) * 3 + Math.min(Math.abs(parent), 2) },
  parentNbrs: (s) => { const { mc, parent, cls } = base(s); return ((cls * 8 + mc) * 2 + (parent !== 0 ? 1 : 0)) * 3 + Math.min(parentNeighbours(s), 2) },
  sibling: (s) => { const { mc, parent, cls } = base(s); return ((cls * 8 + mc) * 2 + (parent !== 0 ? 1 : 0)) * 2 + sibling(s) },
  further: (s) => { const { mc, parent, cls } = base(s); return ((cls * 8 + mc) * 2 + (parent !== 0 ? 1 : 0)) * 2 + (mc === 0 ? further(s) : 0) },
  lumaForChroma: (s) => { const { mc, parent, cls } = base(s); return ((cls * 8 + mc) * 2 + (parent !== 0 ? 1 : 0)) * 2 + (s.luma ? 0 : lumaCo(s)) },
  combined: (s) => {
    const { mc, parent, cls } = base(s)
    const extra = mc === 0 ? further(s) + 2 * sibling(s) : 2 * sibling(s)
    return ((((cls * 3 + orient(s.b)) * 8 + mc) * 3 + Math.min(Math.abs(parent), 2)) * 3 + Math.min(parentNeighbours(s), 2)) * 4 * 2 + extra * 2 + (s.luma ? 0 : lumaCo(s))
  }
}

function plan(h: number, w: number): Band[] {
  const bands = subbands(h, w)
  return bands.map((b, index) => ({ ...b, index, cls: b.band === 'LL' ? 0 : 1 + Math.min(b.level - 1, 2), parent: b.band === 'LL' ? undefined : bands.find((p) => p.band === b.band && p.level === b.level + 1) }))
}

/** One packet's thumbnail decisions: zero flags keyed by the variant (offset 0), sign and EG models as the coder's (offset 1e6). */
function decisions(r: Row, variant: Variant): { bits: PacketBits; order: number[] } {
  const t = r.thumbnail!
  const all = new Int32Array(new Uint8Array(Buffer.from(t.coefficients, 'base64')).buffer)
  const bits: PacketBits = new Map()
  const order: number[] = []
  const push = (i: number, bit: number) => {
    let a = bits.get(i)
    if (!a) bits.set(i, (a = []))
    a.push(bit)
    order.push(2 * i + bit)
  }
  const sizes = colourPlaneSizes(t.lumaFactor, t.lh, t.lw)
  let off = 0
  let lumaPlane: Site['lumaPlane']
  sizes.forEach(([h, w], p) => {
    const sym = all.slice(off, off + h * w)
    off += h * w
    const bands = plan(h, w)
    const ll = bands[0]
    // LL residuals, as colourCoder.ts predictLowPass
    const band = new Int32Array(ll.h * ll.w)
    for (let y = 0; y < ll.h; y++) for (let x = 0; x < ll.w; x++) band[y * ll.w + x] = sym[y * w + x]
    for (let i = band.length - 1; i >= 0; i--) band[i] -= predictAt(band, Math.floor(i / ll.w), i % ll.w, ll.w, 1)
    for (let y = 0; y < ll.h; y++) for (let x = 0; x < ll.w; x++) sym[y * w + x] = band[y * ll.w + x]
    const luma = p === 0
    const known = new Int32Array(h * w) // what the decoder has so far
    for (const b of bands)
      for (let y = 0; y < b.h; y++)
        for (let x = 0; x < b.w; x++) {
          const v = sym[(b.y0 + y) * w + b.x0 + x]
          const site: Site = { sym: known, w, b, bands, luma, y, x, lumaPlane }
          push(variant(site), v === 0 ? 0 : 1)
          if (v !== 0) {
            // sign and magnitude as colourCoder.ts context()
            const { mc, cls } = base(site)
            const L = at(known, w, b, y, x - 1)
            const T = at(known, w, b, y - 1, x)
            push(1e6 + cls * 5 + Math.sign(L) + Math.sign(T) + 2, v < 0 ? 1 : 0)
            const egBase = 2e6 + (cls * 2 + (mc < 3 ? 0 : 1)) * 1089
            const v1 = Math.abs(v)
            let k = 0
            while (2 ** (k + 1) <= v1) k++
            for (let i = 0; i < k; i++) push(egBase + i, 1)
            push(egBase + k, 0)
            for (let i = k - 1; i >= 0; i--) push(egBase + 33 + k * 32 + i, Math.floor((v1 - 2 ** k) / 2 ** i) & 1)
          }
          known[(b.y0 + y) * w + b.x0 + x] = v
        }
    if (luma) lumaPlane = { sym: known, w, bands, shift: Math.round(Math.log2(t.lumaFactor)) }
  })
  return { bits, order }
}

const fit = rows(process.argv[2])
const evalRows = rows(process.argv[3])
// the check: 'today' reproduces the coder's recorded zero-flag bits in order
{
  const r = evalRows[0]
  const zeroBits = (r.colour ?? []).filter((d) => d >> 1 < 128).map((d) => d & 1)
  const replayed = decisions(r, VARIANTS.today).order.filter((d) => d >> 1 < 1e6).map((d) => d & 1)
  console.log(`check: today's zero flags ${zeroBits.length === replayed.length && zeroBits.every((b, i) => b === replayed[i]) ? 'match' : 'DIFFER'} the record (${zeroBits.length})`)
}
const halves = halvesByPhoto(fit.map((r) => r.photo))
const cs = [...new Set(evalRows.map((r) => r.c))].sort((a, b) => a - b)
let todayCost: number[] = []
for (const [name, variant] of Object.entries(VARIANTS)) {
  const table = fitStarts(fit.map((r) => decisions(r, variant).bits), halves)
  const starts = new Map(table.map(([i, p, n]) => [i, [p, n] as const]))
  const perC = cs.map((c) => {
    const rs = evalRows.filter((r) => r.c === c)
    return rs.reduce((s, r) => s + packetCost(decisions(r, variant).bits, starts), 0) / rs.length / 8
  })
  if (name === 'today') todayCost = perC
  console.log(`${name.padEnd(14)} ${perC.map((v, k) => `C=${cs[k]} ${v.toFixed(1)} B (${((100 * (v - todayCost[k])) / todayCost[k]).toFixed(1)} %)`).join('  ')}  [${table.length} starts]`)
}
