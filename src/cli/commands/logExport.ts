// `gsc log export`: write the stored packets back out as a capture file (receive order).
import { openArchive } from '../../core/store/archive'
import type { ExportSummary, PacketStatus } from '../../core/store/packetLog'
import { UsageError, numberOpt, requireString, stringOpt, type CommandSpec } from '../framework'

const STATUSES: PacketStatus[] = ['ok', 'crc_failed', 'malformed', 'foreign', 'idle']

const logExport: CommandSpec<ExportSummary & { db: string }> = {
  name: 'log export',
  summary: 'export the packet log as a capture file (byte-identical)',
  usage:
    'gsc log export --db <file|postgres://...> -o <capture> [--apid N] [--status ok|crc_failed|malformed|foreign|idle] [--with-duplicates] [--json]\n\n' +
    'Writes every stored byte string once, in receive order: importing a capture and exporting it\n' +
    'gives the same bytes back (bad packets and unframeable spans are stored, so they come back too).\n' +
    'Repeated receptions are stored once; --with-duplicates re-emits them where they arrived.',
  options: {
    db: { type: 'string' },
    out: { type: 'string', short: 'o' },
    apid: { type: 'string' },
    status: { type: 'string' },
    'with-duplicates': { type: 'boolean', default: false }
  },
  async run(args) {
    const db = requireString(args, 'db', 'packet log file or postgres:// URL')
    const out = requireString(args, 'out', 'output capture file, -o <file>')
    const apid = numberOpt(args, 'apid', undefined, { int: true, min: 0, max: 2047 })
    const status = stringOpt(args, 'status') as PacketStatus | undefined
    if (status !== undefined && !STATUSES.includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, got '${status}'`)
    const log = await openArchive(db, { mustExist: true })
    try {
      return { ...(await log.exportCapture(out, { apid, status, withDuplicates: Boolean(args.values['with-duplicates']) })), db: log.location }
    } finally {
      await log.close()
    }
  },
  format: (r) => `wrote ${r.packets} packets${r.duplicates ? ` + ${r.duplicates} repeated receptions` : ''} (${r.bytes} bytes) to ${r.path}`
}

export default logExport
