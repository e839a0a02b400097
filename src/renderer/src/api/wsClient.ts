// The browser's GscApi: the same interface as Electron's preload object, over `gsc serve`'s WebSocket.
import type { GscApi } from '../../../shared/api'
import { createApiClient } from '../../../shared/client'
import { RpcClient } from '../../../shared/rpcClient'

export type ConnectionState = 'connecting' | 'open' | 'closed'

export function createWebSocketApi(onState: (s: ConnectionState) => void): GscApi {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? new URLSearchParams(location.search).get('token')
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`
  // Listeners live in the client, so live views keep their subscriptions across reconnects.
  const rpc = new RpcClient()
  let ws: WebSocket | null = null
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
      sock.onmessage = (m) => rpc.receive(JSON.parse(String(m.data)))
      sock.onclose = () => {
        ws = null
        opened = null
        onState('closed')
        rpc.dropAll('connection to the engine lost')
        reject(new Error('cannot reach the engine'))
        // Reconnect with backoff.
        const delay = Math.min(5000, 300 * 2 ** retry++)
        setTimeout(() => connect().catch(() => {}), delay)
      }
    })
    return opened
  }
  connect().catch(() => {})

  return createApiClient({
    kind: 'websocket',
    async invoke(method, args) {
      const sock = ws ?? (await connect())
      return rpc.request((msg) => sock.send(JSON.stringify(msg)), { method, args })
    },
    subscribe: (event, listener) => rpc.events.on(event, listener)
  })
}
