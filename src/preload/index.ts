// The only bridge between the sandboxed page and the engine: one `window.gsc` object.
import { contextBridge, ipcRenderer } from 'electron'
import type { EventMap, EventName, GscApi, MethodName } from '../shared/api'
import { METHOD_NAMES } from '../shared/validate'

const listeners = new Map<EventName, Set<(d: unknown) => void>>()
ipcRenderer.on('gsc:event', (_e, name: EventName, data: unknown) => {
  for (const l of listeners.get(name) ?? []) l(data)
})

const invoke = (method: MethodName) => (args: unknown) => ipcRenderer.invoke('gsc:call', method, args ?? {})
const methods = Object.fromEntries(METHOD_NAMES.map((m) => [m, invoke(m)])) as Omit<GscApi, 'on' | 'transport'>

const gsc = {
  ...methods,
  transport: 'electron' as const,
  on<E extends EventName>(event: E, listener: (data: EventMap[E]) => void): () => void {
    const set = listeners.get(event) ?? new Set()
    listeners.set(event, set)
    const l = listener as (d: unknown) => void
    set.add(l)
    return () => set.delete(l)
  }
} satisfies GscApi

contextBridge.exposeInMainWorld('gsc', gsc)
