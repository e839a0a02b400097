// `gsc serve`: the mission-control interface in a browser, on the same engine as the desktop app.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { numberOpt, stringOpt, UsageError, type CommandSpec, type ParsedArgs } from '../framework'
import { EngineService } from '../../core/service/engineService'
import { DEFAULT_UPLOAD_LIMITS } from '../../core/service/uploads'
import { DEFAULT_CLIENT_LOG_LIMITS } from '../../core/service/clientLog'
import { startServer, isLoopback, DEFAULT_SERVE_LIMITS } from '../serve/apiServer'
import { LIMIT_OPTIONS, decodeLimitsFrom } from './codecOptions'
import { DEFAULT_DECODE_LIMITS } from '../../core/bitstream/limits'
import { isPostgresUrl } from '../../core/store/archive'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

interface ServeResult {
  url: string
  db: string
  stoppedAt: string
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 }

/** A size option: bytes, or a number with KiB, MiB, GiB or TiB ("40MiB", "1.5GiB"). */
export function sizeOpt(args: ParsedArgs, name: string, fallback: number, min = 0): number {
  const raw = stringOpt(args, name)
  if (raw === undefined) return fallback
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw)
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined
  if (!m || unit === undefined) throw new UsageError(`--${name} must be a size such as 512MiB or 4GiB, got '${raw}'`)
  const n = Math.round(Number(m[1]) * unit)
  if (n < min || !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be at least ${min} bytes, got ${raw}`)
  return n
}

const U = DEFAULT_UPLOAD_LIMITS
const mib = (n: number) => `${n / 1024 ** 2}MiB`
const gib = (n: number) => `${n / 1024 ** 3}GiB`

const spec: CommandSpec<ServeResult> = {
  name: 'serve',
  summary: 'serve the mission-control interface and API on 127.0.0.1',
  usage:
    'gsc serve [--port P] [--host H] [--db FILE|postgres://...] [--work-dir DIR] [--models DIR] [--web DIR] [limits]\n' +
    '  --port   TCP port (default 8420; 0 picks a free one)\n' +
    '  --host   address to listen on (default 127.0.0.1); any other address requires the access token printed at start\n' +
    '  --db     packet archive: a SQLite file, or a shared PostgreSQL archive\'s postgres:// URL (default $GSC_DB or gsc.db)\n' +
    '  --work-dir this workstation\'s uploads and interface settings (default: beside a SQLite file; for a URL\n' +
    '           ~/.gsc/stations/<host>_<port>_<database>)\n' +
    '  --models model folder (default resources/models)\n' +
    '  --web    built renderer (default out/web, from `npm run build:web`)\n' +
    'limits (docs/serve.md; sizes in bytes or with KiB/MiB/GiB/TiB):\n' +
    `  --max-message SIZE        largest WebSocket message (default ${mib(DEFAULT_SERVE_LIMITS.maxMessageBytes)})\n` +
    `  --max-connections N       WebSocket connections at once (default ${DEFAULT_SERVE_LIMITS.maxConnections})\n` +
    `  --max-upload SIZE         largest upload (default ${gib(U.maxBytes)})\n` +
    `  --uploads-per-client N    unfinished uploads per connection (default ${U.perClient})\n` +
    `  --uploads-total N         unfinished uploads in all (default ${U.total})\n` +
    `  --upload-idle SECONDS     an upload without data this long is dropped, its file removed (default ${U.idleMs / 1000})\n` +
    `  --disk-reserve SIZE       disk space uploads must leave free (default ${gib(U.reserveBytes)})\n` +
    `  --uploads-kept N          finished uploads kept for import/replay (default ${U.keepFinished})\n` +
    `  --client-log-rate N       event-log entries one client may write a minute (default ${DEFAULT_CLIENT_LOG_LIMITS.perClient})\n` +
    `  --client-log-total N      event-log entries all clients may write a minute (default ${DEFAULT_CLIENT_LOG_LIMITS.total})\n` +
    `  --max-pixels N            decode no packet announcing more than N pixels (default ${DEFAULT_DECODE_LIMITS.maxPixels}, 2048x2048; docs/bitstream.md 4.1)\n` +
    `  --max-flow-steps N        run no flow of more than N steps (default ${DEFAULT_DECODE_LIMITS.maxFlowSteps}); the settings can lower both, never raise them`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
    'work-dir': { type: 'string' },
    models: { type: 'string' },
    web: { type: 'string' },
    'max-message': { type: 'string' },
    'max-connections': { type: 'string' },
    'max-upload': { type: 'string' },
    'uploads-per-client': { type: 'string' },
    'uploads-total': { type: 'string' },
    'upload-idle': { type: 'string' },
    'disk-reserve': { type: 'string' },
    'uploads-kept': { type: 'string' },
    'client-log-rate': { type: 'string' },
    'client-log-total': { type: 'string' },
    ...LIMIT_OPTIONS
  },
  async run(args, ctx) {
    const port = numberOpt(args, 'port', 8420, { int: true, min: 0, max: 65535 })!
    const host = stringOpt(args, 'host') ?? '127.0.0.1'
    if (host.trim() === '') throw new UsageError('--host must not be empty')
    const dbOpt = stringOpt(args, 'db') ?? process.env.GSC_DB ?? 'gsc.db'
    // A URL selects the shared archive as it is; anything else is a file path.
    const db = isPostgresUrl(dbOpt) ? dbOpt : path.resolve(dbOpt)
    const workDir = stringOpt(args, 'work-dir')
    const staticDir = path.resolve(stringOpt(args, 'web') ?? path.join(ROOT, 'out', 'web'))
    const int = (name: string, fallback: number, min = 1) => numberOpt(args, name, fallback, { int: true, min, max: 1e9 })!
    const serveLimits = {
      maxMessageBytes: sizeOpt(args, 'max-message', DEFAULT_SERVE_LIMITS.maxMessageBytes, 1024),
      maxConnections: int('max-connections', DEFAULT_SERVE_LIMITS.maxConnections)
    }
    const limits = {
      uploads: {
        maxBytes: sizeOpt(args, 'max-upload', U.maxBytes),
        perClient: int('uploads-per-client', U.perClient),
        total: int('uploads-total', U.total),
        idleMs: numberOpt(args, 'upload-idle', U.idleMs / 1000, { min: 0.1, max: 1e6 })! * 1000,
        reserveBytes: sizeOpt(args, 'disk-reserve', U.reserveBytes),
        keepFinished: int('uploads-kept', U.keepFinished)
      },
      clientLog: { perClient: int('client-log-rate', DEFAULT_CLIENT_LOG_LIMITS.perClient, 0), total: int('client-log-total', DEFAULT_CLIENT_LOG_LIMITS.total, 0) },
      decode: decodeLimitsFrom(args)
    }
    const service = await EngineService.open({ dbFile: db, workDir: workDir && path.resolve(workDir), frontDoor: 'serve', modelsDir: stringOpt(args, 'models'), limits })
    const backend = {
      call: (m: unknown, a: unknown, c?: { client: string }) => service.handle(m, a, c),
      on: service.on.bind(service) as never,
      clientGone: (c: string) => service.clientGone(c)
    }
    const onClientError = (line: string) => process.stderr.write(`gsc serve: ${line}\n`)
    const srv = await startServer({ backend, host, port, staticDir, limits: serveLimits, onClientError })
    // The URL goes to stderr even with --json so scripts can wait for it; stdout stays one document.
    process.stderr.write(`gsc serve: ${srv.url}\n`)
    if (!existsSync(path.join(staticDir, 'index.html'))) process.stderr.write(`gsc serve: the interface is not built (no ${staticDir}/index.html): run \`npm run build:web\`\n`)
    if (!isLoopback(host)) process.stderr.write(`gsc serve: listening beyond this machine; access token: ${srv.token}\n`)
    process.stderr.write(`gsc serve: packet log ${service.archive}; Ctrl+C to stop\n`)
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve()
      ctx.signal.addEventListener('abort', () => resolve(), { once: true })
      process.once('SIGTERM', () => resolve())
    })
    await srv.close()
    await service.close()
    return { url: srv.url, db: service.archive, stoppedAt: new Date().toISOString() }
  },
  format: (r) => `gsc serve: stopped (${r.url})`
}

export default spec
