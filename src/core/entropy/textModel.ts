// Caption text model for captionMode 'static': PPM (orders K..0, escapes with exclusion, then a
// uniform order -1 over all 256 octets + end-of-text) whose statistics are the shipped static
// tables blended with counts adapted on the caption itself. Any UTF-8 round-trips; integer-only.
import { GscError } from '../util/errors'
import type { RangeDecoder, RangeEncoder } from './rangeCoder'
import { MAX_TOTAL } from './rangeCoder'
import { EOT, START, type StaticTextModel } from './textModelFormat'
import { loadCaptionTextModel } from './captionModelFile'

/** Weight of one adaptive (in-caption) observation relative to one static count unit. */
const ADAPT_WEIGHT = 6

/** In-caption counts of one context, symbols kept ascending. */
interface DynStats {
  syms: number[]
  counts: number[]
}

class PpmState {
  /** The last 4 octets, most recent lowest (START-padded). */
  private ctx: number
  readonly dyn: Map<number, DynStats>[]
  private readonly stamp = new Int32Array(257)
  private tick = 1
  cost = 0
  // scratch distribution
  syms: number[] = []
  freqs: number[] = []
  sum = 0
  esc = 0

  constructor(readonly m: StaticTextModel) {
    this.ctx = START * 0x01010101
    this.dyn = Array.from({ length: m.order + 1 }, () => new Map())
  }

  key(k: number): number {
    return k === 4 ? this.ctx : this.ctx & ((1 << (8 * k)) - 1)
  }

  beginSymbol(): void {
    this.tick++
  }

  /** Builds the distribution of order k without excluded symbols; false if it is empty. */
  build(k: number, key: number): boolean {
    const st = this.m.tables[k]?.get(key)
    const dy = this.dyn[k].get(key)
    this.syms.length = 0
    this.freqs.length = 0
    if (!st && !dy) return false
    const dsyms = dy ? dy.syms : []
    let i = 0
    let j = 0
    const ns = st ? st.syms.length : 0
    let sum = 0
    while (i < ns || j < dsyms.length) {
      let s: number
      let f = 0
      if (j >= dsyms.length || (i < ns && st!.syms[i] <= dsyms[j])) {
        s = st!.syms[i]
        f = st!.counts[i]
        i++
        if (j < dsyms.length && dsyms[j] === s) f += ADAPT_WEIGHT * dy!.counts[j++]
      } else {
        s = dsyms[j]
        f = ADAPT_WEIGHT * dy!.counts[j++]
      }
      if (this.stamp[s] === this.tick) continue
      this.syms.push(s)
      this.freqs.push(f)
      sum += f
    }
    if (this.syms.length === 0) return false
    let esc = (st ? st.esc : 0) + (dy ? dy.syms.length : 0)
    // Keep total within the coder's precision (deterministic halving).
    while (sum + esc > MAX_TOTAL) {
      sum = 0
      for (let q = 0; q < this.freqs.length; q++) {
        this.freqs[q] = (this.freqs[q] + 1) >> 1
        sum += this.freqs[q]
      }
      esc = (esc + 1) >> 1
    }
    this.sum = sum
    this.esc = esc
    return true
  }

  excludeAll(): void {
    for (const s of this.syms) this.stamp[s] = this.tick
  }

  isExcluded(s: number): boolean {
    return this.stamp[s] === this.tick
  }

  /** Counts the symbol in the contexts of orders `from`..K (update exclusion), then shifts it in. */
  update(sym: number, from = 0): void {
    for (let k = from; k <= this.m.order; k++) {
      const key = this.key(k)
      let d = this.dyn[k].get(key)
      if (!d) this.dyn[k].set(key, (d = { syms: [], counts: [] }))
      let at = 0
      while (at < d.syms.length && d.syms[at] < sym) at++
      if (d.syms[at] === sym) d.counts[at]++
      else {
        d.syms.splice(at, 0, sym)
        d.counts.splice(at, 0, 1)
      }
    }
    this.ctx = ((this.ctx << 8) | (sym === EOT ? START : sym)) >>> 0
  }

  account(f: number, total: number): void {
    this.cost -= Math.log2(f / total)
  }
}

function encodeSymbol(enc: RangeEncoder, st: PpmState, sym: number): void {
  st.beginSymbol()
  for (let k = st.m.order; k >= 0; k--) {
    if (!st.build(k, st.key(k))) continue
    const total = st.sum + st.esc
    let cum = 0
    for (let i = 0; i < st.syms.length; i++) {
      if (st.syms[i] === sym) {
        enc.encodeFreq(cum, st.freqs[i], total)
        st.account(st.freqs[i], total)
        st.update(sym, k)
        return
      }
      cum += st.freqs[i]
    }
    enc.encodeFreq(st.sum, st.esc, total)
    st.account(st.esc, total)
    st.excludeAll()
  }
  // order -1: uniform over the symbols not yet excluded
  let cum = 0
  let n = 0
  for (let s = 0; s <= EOT; s++) {
    if (st.isExcluded(s)) continue
    if (s < sym) cum++
    n++
  }
  enc.encodeFreq(cum, 1, n)
  st.account(1, n)
  st.update(sym)
}

function decodeSymbol(dec: RangeDecoder, st: PpmState): number {
  st.beginSymbol()
  for (let k = st.m.order; k >= 0; k--) {
    if (!st.build(k, st.key(k))) continue
    const total = st.sum + st.esc
    const t = dec.decodeFreqTarget(total)
    if (t < st.sum) {
      let cum = 0
      for (let i = 0; i < st.syms.length; i++) {
        if (t < cum + st.freqs[i]) {
          dec.decodeFreqUpdate(cum, st.freqs[i], total)
          st.account(st.freqs[i], total)
          const sym = st.syms[i]
          st.update(sym, k)
          return sym
        }
        cum += st.freqs[i]
      }
    }
    dec.decodeFreqUpdate(st.sum, st.esc, total)
    st.account(st.esc, total)
    st.excludeAll()
  }
  const live: number[] = []
  for (let s = 0; s <= EOT; s++) if (!st.isExcluded(s)) live.push(s)
  const t = dec.decodeFreqTarget(live.length)
  dec.decodeFreqUpdate(t, 1, live.length)
  st.account(1, live.length)
  const sym = live[t]
  st.update(sym)
  return sym
}

/** Codes the octets then end-of-text; returns the ideal code length in bits. */
export function encodeStaticText(enc: RangeEncoder, octets: Uint8Array, model: StaticTextModel = loadCaptionTextModel()): number {
  const st = new PpmState(model)
  for (const b of octets) encodeSymbol(enc, st, b)
  encodeSymbol(enc, st, EOT)
  return st.cost
}

export function decodeStaticText(dec: RangeDecoder, maxOctets: number, model: StaticTextModel = loadCaptionTextModel()): { octets: Uint8Array; cost: number } {
  const st = new PpmState(model)
  const out: number[] = []
  for (;;) {
    const s = decodeSymbol(dec, st)
    if (s === EOT) break
    if (out.length >= maxOctets) throw new GscError(`corrupt caption: longer than ${maxOctets} octets`)
    out.push(s)
  }
  return { octets: Uint8Array.from(out), cost: st.cost }
}
