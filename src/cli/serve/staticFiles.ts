// Serves the built renderer (vite build output) with a strict Content-Security-Policy.
import { createReadStream, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon'
}

/** Same policy as the Electron window, plus the WebSocket back to this server. */
export const SERVE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const headers = {
    'Content-Security-Policy': SERVE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache'
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, headers).end()
    return
  }
  let rel: string
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  } catch {
    res.writeHead(400, headers).end()
    return
  }
  let file = path.resolve(root, '.' + path.posix.normalize(rel))
  if (!file.startsWith(path.resolve(root) + path.sep) && file !== path.resolve(root)) {
    res.writeHead(403, headers).end()
    return
  }
  if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(root, 'index.html')
  if (!existsSync(file)) {
    // The folder is named on the server's console (gsc serve), not to the client.
    res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
    res.end('The interface is not built: run `npm run build:web` on the station (or give gsc serve --web DIR).\n')
    return
  }
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' })
  if (req.method === 'HEAD') res.end()
  // A read error (file gone, too many open files) ends this response, never the server.
  else createReadStream(file).on('error', () => res.destroy()).pipe(res)
}
