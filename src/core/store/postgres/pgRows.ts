// Small conversions between PostgreSQL rows and the archive's types, shared by the archive's modules.
import type { Gap } from '../types'

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())
/** ? placeholders (the SQL both back ends share) as PostgreSQL's $n. */
export const dollars = (sql: string) => {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

export type GapRow = {
  id: number; apid: number; after_sequence: number; before_sequence: number; missing: number
  after_packet_id: number | null; before_packet_id: number | null; detected_at: number
}
export const gapOf = (r: GapRow): Gap => ({
  id: r.id, apid: r.apid, afterSequence: r.after_sequence, beforeSequence: r.before_sequence, missing: r.missing,
  afterPacketId: r.after_packet_id, beforePacketId: r.before_packet_id, detectedAt: iso(r.detected_at)!
})
