// `gsc log stats`: what is in the packet log — counts, CRC failures, duplicates, gaps, per APID.
import { openArchive } from '../../core/store/archive'
import type { Gap, LogStats } from '../../core/store/packetLog'
import { numberOpt, requireString, type CommandSpec } from '../framework'

type StatsResult = LogStats & { db: string; gapList?: Gap[] }

const logStats: CommandSpec<StatsResult> = {
  name: 'log stats',
  summary: 'summarise the packet log: counts, gaps, duplicates, CRC failures',
  usage: 'gsc log stats --db <file|postgres://...> [--gaps <max listed>] [--json]',
  options: { db: { type: 'string' }, gaps: { type: 'string' } },
  async run(args) {
    const db = requireString(args, 'db', 'packet log file or postgres:// URL')
    const maxGaps = numberOpt(args, 'gaps', undefined, { int: true, min: 0 })
    const log = await openArchive(db, { mustExist: true })
    try {
      const s: StatsResult = { ...(await log.stats()), db: log.location }
      if (maxGaps !== undefined) s.gapList = (await log.gaps()).slice(0, maxGaps)
      return s
    } finally {
      await log.close()
    }
  },
  format(s) {
    const lines = [
      `packet log ${s.db} (schema v${s.schemaVersion})`,
      `  packets     ${s.packets} (${s.byStatus.ok} ok, ${s.byStatus.crc_failed} CRC failed, ${s.byStatus.malformed} malformed, ${s.byStatus.foreign} foreign, ${s.byStatus.idle} idle), ${s.bytes} bytes`,
      `  image APIDs ${s.imageApids === 'auto' ? 'auto (every APID whose packets pass the GSC CRC)' : s.imageApids.join(', ')}`,
      `  duplicates  ${s.duplicates} receptions not stored twice`,
      `  gaps        ${s.gaps} (${s.missing} sequence counts missing)`,
      `  received    ${s.firstReceivedAt ?? '-'} .. ${s.lastReceivedAt ?? '-'}`,
      `  imports     ${s.imports}, events ${s.events}`
    ]
    if (s.perApid.length) {
      lines.push('  APID   packets      bytes  crc_failed  gaps  missing  kind')
      for (const a of s.perApid)
        lines.push(
          `  ${String(a.apid).padStart(4)} ${String(a.packets).padStart(9)} ${String(a.bytes).padStart(10)} ${String(a.crcFailed).padStart(11)} ${String(a.gaps).padStart(5)} ${String(a.missing).padStart(8)}  ` +
            (a.apid === 2047 ? 'idle' : a.foreign === a.packets ? 'foreign' : a.foreign > 0 ? 'images + foreign' : 'images')
        )
    }
    for (const g of s.gapList ?? []) lines.push(`  gap APID ${g.apid}: after ${g.afterSequence} before ${g.beforeSequence}, ${g.missing} missing`)
    return lines.join('\n')
  }
}

export default logStats
