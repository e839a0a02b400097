// `gsc serve`: the built renderer over HTTP and the engine API over one WebSocket per client.
// Messages: {id, method, args} -> {id, result} | {id, error: {message, code}}; pushes {event, data}.
// Loopback by default. Off-loopback needs the access token; Host and Origin are checked always so a
// web page elsewhere cannot drive the engine through the operator's browser (DNS rebinding, CSWSH).
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EventName } from '../../shared/api'
import { validateCall, ApiArgumentError } from '../../shared/validate'
import { isGscError, describeError } from '../../core/util/errors'
import { serveStatic } from './staticFiles'

export interface ApiBackend {
  call(method: string, args: unknown): Promise<unknown>
  on(event: EventName, listener: (data: unknown) => void): () => void
}

export interface ServeOptions {
  backend: ApiBackend
  host?: string
  port?: number
  /** Required from clients when set; `startServer` sets one whenever the host is not loopback. */
  token?: string | null
  staticDir: string
  /** Largest WebSocket message accepted (an attached original may be 32 MiB of base64). */
  maxPayload?: number
}

export interface RunningServer {
  url: string
  host: string
  port: number
  token: string | null
  server: Server
  close(): Promise<void>
}

export const EVENTS: EventName[] = ['packets', 'job', 'log']

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host)
}

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

function tokenMatches(expected: string, given: string | null): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function hostOf(h: string): string {
  // "[::1]:8080" -> "::1", "127.0.0.1:8080" -> "127.0.0.1"
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(h)
  if (m) return m[1]
  return h.replace(/:\d+$/, '')
}

/** Decides whether a WebSocket upgrade may talk to the engine. Returns a reason to refuse, or null. */
export function checkUpgrade(req: IncomingMessage, opts: { token: string | null; loopbackOnly: boolean }): string | null {
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname !== '/api') return 'unknown path'
  const host = req.headers.host ?? ''
  if (opts.loopbackOnly && !isLoopback(hostOf(host))) return 'Host header is not this machine'
  const origin = req.headers.origin
  if (origin) {
    let o: URL
    try {
      o = new URL(origin)
    } catch {
      return 'bad Origin'
    }
    if (o.host !== host) return 'cross-origin request'
  }
  if (opts.token !== null && !tokenMatches(opts.token, url.searchParams.get('token'))) return 'access token required'
  return null
}

export function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const loopbackOnly = isLoopback(host)
  const token = opts.token !== undefined ? opts.token : loopbackOnly ? null : newToken()
  if (!loopbackOnly && !token) throw new Error('serving beyond this machine needs an access token')
  const server = createServer((req, res) => serveStatic(opts.staticDir, req, res))
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 40 * 1024 * 1024 })

  server.on('upgrade', (req, socket, head) => {
    const refuse = checkUpgrade(req, { token, loopbackOnly })
    if (refuse) {
      socket.write(`HTTP/1.1 ${refuse === 'unknown path' ? 404 : 403} Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${refuse}\n`)
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws))
  })

  function attach(ws: WebSocket): void {
    const unsubs = EVENTS.map((ev) =>
      opts.backend.on(ev, (data) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event: ev, data }))
      })
    )
    ws.on('close', () => unsubs.forEach((u) => u()))
    ws.on('message', async (raw, isBinary) => {
      let id: unknown = null
      try {
        if (isBinary) throw new ApiArgumentError('binary messages are not accepted')
        let msg: { id?: unknown; method?: unknown; args?: unknown }
        try {
          msg = JSON.parse(raw.toString())
        } catch {
          throw new ApiArgumentError('message is not JSON')
        }
        id = msg?.id
        if (typeof id !== 'number' && typeof id !== 'string') throw new ApiArgumentError('message needs an id')
        const call = validateCall(msg.method, msg.args)
        const result = await opts.backend.call(call.method, call.args)
        ws.send(JSON.stringify({ id, result }))
      } catch (e) {
        const code = e instanceof ApiArgumentError ? 'EARGS' : isGscError(e) ? e.code : 'EINTERNAL'
        const message = e instanceof ApiArgumentError || isGscError(e) ? e.message : `internal error: ${describeError(e)}`
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, error: { message, code } }))
      }
    })
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 8420, host, () => {
      const addr = server.address() as AddressInfo
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      const url = `http://${shown}:${addr.port}/${token ? `#token=${token}` : ''}`
      resolve({
        url,
        host: addr.address,
        port: addr.port,
        token,
        server,
        close: () =>
          new Promise<void>((r) => {
            for (const c of wss.clients) c.terminate()
            wss.close()
            server.close(() => r())
            server.closeAllConnections?.()
          })
      })
    })
  })
}
