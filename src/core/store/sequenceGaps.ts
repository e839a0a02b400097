// Gap detection on 14-bit CCSDS sequence counts (modulo 16384), per APID.
// A forward step of d (1..8191) means d-1 counts were missed; a "step" of 8192 or more is read
// as a late (out-of-order) arrival, which fills a gap that is already recorded. A genuine loss of
// 8192+ consecutive packets is indistinguishable from reordering with a 14-bit counter.
import { SEQUENCE_MODULO } from '../bitstream/ccsds'
import type { Gap } from './types'

export const SEQ_MASK = SEQUENCE_MODULO - 1
const HALF = SEQUENCE_MODULO / 2

export function seqDistance(from: number, to: number): number {
  return (to - from) & SEQ_MASK
}

/** A gap as the writer handles it: the stored Gap before it has a row id and detection time. */
export type GapRecord = Omit<Gap, 'id' | 'detectedAt'> & { id?: number }

export type SequenceStep =
  | { kind: 'first' }
  | { kind: 'next' }
  | { kind: 'repeat' } // same count, different bytes
  | { kind: 'gap'; missing: number }
  | { kind: 'late' }

export function classifyStep(last: number | undefined, seq: number): SequenceStep {
  if (last === undefined) return { kind: 'first' }
  const d = seqDistance(last, seq)
  if (d === 0) return { kind: 'repeat' }
  if (d === 1) return { kind: 'next' }
  if (d < HALF) return { kind: 'gap', missing: d - 1 }
  return { kind: 'late' }
}

/** Whether seq lies strictly inside gap (after, before), modulo 16384. */
export function gapContains(gap: Pick<GapRecord, 'afterSequence' | 'beforeSequence'>, seq: number): boolean {
  const span = seqDistance(gap.afterSequence, gap.beforeSequence)
  const pos = seqDistance(gap.afterSequence, seq)
  return pos > 0 && pos < span
}

/** The gap pieces left when seq arrives late inside gap (0, 1 or 2 records). */
export function splitGap(gap: GapRecord, seq: number, packetId: number): GapRecord[] {
  const out: GapRecord[] = []
  const left = seqDistance(gap.afterSequence, seq) - 1
  const right = seqDistance(seq, gap.beforeSequence) - 1
  if (left > 0) out.push({ ...gap, id: undefined, beforeSequence: seq, beforePacketId: packetId, missing: left })
  if (right > 0) out.push({ ...gap, id: undefined, afterSequence: seq, afterPacketId: packetId, missing: right })
  return out
}
