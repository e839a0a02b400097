// `gsc log import`: stream a capture into the packet log; resumes an interrupted import.
import { openArchive } from '../../core/store/archive'
import type { ImportSummary } from '../../core/store/packetLog'
import { UsageError, requirePositional, requireString, stringOpt, type CommandSpec } from '../framework'
import { formatImportSummary, progressReporter } from './logShared'

const logImport: CommandSpec<ImportSummary & { db: string }> = {
  name: 'log import',
  summary: 'import a capture file into the packet log (streaming, resumable)',
  usage:
    'gsc log import <capture> --db <file|postgres://...> [--restart] [--image-apids auto|A,B,...] [--json]\n\n' +
    'Stores every packet exactly as received (bad ones too, flagged), counts duplicates instead of\n' +
    'storing them twice and records sequence gaps. Commits every 2,000 packets or 0.5 s; an\n' +
    'interrupted import (Ctrl-C, kill -9) continues from the last commit when run again.\n' +
    '--restart ignores earlier progress and re-reads the whole file (already stored packets count as duplicates).\n' +
    '--image-apids sets the station setting kept in the log: the APIDs that carry GSC images (auto: every APID whose\n' +
    'packets pass the GSC CRC); other APIDs\' packets are stored as foreign. Changing it re-classifies the log.',
  options: { db: { type: 'string' }, restart: { type: 'boolean', default: false }, 'image-apids': { type: 'string' } },
  async run(args, ctx) {
    const capture = requirePositional(args, 0, 'capture file (gsc log import <capture> --db <file>)')
    const db = requireString(args, 'db', 'packet log file or postgres:// URL')
    const apids = stringOpt(args, 'image-apids')
    let imageApids: 'auto' | number[] | undefined
    if (apids !== undefined) {
      imageApids = apids === 'auto' ? 'auto' : apids.split(',').map((a) => Number(a.trim()))
      if (imageApids !== 'auto' && imageApids.some((a) => !Number.isInteger(a) || a < 0 || a > 2046))
        throw new UsageError(`--image-apids must be auto or a comma-separated list of APIDs 0..2046, got '${apids}'`)
    }
    const log = await openArchive(db)
    try {
      if (imageApids !== undefined && JSON.stringify(imageApids) !== JSON.stringify(await log.imageApids())) await log.setImageApids(imageApids)
      const onProgress = progressReporter(ctx, 'import')
      const r = await log.importCapture(capture, { signal: ctx.signal, resume: !args.values.restart, onProgress: onProgress.update })
      onProgress.done(r)
      return { ...r, db: log.location }
    } finally {
      await log.close()
    }
  },
  format: formatImportSummary
}

export default logImport
