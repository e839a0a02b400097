// The fit behind trained starting states (docs/bitstream.md 6.5), shared by fit_priors.ts and context_study.ts: the code
// length BitModels gives a model's bits from a start, and each model's start chosen from recorded packets.
export const N0 = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 255]

// BitModels' arithmetic (src/core/entropy/bitModels.ts), so the costs are the coder's.
const STATE_ONE = 2 ** 28
const RATES = Array.from({ length: 256 }, (_, n) => Math.floor((65536 * 2) / (2 * n + 3)))
export const clampP = (p: number) => (p < 31 ? 31 : p > 65535 - 31 ? 65535 - 31 : p)

/** Code length in bits of one model's bits in one packet, started at p16 (P(0) x 65536) and count n0. */
export function sequenceCost(bits: readonly number[], p16: number, n0: number): number {
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

/** Per packet: model -> its bits in order. */
export type PacketBits = Map<number, number[]>

/**
 * Each model's start (model, p16, n0), for the models whose best count is above 0: p16 the pooled probability of bit 0
 * over all packets, n0 chosen with the photos in two halves (`half[k]`, 0 or 1 per packet), each half's packets coded
 * from the other half's probability, so a model seen in a few packets cannot claim a confident start it did not earn.
 */
export function fitStarts(packets: PacketBits[], half: number[]): [number, number, number][] {
  const models = new Set<number>()
  for (const m of packets) for (const i of m.keys()) models.add(i)
  const table: [number, number, number][] = []
  for (const i of [...models].sort((a, b) => a - b)) {
    const all = packets.map((m) => m.get(i))
    const pOf = (keep: (k: number) => boolean) => {
      let zeros = 0
      let total = 0
      all.forEach((a, k) => {
        if (!a || !keep(k)) return
        for (const b of a) if (b === 0) zeros++
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
  return table
}

/** Code length in bits of one packet's bits from a table of starts (models not listed start at 1/2, count 0). */
export function packetCost(bits: PacketBits, starts: ReadonlyMap<number, readonly [number, number]>): number {
  let cost = 0
  for (const [i, a] of bits) {
    const [p16, n0] = starts.get(i) ?? [32768, 0]
    cost += sequenceCost(a, p16, n0)
  }
  return cost
}

/** Halves by photo: packets of the same photo fall in the same half. */
export function halvesByPhoto(photos: string[]): number[] {
  const index = new Map([...new Set(photos)].map((p, k) => [p, k]))
  return photos.map((p) => index.get(p)! % 2)
}
