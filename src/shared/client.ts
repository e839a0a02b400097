// Builds the GscApi object (`window.gsc`) on top of any transport (Electron IPC, WebSocket).
import type { EventMap, EventName, GscApi, MethodName } from './api'
import { METHOD_NAMES } from './validate'

export interface Transport {
  kind: 'electron' | 'websocket'
  invoke(method: MethodName, args: unknown): Promise<unknown>
  subscribe(event: EventName, listener: (data: unknown) => void): () => void
}

export function createApiClient(t: Transport): GscApi {
  const api: Record<string, unknown> = {
    transport: t.kind,
    on<E extends EventName>(event: E, listener: (data: EventMap[E]) => void) {
      return t.subscribe(event, listener as (d: unknown) => void)
    }
  }
  for (const m of METHOD_NAMES) api[m] = (args: unknown) => t.invoke(m, args ?? {})
  return api as GscApi
}
