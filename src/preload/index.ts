// The only bridge between the sandboxed page and the engine: one `window.gsc` object, built by the same
// createApiClient as the browser's, over Electron IPC (main forwards each call to the engine).
import { contextBridge, ipcRenderer } from 'electron'
import type { EventName } from '../shared/api'
import { createApiClient } from '../shared/client'
import { EventHub } from '../shared/rpcClient'

const events = new EventHub()
ipcRenderer.on('gsc:event', (_e, name: EventName, data: unknown) => events.emit(name, data))

const gsc = createApiClient({
  kind: 'electron',
  invoke: (method, args) => ipcRenderer.invoke('gsc:call', method, args),
  subscribe: (event, listener) => events.on(event, listener)
})

contextBridge.exposeInMainWorld('gsc', gsc)
