// The static caption model: PPM context statistics for orders 0..K over UTF-8 octets plus an
// end-of-text symbol, and its compact serialization (shipped as resources/models/caption_text_model.bin).
import { GscError } from '../util/errors'

/** Symbol 256 ends a caption. */
export const EOT = 256
/** Octet that pads the context before the first caption octet (start-of-text). */
export const START = 0x02

export interface ContextStats {
  syms: Uint16Array // symbols 0..256, ascending
  counts: Uint16Array // scaled counts, >= 1
  esc: number // escape count, >= 1
}

export interface StaticTextModel {
  order: number
  /** tables[k] maps a k-octet context (contextKey: octets big-endian, most recent lowest) to its statistics. */
  tables: Map<number, ContextStats>[]
}

/** Largest supported order (contexts must fit a 32-bit key). */
export const MAX_ORDER = 4

/** Numeric key of a context given as octets, oldest first (k <= 4). */
export function contextKey(octets: ArrayLike<number>): number {
  let v = 0
  for (let i = 0; i < octets.length; i++) v = v * 256 + octets[i]
  return v
}

function keyOctets(key: number, k: number): number[] {
  const out: number[] = []
  for (let i = k - 1; i >= 0; i--) out.push(Math.floor(key / 256 ** i) & 255)
  return out
}

const MAGIC = [0x47, 0x53, 0x43, 0x54] // "GSCT"
const FORMAT = 1

/**
 * Layout: "GSCT", format octet, order K; for k = 0..K: context count (u32 BE); per context:
 * k context octets, symbol count (u16 BE), escape (u8), then per symbol: symbol octet
 * (0x00 stands for end-of-text; captions' NUL octets are never in the static tables), count (u8).
 */
export function serializeModel(m: StaticTextModel): Uint8Array {
  const out: number[] = [...MAGIC, FORMAT, m.order]
  for (let k = 0; k <= m.order; k++) {
    const entries = [...m.tables[k].entries()].sort((a, b) => a[0] - b[0])
    const n = entries.length
    out.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)
    for (const [ctx, st] of entries) {
      out.push(...keyOctets(ctx, k))
      out.push(st.syms.length >>> 8, st.syms.length & 255, Math.min(255, st.esc))
      for (let i = 0; i < st.syms.length; i++) {
        const s = st.syms[i]
        if (s === 0) throw new Error('NUL octet in static model')
        out.push(s === EOT ? 0 : s, Math.min(255, st.counts[i]))
      }
    }
  }
  return Uint8Array.from(out)
}

export function deserializeModel(b: Uint8Array): StaticTextModel {
  let p = 0
  const need = (n: number) => {
    if (p + n > b.length) throw new GscError('static caption model is truncated')
  }
  need(6)
  for (let i = 0; i < 4; i++) if (b[p++] !== MAGIC[i]) throw new GscError('static caption model has a bad magic number')
  if (b[p++] !== FORMAT) throw new GscError('static caption model has an unknown format')
  const order = b[p++]
  if (order > MAX_ORDER) throw new GscError(`static caption model order ${order} exceeds ${MAX_ORDER}`)
  const tables: Map<number, ContextStats>[] = []
  for (let k = 0; k <= order; k++) {
    need(4)
    const n = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0
    p += 4
    const t = new Map<number, ContextStats>()
    for (let c = 0; c < n; c++) {
      need(k + 3)
      const ctx = contextKey(b.subarray(p, p + k))
      p += k
      const ns = (b[p] << 8) | b[p + 1]
      const esc = b[p + 2]
      p += 3
      need(2 * ns)
      const syms = new Uint16Array(ns)
      const counts = new Uint16Array(ns)
      for (let i = 0; i < ns; i++) {
        syms[i] = b[p] === 0 ? EOT : b[p]
        counts[i] = b[p + 1]
        p += 2
      }
      // keep ascending symbol order with EOT last
      const idx = [...syms.keys()].sort((x, y) => syms[x] - syms[y])
      t.set(ctx, { syms: Uint16Array.from(idx.map((i) => syms[i])), counts: Uint16Array.from(idx.map((i) => counts[i])), esc })
    }
    tables.push(t)
  }
  return { order, tables }
}
