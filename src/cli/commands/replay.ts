// `gsc replay`: ingest a capture at a chosen pace, as if it were arriving from the antenna now.
import { openArchive } from '../../core/store/archive'
import type { ImportSummary } from '../../core/store/packetLog'
import { numberOpt, requirePositional, requireString, type CommandSpec } from '../framework'
import { formatImportSummary, progressReporter } from './logShared'

const replay: CommandSpec<ImportSummary & { db: string; rate: number | null }> = {
  name: 'replay',
  summary: 'ingest a capture at a chosen pace, reporting progress',
  usage:
    'gsc replay <capture> --db <file|postgres://...> [--rate <packets/s>] [--json]\n\n' +
    'Receive times are spaced 1/rate apart starting now (without --rate: as fast as possible).\n' +
    'Ctrl-C stops cleanly; everything ingested so far is committed. Packets already in the log\n' +
    'count as duplicates.',
  options: { db: { type: 'string' }, rate: { type: 'string' } },
  async run(args, ctx) {
    const capture = requirePositional(args, 0, 'capture file (gsc replay <capture> --db <file>)')
    const db = requireString(args, 'db', 'packet log file or postgres:// URL')
    const rate = numberOpt(args, 'rate', undefined, { min: 0.001, max: 1e7 })
    const log = await openArchive(db)
    try {
      const onProgress = progressReporter(ctx, 'replay')
      const r = await log.importCapture(capture, { kind: 'replay', rate, signal: ctx.signal, onProgress: onProgress.update })
      onProgress.done(r)
      return { ...r, db: log.location, rate: rate ?? null }
    } finally {
      await log.close()
    }
  },
  format: formatImportSummary
}

export default replay
