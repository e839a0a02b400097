// `gsc serve`: the built renderer over HTTP and the engine API over one WebSocket per client.
// Messages: the one protocol of src/shared/protocol.ts, as JSON text; the engine validates each call.
// Loopback by default. Off-loopback needs the access token; Host and Origin are checked always so a
// web page elsewhere cannot drive the engine through the operator's browser (DNS rebinding, CSWSH):
// on loopback only the literal names 127.0.0.1, [::1] and localhost with the served port are this
// machine, and an Origin must be exactly the origin the page was served from.
// A bad client costs only itself: every socket has an error listener, a protocol error closes that
// connection with its close code (1002 protocol, 1007 bad UTF-8, 1009 too big), and the limits below
// (docs/serve.md) bound what one client may hold.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EventName } from '../../shared/api'
import { ApiArgumentError } from '../../shared/validate'
import { describeError } from '../../shared/errors'
import { EVENT_NAMES, readRequest, settle, type PushMessage, type ReplyMessage, type RequestId } from '../../shared/protocol'
import { serveStatic } from './staticFiles'

export interface ApiBackend {
  /** One call as the client sent it (the engine validates it); `ctx.client` names the connection, so the
   *  engine can hold per-client limits. */
  call(method: unknown, args: unknown, ctx?: { client: string }): Promise<unknown>
  on(event: EventName, listener: (data: unknown) => void): () => void
  /** The connection closed (its unfinished uploads can go). */
  clientGone?(client: string): void
}

export interface ServeLimits {
  /** Largest WebSocket message accepted, in bytes (an attached original may be 32 MiB of base64). */
  maxMessageBytes: number
  /** WebSocket connections open at once; one more is refused with HTTP 503. */
  maxConnections: number
}

export const DEFAULT_SERVE_LIMITS: ServeLimits = { maxMessageBytes: 40 * 1024 * 1024, maxConnections: 32 }

export interface ServeOptions {
  backend: ApiBackend
  host?: string
  port?: number
  /** Required from clients when set; `startServer` sets one whenever the host is not loopback. */
  token?: string | null
  staticDir: string
  limits?: Partial<ServeLimits>
  /** One line per connection closed for a protocol error (default: none). */
  onClientError?: (line: string) => void
}

export interface RunningServer {
  url: string
  host: string
  port: number
  token: string | null
  server: Server
  close(): Promise<void>
}

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

/** The Host header values that name this server: the listen address and, on loopback, the loopback names. */
export function acceptedHosts(listenHost: string, port: number): Set<string> {
  const names = new Set([listenHost.includes(':') ? `[${listenHost}]` : listenHost])
  if (isLoopback(listenHost)) for (const n of ['127.0.0.1', '[::1]', 'localhost']) names.add(n)
  const out = new Set<string>()
  for (const n of names) {
    out.add(`${n.toLowerCase()}:${port}`)
    if (port === 80) out.add(n.toLowerCase()) // a browser leaves the default port out
  }
  return out
}

/**
 * Host and Origin rules for every request. Returns a reason to refuse, or null.
 * `hosts`: the Host values accepted (acceptedHosts); null accepts any Host (off loopback, where the
 * token is what keeps strangers out).
 */
export function checkHostOrigin(req: IncomingMessage, hosts: Set<string> | null): string | null {
  const host = (req.headers.host ?? '').toLowerCase()
  if (hosts && !hosts.has(host)) return 'Host header is not this machine'
  const origin = req.headers.origin
  // No Origin: not a browser page (browsers always send one on a WebSocket). Otherwise it must be the
  // origin this server serves the page from: same scheme (http), same name, same port.
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) return 'cross-origin request'
  return null
}

/** Decides whether a WebSocket upgrade may talk to the engine. Returns a reason to refuse, or null. */
export function checkUpgrade(req: IncomingMessage, opts: { token: string | null; hosts: Set<string> | null }): string | null {
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname !== '/api') return 'unknown path'
  const bad = checkHostOrigin(req, opts.hosts)
  if (bad) return bad
  if (opts.token !== null && !tokenMatches(opts.token, url.searchParams.get('token'))) return 'access token required'
  return null
}

/** An error line fit for a client: absolute paths on this machine are left out. */
export function withoutPaths(message: string): string {
  return message.replace(/(^|[\s'"(=])((?:[A-Za-z]:)?[\\/](?:[^\s'"`),;\\/]+[\\/])+[^\s'"`),;]*)/g, '$1<path>')
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Forbidden'
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`)
  socket.destroy()
}

export function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const loopbackOnly = isLoopback(host)
  const token = opts.token !== undefined ? opts.token : loopbackOnly ? null : newToken()
  if (!loopbackOnly && !token) throw new Error('serving beyond this machine needs an access token')
  const limits = { ...DEFAULT_SERVE_LIMITS, ...opts.limits }
  // Known once listening (port 0 picks one).
  let accepted: Set<string> | null = null
  const hosts = () => (loopbackOnly ? (accepted ??= acceptedHosts(host, (server.address() as AddressInfo).port)) : null)
  const server = createServer((req, res) => {
    const bad = checkHostOrigin(req, hosts())
    if (bad) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end(`${bad}\n`)
      return
    }
    try {
      serveStatic(opts.staticDir, req, res)
    } catch (e) {
      opts.onClientError?.(`serving ${req.url}: ${describeError(e)}`)
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('internal error\n')
    }
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes })
  // Errors of the listening server after start, and of the WebSocket server, never end the process.
  wss.on('error', (e) => opts.onClientError?.(`WebSocket server: ${describeError(e)}`))
  wss.on('wsClientError', (e, socket) => {
    socket.on('error', () => {})
    refuseUpgrade(socket, 400, `bad WebSocket handshake: ${describeError(e)}`)
  })
  let nextClient = 1

  server.on('upgrade', (req, socket, head) => {
    // Node removes its own listeners from an upgraded socket: without one, a reset would end the process.
    socket.on('error', () => {})
    const refuse = checkUpgrade(req, { token, hosts: hosts() })
    if (refuse) return refuseUpgrade(socket, refuse === 'unknown path' ? 404 : 403, refuse)
    if (wss.clients.size >= limits.maxConnections)
      return refuseUpgrade(socket, 503, `too many connections (at most ${limits.maxConnections})`)
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, `c${nextClient++}`))
  })

  function attach(ws: WebSocket, client: string): void {
    const unsubs = EVENT_NAMES.map((ev) =>
      opts.backend.on(ev, (data) => {
        if (ws.readyState !== ws.OPEN) return
        if (ev === 'job') {
          const j = data as { error?: string | null }
          if (j.error) data = { ...j, error: withoutPaths(j.error) }
        }
        ws.send(JSON.stringify({ event: ev, data } as PushMessage))
      })
    )
    // ws closes the connection itself on a protocol error, with its close code; this listener keeps
    // the error from ending the process and tells the operator.
    ws.on('error', (e) => opts.onClientError?.(`client ${client}: ${describeError(e)}; connection closed`))
    ws.on('close', () => {
      unsubs.forEach((u) => u())
      opts.backend.clientGone?.(client)
    })
    ws.on('message', async (raw, isBinary) => {
      let id: RequestId | null = null
      const outcome = await settle(() => {
        if (isBinary) throw new ApiArgumentError('binary messages are not accepted')
        let msg: unknown
        try {
          msg = JSON.parse(raw.toString())
        } catch {
          throw new ApiArgumentError('message is not JSON')
        }
        const req = readRequest(msg)
        id = req.id
        return opts.backend.call(req.method, req.args, { client })
      })
      // An error line leaves this machine: no paths in it.
      const reply: ReplyMessage = 'error' in outcome ? { id, error: { ...outcome.error, message: withoutPaths(outcome.error.message) } } : { id, ...outcome }
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply))
    })
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 8420, host, () => {
      server.off('error', reject)
      server.on('error', (e) => opts.onClientError?.(`server: ${describeError(e)}`))
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
