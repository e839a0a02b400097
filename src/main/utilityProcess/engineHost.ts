// Runs in Electron's utilityProcess (or a plain Node child for tests), not in main: the engine service,
// off the main process. The engine is loaded from src/ through tsx exactly as `gsc serve` runs it, so the
// codec's worker threads and the model paths work the same. Messages: src/main/hostMessages.ts.
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { existsSync } from 'node:fs'
import type { EngineService } from '../../core/service/engineService'
import { describeError } from '../../shared/errors'
import { EVENT_NAMES, settle } from '../../shared/protocol'
import type { FromEngineHost, ToEngineHost } from '../hostMessages'

/** The app's root: the nearest folder above this file with a package.json (out/main/ built, src/main/utilityProcess/ in tests). */
function appRoot(): string {
  if (process.env.GSC_APP_ROOT) return process.env.GSC_APP_ROOT
  // ESM build (package.json has type: module): no __dirname.
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return dir
}
const ROOT = appRoot()

interface Port {
  on(ev: 'message', cb: (e: unknown) => void): void
  postMessage(msg: FromEngineHost): void
}

/** Electron gives a utilityProcess `process.parentPort`; a Node fork uses process.send. */
function parentPort(): Port {
  const pp = (process as unknown as { parentPort?: { on(ev: 'message', cb: (e: { data: unknown }) => void): void; postMessage(m: unknown): void } }).parentPort
  if (pp) return { on: (_ev, cb) => pp.on('message', (e) => cb(e.data)), postMessage: (m) => pp.postMessage(m) }
  return { on: (_ev, cb) => process.on('message', cb), postMessage: (m) => process.send?.(m) }
}

async function loadEngine(): Promise<typeof import('../../core/service/engineService')> {
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
    port.postMessage({ fatal: describeError(e) })
    setTimeout(() => process.exit(1), 50)
    return
  }
  for (const event of EVENT_NAMES) service.on(event, (data) => port.postMessage({ event, data }))
  port.on('message', async (data) => {
    const msg = data as ToEngineHost
    // The service validates each call; main forwards the page's calls as they came.
    const outcome = await settle(() => ('internal' in msg ? service.registerPath(String(msg.path)) : service.handle(msg.method, msg.args)))
    port.postMessage({ id: msg.id, ...outcome })
  })
  process.on('SIGTERM', () => service.close().finally(() => process.exit(0)))
  port.postMessage({ ready: true })
}

void main()
