// `gsc log import`: stream a capture into the packet log; resumes an interrupted import.
import { openPacketLog, type ImportSummary } from '../../core/store/packetLog'
import { requirePositional, requireString, type CommandSpec } from '../framework'
import { formatImportSummary, progressReporter } from './logShared'

const logImport: CommandSpec<ImportSummary & { db: string }> = {
  name: 'log import',
  summary: 'import a capture file into the packet log (streaming, resumable)',
  usage:
    'gsc log import <capture> --db <file> [--restart] [--json]\n\n' +
    'Stores every packet exactly as received (bad ones too, flagged), counts duplicates instead of\n' +
    'storing them twice and records sequence gaps. Commits every 2,000 packets or 0.5 s; an\n' +
    'interrupted import (Ctrl-C, kill -9) continues from the last commit when run again.\n' +
    '--restart ignores earlier progress and re-reads the whole file (already stored packets count as duplicates).',
  options: { db: { type: 'string' }, restart: { type: 'boolean', default: false } },
  async run(args, ctx) {
    const capture = requirePositional(args, 0, 'capture file (gsc log import <capture> --db <file>)')
    const db = requireString(args, 'db', 'packet log file')
    const log = openPacketLog(db)
    try {
      const onProgress = progressReporter(ctx, 'import')
      const r = await log.importCapture(capture, { signal: ctx.signal, resume: !args.values.restart, onProgress: onProgress.update })
      onProgress.done(r)
      return { ...r, db }
    } finally {
      log.close()
    }
  },
  format: formatImportSummary
}

export default logImport
