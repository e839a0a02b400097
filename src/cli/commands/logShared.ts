// Progress and summary rendering shared by `gsc log import` and `gsc replay`.
import type { ImportProgress, ImportSummary } from '../../core/store/packetLog'
import type { CommandContext } from '../framework'

const mb = (b: number) => Math.round(b / 1e5) / 10

export function progressReporter(ctx: CommandContext, label: string) {
  let bar: ReturnType<CommandContext['progress']> | undefined
  return {
    update(p: ImportProgress) {
      bar ??= ctx.progress(`${label} (MB)`, mb(p.bytesTotal))
      const n = p.packets + p.duplicates
      const pps = p.seconds > 0 ? Math.round(n / p.seconds) : 0
      const mbs = p.seconds > 0 ? (p.bytesDone / 1e6 / p.seconds).toFixed(1) : '0'
      bar.update(mb(p.bytesDone), `${p.packets} pkts, ${pps} pkt/s, ${mbs} MB/s, ${p.duplicates} dup, ${p.bad} bad`)
    },
    done(r: ImportSummary) {
      bar?.done(`${r.imported} packets in ${r.seconds.toFixed(1)} s`)
    }
  }
}

export function formatImportSummary(r: ImportSummary & { db: string }): string {
  if (r.alreadyComplete) return `${r.capture} was already imported completely into ${r.db} (import #${r.importId}); nothing to do`
  const lines = [
    `${r.kind === 'replay' ? 'replayed' : 'imported'} ${r.capture} into ${r.db} (import #${r.importId})`,
    `  packets stored   ${r.imported}`,
    `  duplicates       ${r.duplicates} (counted, not stored again)`,
    `  bad              ${r.bad} (${r.crcFailed} CRC failed, ${r.malformed} malformed; stored and flagged)`,
    `  other traffic    ${r.foreign} foreign-APID packets, ${r.idle} idle packets (stored as received)`,
    `  new gaps         ${r.gaps} (${r.missing} sequence counts missing)`,
    `  bytes            ${r.bytes} in ${r.seconds.toFixed(2)} s (${Math.round(r.packetsPerSecond)} packets/s, ${r.mbPerSecond.toFixed(1)} MB/s)`
  ]
  if (r.resumedFrom > 0) lines.push(`  resumed from byte ${r.resumedFrom}`)
  if (r.interrupted) lines.push(`  interrupted at byte ${r.committedOffset} of ${r.captureBytes}; run the same command again to continue`)
  return lines.join('\n')
}
