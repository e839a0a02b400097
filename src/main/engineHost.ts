// Runs in Electron's utilityProcess (or a plain Node child for tests): the engine service, off the
// main process. The engine is loaded from src/ through tsx exactly as `gsc serve` runs it, so the
// codec's worker threads and the model paths work the same. Messages from the parent:
// {id, method, args} (already validated) and {id, internal: 'registerPath', path};
// replies {id, result|error}; pushes {event, data}; {ready} once open, {fatal} if it cannot start.
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { existsSync } from 'node:fs'
import type { EngineService } from '../core/service/engineService'
import type { EventName } from '../shared/api'

// ESM build (package.json has type: module): no __dirname.
const HERE = path.dirname(fileURLToPath(import.meta.url))

interface Port {
  on(ev: 'message', cb: (e: unknown) => void): void
  postMessage(msg: unknown): void
}

const ROOT = process.env.GSC_APP_ROOT ?? path.resolve(HERE, '..', '..')

/** Electron gives a utilityProcess `process.parentPort`; a Node fork uses process.send. */
function parentPort(): Port {
  const pp = (process as unknown as { parentPort?: { on(ev: 'message', cb: (e: { data: unknown }) => void): void; postMessage(m: unknown): void } }).parentPort
  if (pp) return { on: (_ev, cb) => pp.on('message', (e) => cb(e.data)), postMessage: (m) => pp.postMessage(m) }
  return { on: (_ev, cb) => process.on('message', cb), postMessage: (m) => process.send?.(m) }
}

const describe = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e).split('\n')[0])

async function loadEngine(): Promise<typeof import('../core/service/engineService')> {
  // Under Electron, better-sqlite3 must be the copy built for Electron's ABI (scripts/setup.sh).
  const native = path.join(ROOT, 'build', 'electron-native', 'better-sqlite3')
  if (process.versions.electron && existsSync(native)) {
    const { register } = await import('node:module')
    const target = pathToFileURL(path.join(native, 'lib', 'index.js')).href
    const hook = `export async function resolve(s, c, next) { return s === 'better-sqlite3' ? { url: ${JSON.stringify(target)}, shortCircuit: true } : next(s, c) }`
    register(`data:text/javascript,${encodeURIComponent(hook)}`)
  }
  const tsx = (await import('tsx/esm/api')) as { register(): void }
  tsx.register()
  return import(pathToFileURL(path.join(ROOT, 'src', 'core', 'service', 'engineService.ts')).href)
}

async function main() {
  const port = parentPort()
  let service: EngineService
  try {
    const { EngineService } = await loadEngine()
    const dbFile = process.env.GSC_DB ?? path.join(process.env.GSC_USER_DATA ?? '.', 'gsc.db')
    service = await EngineService.open({ dbFile, frontDoor: 'electron', modelsDir: process.env.GSC_MODELS_DIR })
  } catch (e) {
    port.postMessage({ fatal: describe(e) })
    setTimeout(() => process.exit(1), 50)
    return
  }
  for (const ev of ['packets', 'job', 'log'] as EventName[]) service.on(ev, (data) => port.postMessage({ event: ev, data }))
  port.on('message', async (data) => {
    const msg = data as { id: number; method?: string; args?: unknown; internal?: string; path?: string }
    try {
      const result = msg.internal === 'registerPath' ? service.registerPath(String(msg.path)) : await service.call(msg.method as never, msg.args as never)
      port.postMessage({ id: msg.id, result })
    } catch (e) {
      const code = (e as { code?: unknown })?.code
      const known = e instanceof Error && e.name === 'GscError'
      port.postMessage({ id: msg.id, error: { message: known ? (e as Error).message : `internal error: ${describe(e)}`, code: typeof code === 'string' ? code : 'EINTERNAL' } })
    }
  })
  process.on('SIGTERM', () => service.close().finally(() => process.exit(0)))
  port.postMessage({ ready: true })
}

void main()
