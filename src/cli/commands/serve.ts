// `gsc serve`: the mission-control interface in a browser, on the same engine as the desktop app.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { numberOpt, stringOpt, UsageError, type CommandSpec } from '../framework'
import { EngineService } from '../../core/service/engineService'
import { startServer, isLoopback } from '../serve/apiServer'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

interface ServeResult {
  url: string
  db: string
  stoppedAt: string
}

const spec: CommandSpec<ServeResult> = {
  name: 'serve',
  summary: 'serve the mission-control interface and API on 127.0.0.1',
  usage:
    'gsc serve [--port P] [--host H] [--db FILE] [--models DIR] [--web DIR]\n' +
    '  --port   TCP port (default 8420; 0 picks a free one)\n' +
    '  --host   address to listen on (default 127.0.0.1); any other address requires the access token printed at start\n' +
    '  --db     packet log database (default $GSC_DB or gsc.db)\n' +
    '  --models model folder (default resources/models)\n' +
    '  --web    built renderer (default out/web, from `npm run build:web`)',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
    models: { type: 'string' },
    web: { type: 'string' }
  },
  async run(args, ctx) {
    const port = numberOpt(args, 'port', 8420, { int: true, min: 0, max: 65535 })!
    const host = stringOpt(args, 'host') ?? '127.0.0.1'
    if (host.trim() === '') throw new UsageError('--host must not be empty')
    const db = path.resolve(stringOpt(args, 'db') ?? process.env.GSC_DB ?? 'gsc.db')
    const staticDir = path.resolve(stringOpt(args, 'web') ?? path.join(ROOT, 'out', 'web'))
    const service = await EngineService.open({ dbFile: db, frontDoor: 'serve', modelsDir: stringOpt(args, 'models') })
    const backend = { call: (m: string, a: unknown) => service.call(m as never, a as never), on: service.on.bind(service) as never }
    const srv = await startServer({ backend, host, port, staticDir })
    // The URL goes to stderr even with --json so scripts can wait for it; stdout stays one document.
    process.stderr.write(`gsc serve: ${srv.url}\n`)
    if (!isLoopback(host)) process.stderr.write(`gsc serve: listening beyond this machine; access token: ${srv.token}\n`)
    process.stderr.write(`gsc serve: packet log ${db}; Ctrl+C to stop\n`)
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve()
      ctx.signal.addEventListener('abort', () => resolve(), { once: true })
      process.once('SIGTERM', () => resolve())
    })
    await srv.close()
    await service.close()
    return { url: srv.url, db, stoppedAt: new Date().toISOString() }
  },
  format: (r) => `gsc serve: stopped (${r.url})`
}

export default spec
