// Runs in Electron's utilityProcess: the engine service, off the main process. Messages from main:
// {id, method, args} (already validated) and {id, internal: 'registerPath', path}; replies {id, result|error};
// pushes {event, data}.
import path from 'node:path'
import { EngineService } from '../core/service/engineService'
import { describeError, isGscError } from '../core/util/errors'
import type { EventName } from '../shared/api'

interface Port {
  on(ev: 'message', cb: (e: { data: unknown }) => void): void
  postMessage(msg: unknown): void
}
const port = (process as unknown as { parentPort: Port }).parentPort

async function main() {
  const dbFile = process.env.GSC_DB ?? path.join(process.env.GSC_USER_DATA ?? '.', 'gsc.db')
  const service = await EngineService.open({ dbFile, frontDoor: 'electron', modelsDir: process.env.GSC_MODELS_DIR })
  for (const ev of ['packets', 'job', 'log'] as EventName[]) service.on(ev, (data) => port.postMessage({ event: ev, data }))
  port.on('message', async ({ data }) => {
    const msg = data as { id: number; method?: string; args?: unknown; internal?: string; path?: string }
    try {
      let result: unknown
      if (msg.internal === 'registerPath') result = service.registerPath(msg.path!)
      else result = await service.call(msg.method as never, msg.args as never)
      port.postMessage({ id: msg.id, result })
    } catch (e) {
      port.postMessage({ id: msg.id, error: { message: isGscError(e) ? e.message : `internal error: ${describeError(e)}`, code: isGscError(e) ? e.code : 'EINTERNAL' } })
    }
  })
  port.postMessage({ ready: true })
  process.on('SIGTERM', () => service.close().finally(() => process.exit(0)))
}

main().catch((e) => {
  port.postMessage({ fatal: describeError(e) })
  process.exit(1)
})
