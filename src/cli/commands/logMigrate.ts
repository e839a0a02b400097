// `gsc log migrate`: move a SQLite packet log into an empty PostgreSQL archive, verified by export byte-identity.
import { isPostgresUrl } from '../../core/store/archive'
import { migrateSqliteToPostgres, type MigrateSummary } from '../../core/store/migrateToPostgres'
import { GscError } from '../../core/util/errors'
import { UsageError, requireString, type CommandSpec } from '../framework'

const logMigrate: CommandSpec<MigrateSummary> = {
  name: 'log migrate',
  summary: 'move a SQLite packet log into a PostgreSQL archive, verified by byte-identical export',
  usage:
    'gsc log migrate --from <sqlite file> --to <postgres://user[:password]@host[:port]/database> [--json]\n\n' +
    'Copies every table of the log (packets as received, repeated receptions, gaps, imports, decode cache, plans,\n' +
    'events, settings, timeline roll-ups) with its ids into the PostgreSQL database, in one transaction: the database\n' +
    'must exist and hold no archive data yet, and a failure leaves it empty. Then exports both (as stored, and with\n' +
    'repeated receptions in place) and compares them byte for byte, and compares the counts; exits non-zero unless\n' +
    'all agree. The SQLite file is only read.',
  options: { from: { type: 'string' }, to: { type: 'string' } },
  async run(args, ctx) {
    const from = requireString(args, 'from', 'SQLite packet log to migrate, --from <file>')
    const to = requireString(args, 'to', 'PostgreSQL archive URL, --to postgres://...')
    if (!isPostgresUrl(to)) throw new UsageError(`--to must be a postgres:// or postgresql:// URL, got '${to}'`)
    const bar = new Map<string, ReturnType<typeof ctx.progress>>()
    const r = await migrateSqliteToPostgres(from, to, {
      onProgress: (p) => {
        let b = bar.get(p.table)
        if (!b) bar.set(p.table, (b = ctx.progress(`copy ${p.table}`, p.totalRows)))
        b.update(p.rows)
        if (p.rows >= p.totalRows) b.done()
      }
    })
    if (!r.verified) {
      const what = [
        !r.export.source.identical && `export differs (sqlite ${r.export.source.sha256.slice(0, 12)}, postgres ${r.export.target.sha256.slice(0, 12)})`,
        !r.exportWithDuplicates.source.identical && 'export with repeated receptions differs',
        !r.statsMatch && 'counts differ'
      ].filter(Boolean)
      throw new GscError(`migration of ${from} to ${r.to} NOT verified: ${what.join('; ')}; the copied rows were left in the database for inspection`)
    }
    return r
  },
  format: (r) =>
    [
      `migrated ${r.from} to ${r.to} in ${r.seconds.toFixed(1)} s`,
      `  packets          ${r.packets} (${r.bytes} bytes), repeated receptions ${r.duplicates}`,
      `  rows copied      ${Object.entries(r.rows).map(([t, n]) => `${t} ${n}`).join(', ')}`,
      `  export           byte-identical: ${r.export.target.bytes} bytes, sha256 ${r.export.target.sha256}`,
      `  with duplicates  byte-identical: ${r.exportWithDuplicates.target.bytes} bytes, sha256 ${r.exportWithDuplicates.target.sha256}`,
      `  counts           identical (packets by status, receptions, gaps, imports, events, per APID)`
    ].join('\n')
}

export default logMigrate
