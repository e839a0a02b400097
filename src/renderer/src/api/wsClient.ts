// The browser's GscApi: the same interface as Electron's preload object, over `gsc serve`'s WebSocket.
import type { EventName, GscApi, MethodName } from '../../../shared/api'
import { createApiClient } from '../../../shared/client'

export type ConnectionState = 'connecting' | 'open' | 'closed'

export function createWebSocketApi(onState: (s: ConnectionState) => void): GscApi {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? new URLSearchParams(location.search).get('token')
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`
  let ws: WebSocket | null = null
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const listeners = new Map<EventName, Set<(d: unknown) => void>>()
  let opened: Promise<WebSocket> | null = null
  let retry = 0

  function connect(): Promise<WebSocket> {
    if (opened) return opened
    onState('connecting')
    opened = new Promise<WebSocket>((resolve, reject) => {
      const sock = new WebSocket(url)
      sock.onopen = () => {
        ws = sock
        retry = 0
        onState('open')
        resolve(sock)
      }
      sock.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: { message: string; code: string }; event?: EventName; data?: unknown }
        if (msg.event) {
          for (const l of listeners.get(msg.event) ?? []) l(msg.data)
          return
        }
        const p = msg.id !== undefined ? pending.get(msg.id) : undefined
        if (!p) return
        pending.delete(msg.id!)
        if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }))
        else p.resolve(msg.result)
      }
      sock.onclose = () => {
        ws = null
        opened = null
        onState('closed')
        for (const p of pending.values()) p.reject(new Error('connection to the engine lost'))
        pending.clear()
        reject(new Error('cannot reach the engine'))
        // Reconnect with backoff; live views resubscribe automatically (listeners live here).
        const delay = Math.min(5000, 300 * 2 ** retry++)
        setTimeout(() => connect().catch(() => {}), delay)
      }
    })
    return opened
  }
  connect().catch(() => {})

  return createApiClient({
    kind: 'websocket',
    async invoke(method: MethodName, args: unknown) {
      const sock = ws ?? (await connect())
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        sock.send(JSON.stringify({ id, method, args }))
      })
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set()
      listeners.set(event, set)
      set.add(listener)
      return () => set.delete(listener)
    }
  })
}
