// gsc serve's WebSocket API: validation, events, and who may connect (token off-loopback,
// Host/Origin checks against DNS rebinding and cross-site WebSocket use).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import WebSocket from 'ws'
import { EngineService } from '../../src/core/service/engineService'
import { startServer, type RunningServer } from '../../src/cli/serve/apiServer'

let dir: string
let service: EngineService
const servers: RunningServer[] = []

function backend() {
  return { call: (m: unknown, a: unknown) => service.handle(m, a), on: service.on.bind(service) as never }
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function rpc(ws: WebSocket, msg: unknown): Promise<{ id: unknown; result?: any; error?: { message: string; code: string } }> {
  return new Promise((resolve) => {
    const onMsg = (raw: WebSocket.RawData) => {
      const m = JSON.parse(raw.toString())
      if (m.event) return
      ws.off('message', onMsg)
      resolve(m)
    }
    ws.on('message', onMsg)
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg))
  })
}

function get(port: number, p: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    }).on('error', reject)
  })
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-serve-test-'))
  mkdirSync(path.join(dir, 'web'))
  writeFileSync(path.join(dir, 'web', 'index.html'), '<!doctype html><title>GSC</title>')
  writeFileSync(path.join(dir, 'secret.txt'), 'not for the browser')
  service = await EngineService.open({ dbFile: path.join(dir, 'log.db'), frontDoor: 'serve' })
})

afterAll(async () => {
  for (const s of servers) await s.close()
  await service.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('gsc serve on loopback', () => {
  let srv: RunningServer
  beforeAll(async () => {
    srv = await startServer({ backend: backend(), host: '127.0.0.1', port: 0, staticDir: path.join(dir, 'web') })
    servers.push(srv)
  })

  it('needs no token on 127.0.0.1 and answers calls', async () => {
    expect(srv.token).toBeNull()
    const ws = await connect(`ws://127.0.0.1:${srv.port}/api`)
    const r = await rpc(ws, { id: 1, method: 'listPackets', args: {} })
    expect(r).toEqual({ id: 1, result: { total: 0, packets: [] } })
    ws.close()
  })

  it('rejects bad arguments, unknown methods and malformed messages without dropping the connection', async () => {
    const ws = await connect(`ws://127.0.0.1:${srv.port}/api`)
    expect((await rpc(ws, { id: 2, method: 'getPacket', args: { id: 'x' } })).error?.code).toBe('EARGS')
    expect((await rpc(ws, { id: 3, method: 'getPacket', args: { id: 1, extra: true } })).error?.code).toBe('EARGS')
    expect((await rpc(ws, { id: 4, method: 'eval', args: {} })).error?.message).toMatch(/unknown API method/)
    expect((await rpc(ws, 'not json')).error?.code).toBe('EARGS')
    expect((await rpc(ws, { method: 'listJobs', args: {} })).error?.message).toMatch(/id/)
    // Engine errors come back as one readable line.
    expect((await rpc(ws, { id: 5, method: 'getPacket', args: { id: 99 } })).error).toEqual({ message: 'no packet 99 in the log', code: 'EINVAL' })
    expect((await rpc(ws, { id: 6, method: 'listJobs', args: {} })).result).toEqual([])
    ws.close()
  })

  it('pushes events to connected clients', async () => {
    const ws = await connect(`ws://127.0.0.1:${srv.port}/api`)
    const got = new Promise<any>((resolve) => ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString())
      if (m.event === 'log') resolve(m.data)
    }))
    await rpc(ws, { id: 7, method: 'logEvent', args: { severity: 'watch', source: 'test', message: 'hello operator' } })
    expect(await got).toMatchObject({ severity: 'watch', source: 'client:test', message: 'hello operator' })
    ws.close()
  })

  it('refuses a foreign Origin (cross-site WebSocket) and a foreign Host (DNS rebinding)', async () => {
    await expect(connect(`ws://127.0.0.1:${srv.port}/api`, { Origin: 'http://evil.example' })).rejects.toThrow(/403/)
    await expect(connect(`ws://127.0.0.1:${srv.port}/api`, { Host: `evil.example:${srv.port}` })).rejects.toThrow(/403/)
    const ok = await connect(`ws://127.0.0.1:${srv.port}/api`, { Origin: `http://127.0.0.1:${srv.port}` })
    ok.close()
  })

  it('serves the renderer with a CSP and never files outside it', async () => {
    const index = await get(srv.port, '/')
    expect(index.status).toBe(200)
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/)
    expect(index.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/)
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const r = await get(srv.port, p)
      expect(r.body).not.toContain('not for the browser')
    }
  })
})

describe('gsc serve beyond loopback', () => {
  it('requires the access token printed at start', async () => {
    const srv = await startServer({ backend: backend(), host: '0.0.0.0', port: 0, staticDir: path.join(dir, 'web') })
    servers.push(srv)
    expect(srv.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(srv.url).toContain(`#token=${srv.token}`)
    await expect(connect(`ws://127.0.0.1:${srv.port}/api`)).rejects.toThrow(/403/)
    await expect(connect(`ws://127.0.0.1:${srv.port}/api?token=wrong`)).rejects.toThrow(/403/)
    // one character off (a token that already ends in "x" gets a "y": 1 run in 64 had sent the real token)
    const offByOne = srv.token!.slice(0, -1) + (srv.token!.endsWith('x') ? 'y' : 'x')
    await expect(connect(`ws://127.0.0.1:${srv.port}/api?token=${offByOne}`)).rejects.toThrow(/403/)
    const ws = await connect(`ws://127.0.0.1:${srv.port}/api?token=${srv.token}`, { Host: `station.example:${srv.port}` })
    expect((await rpc(ws, { id: 1, method: 'listJobs', args: {} })).result).toEqual([])
    ws.close()
  })

  it('refuses to serve beyond loopback without a token', () => {
    expect(() => startServer({ backend: backend(), host: '0.0.0.0', port: 0, token: null, staticDir: dir })).toThrow(/token/)
  })
})
