// A hostile local client against a real `gsc serve` child process (127.0.0.1, ephemeral port):
// every failure of issue 19 groups 1, 2, 3, 4 and 6 replayed. Raw WebSocket frames are written byte by
// byte over a plain socket; a message over the limit is streamed without holding it in memory.
// After every case the server must still answer a normal client (an HTTP request and an API call).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { gscPacket, writeCapture } from '../fixtures/storeFixtures'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'

const MiB = 1024 * 1024
const dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-hostile-'))
const db = path.join(dir, 'x.db')
const uploadsDir = path.join(`${db}.ui`, 'uploads')
let child: ChildProcess
let port: number
let stderr = ''
/** Every error line the server sent a client in this suite: none may name a path on the server. */
const errorsSeen: string[] = []

// Small limits where a case needs to reach them quickly; the protocol limits stay at their defaults.
const LIMITS = ['--uploads-per-client', '2', '--uploads-total', '3', '--upload-idle', '1', '--max-upload', '1024TiB',
  '--max-connections', '8', '--client-log-rate', '5', '--client-log-total', '8']

function startServe(): Promise<number> {
  child = spawn(process.execPath, ['bin/gsc.mjs', 'serve', '--port', '0', '--db', db, '--web', path.join(dir, 'web'), ...LIMITS], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d
      const m = /gsc serve: http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`gsc serve exited (${code}): ${stderr}`)))
  })
}

beforeAll(async () => {
  mkdirSync(path.join(dir, 'web'))
  writeFileSync(path.join(dir, 'web', 'index.html'), '<!doctype html><title>GSC</title>')
  // What crashed engines left: a folder of an engine no longer running, and a loose file of an older version.
  const host = os.hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host'
  mkdirSync(path.join(uploadsDir, `${host}-4194305-deadbeef`), { recursive: true })
  for (let i = 0; i < 20; i++) writeFileSync(path.join(uploadsDir, `${host}-4194305-deadbeef`, `orphan${i}.bin`), 'x')
  writeFileSync(path.join(uploadsDir, 'old.bin'), 'x')
  port = await startServe()
}, 60_000)

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
  rmSync(dir, { recursive: true, force: true })
})

// ---- a normal client ----

function get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    }).on('error', reject)
  })
}

function connect(headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

type Reply = { id: unknown; result?: any; error?: { message: string; code: string } }
let nextId = 1

function rpc(ws: WebSocket, method: string, args: unknown = {}): Promise<Reply> {
  const id = nextId++
  return new Promise((resolve) => {
    const onMsg = (raw: WebSocket.RawData) => {
      const m = JSON.parse(raw.toString())
      if (m.id !== id) return
      ws.off('message', onMsg)
      if (m.error) errorsSeen.push(m.error.message)
      resolve(m)
    }
    ws.on('message', onMsg)
    ws.send(JSON.stringify({ id, method, args }))
  })
}

/** Uploads `bytes` as one file and imports it; resolves when the import job has ended. */
async function importBytes(ws: WebSocket, name: string, bytes: Buffer): Promise<void> {
  const { uploadId } = (await rpc(ws, 'uploadBegin', { name, size: bytes.length })).result
  await rpc(ws, 'uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') })
  const { fileRef } = (await rpc(ws, 'uploadEnd', { uploadId })).result
  const done = new Promise<void>((resolve) => {
    const onMsg = (m: WebSocket.RawData) => {
      const msg = JSON.parse(m.toString())
      if (msg.event === 'job' && msg.data.kind === 'import' && msg.data.state !== 'running') (ws.off('message', onMsg), resolve())
    }
    ws.on('message', onMsg)
  })
  await rpc(ws, 'importCapture', { file: fileRef })
  await done
}

/** The server process is up, serves a page, and answers an API call on a fresh connection. */
async function expectHealthy(): Promise<void> {
  expect(child.exitCode, stderr).toBeNull()
  const page = await get('/')
  expect(page.status).toBe(200)
  expect(page.body).toContain('<title>GSC</title>')
  const ws = await connect()
  const r = await rpc(ws, 'listJobs')
  expect(r.error).toBeUndefined()
  expect(Array.isArray(r.result)).toBe(true)
  await closed(ws)
}

/** Closes a client and waits until the closing handshake is over. */
function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve()
    ws.once('close', () => setTimeout(resolve, 20))
    ws.close()
  })
}

// ---- a raw WebSocket client over net.Socket ----

class RawClient {
  readonly sock: net.Socket
  private buf = Buffer.alloc(0)
  private upgraded = false
  closed = false
  private wake: () => void = () => {}

  constructor() {
    this.sock = net.connect(port, '127.0.0.1')
    this.sock.setNoDelay(true)
    this.sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d])
      this.wake()
    })
    this.sock.on('error', () => {}) // the server may reset us after closing: expected
    this.sock.on('close', () => {
      this.closed = true
      this.wake()
    })
  }

  private async until(pred: () => boolean, ms = 10_000): Promise<void> {
    const t0 = Date.now()
    while (!pred()) {
      if (this.closed || Date.now() - t0 > ms) return
      await new Promise<void>((r) => {
        this.wake = r
        setTimeout(r, 50)
      })
    }
  }

  /** The opening handshake; resolves with the HTTP status line. */
  async handshake(o: { version?: string; extra?: string } = {}): Promise<string> {
    await new Promise<void>((r) => this.sock.once('connect', () => r()))
    this.sock.write(
      `GET /api HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: ${o.version ?? '13'}\r\n${o.extra ?? ''}\r\n`
    )
    await this.until(() => this.buf.includes('\r\n\r\n'))
    const end = this.buf.indexOf('\r\n\r\n')
    const status = this.buf.subarray(0, this.buf.indexOf('\r\n')).toString()
    if (end >= 0) this.buf = this.buf.subarray(end + 4)
    this.upgraded = status.includes(' 101 ')
    return status
  }

  /** Writes the bytes one write (one TCP segment, with no delay) at a time. */
  async writeByteByByte(bytes: Buffer): Promise<void> {
    for (const b of bytes) {
      if (this.closed) return
      await new Promise<void>((r) => this.sock.write(Buffer.of(b), () => r()))
    }
  }

  /** Parses the server's frames until a close frame: its code, or null if the socket just ended. */
  closeCode(ms = 10_000): Promise<number | null> {
    let code: number | null | undefined
    const parse = () => {
      for (;;) {
        if (this.buf.length < 2) return false
        let len = this.buf[1] & 0x7f
        let at = 2
        if (len === 126) {
          if (this.buf.length < 4) return false
          len = this.buf.readUInt16BE(2)
          at = 4
        } else if (len === 127) {
          if (this.buf.length < 10) return false
          len = Number(this.buf.readBigUInt64BE(2))
          at = 10
        }
        if (this.buf.length < at + len) return false
        const opcode = this.buf[0] & 0x0f
        const payload = this.buf.subarray(at, at + len)
        this.buf = this.buf.subarray(at + len)
        if (opcode === 8) {
          code = payload.length >= 2 ? payload.readUInt16BE(0) : null
          return true
        }
      }
    }
    return this.until(parse, ms).then(() => {
      this.sock.destroy()
      return code ?? null
    })
  }

  get isUpgraded(): boolean {
    return this.upgraded
  }
}

/** A client frame: FIN, opcode, masked with a zero key (the payload goes as is). */
function frame(opcode: number, payload: Buffer, o: { fin?: boolean; rsv1?: boolean; masked?: boolean; announce?: number } = {}): Buffer {
  const len = o.announce ?? payload.length
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode
  const mask = (o.masked ?? true) ? 0x80 : 0
  let head: Buffer
  if (len < 126) head = Buffer.of(b0, mask | len)
  else if (len < 65536) head = Buffer.of(b0, mask | 126, len >> 8, len & 0xff)
  else {
    head = Buffer.alloc(10)
    head[0] = b0
    head[1] = mask | 127
    head.writeBigUInt64BE(BigInt(len), 2)
  }
  return Buffer.concat([head, mask ? Buffer.alloc(4) : Buffer.alloc(0), payload])
}

async function rawCase(bytes: Buffer): Promise<number | null> {
  const c = new RawClient()
  expect(await c.handshake()).toMatch(/ 101 /)
  await c.writeByteByByte(bytes)
  return c.closeCode()
}

describe('gsc serve against a hostile client', () => {
  it('cleaned the uploads folder at start (what engines no longer running left)', () => {
    const left = readdirSync(uploadsDir, { recursive: true }).map(String)
    expect(left.filter((f) => f.endsWith('.bin'))).toEqual([])
    expect(left.some((f) => f.includes('deadbeef'))).toBe(false)
    expect(stderr).not.toMatch(/Unhandled|at .*\.(ts|js):\d+:\d+/)
  })

  describe('WebSocket frames (issue 19, group 1): each closes its own connection with its close code', () => {
    const cases: [string, Buffer, number][] = [
      ['a 14-byte header announcing 2^40 bytes, over the 40 MiB limit', frame(2, Buffer.alloc(0), { announce: 2 ** 40 }), 1009],
      ['a 14-byte header announcing a 200 MiB message', frame(1, Buffer.alloc(0), { announce: 200 * MiB }), 1009],
      ['an unmasked client frame', frame(1, Buffer.from('{"id":1}'), { masked: false }), 1002],
      ['invalid UTF-8 in a text frame', frame(1, Buffer.of(0x7b, 0xff, 0xfe, 0x7d)), 1007],
      ['RSV1 without an extension', frame(1, Buffer.from('{}'), { rsv1: true }), 1002],
      ['opcode 3 (reserved)', frame(3, Buffer.from('x')), 1002],
      ['a continuation frame with no message to continue', frame(0, Buffer.from('x')), 1002],
      ['a fragmented ping (control frame without FIN)', frame(9, Buffer.alloc(0), { fin: false }), 1002],
      ['a ping over 125 bytes', frame(9, Buffer.alloc(126)), 1002],
      ['a close frame with an invalid code', frame(8, Buffer.of(0x03, 0xe7)), 1002],
      ['a close frame with an invalid UTF-8 reason', frame(8, Buffer.of(0x03, 0xe8, 0xff)), 1007]
    ]
    for (const [name, bytes, code] of cases) {
      it(`${name} -> ${code}`, async () => {
        expect(await rawCase(bytes)).toBe(code)
        await expectHealthy()
      })
    }

    it('a 200 MiB message streamed in 1 MiB fragments -> 1009 once it passes 40 MiB, and nothing more is read', async () => {
      const c = new RawClient()
      expect(await c.handshake()).toMatch(/ 101 /)
      const chunk = Buffer.alloc(MiB, 0x61) // one buffer, sent again and again
      const code = c.closeCode(60_000)
      let sent = 0
      for (let i = 0; i < 200 && !c.closed; i++) {
        const head = frame(i === 0 ? 1 : 0, Buffer.alloc(0), { fin: i === 199, announce: MiB })
        c.sock.write(head)
        if (!c.sock.write(chunk)) await new Promise<void>((r) => (c.sock.once('drain', r), c.sock.once('close', r)))
        sent += MiB
      }
      expect(await code).toBe(1009)
      expect(sent).toBeLessThan(200 * MiB)
      expect(sent).toBeGreaterThan(40 * MiB)
      await expectHealthy()
    })

    it('half a frame and then a reset, a client that resets during a refused upgrade, a bad handshake, garbage HTTP', async () => {
      const half = new RawClient()
      await half.handshake()
      await half.writeByteByByte(frame(1, Buffer.from('{"id":1,"method":"listJobs","args":{}}')).subarray(0, 9))
      half.sock.resetAndDestroy()
      const refused = new RawClient()
      await new Promise<void>((r) => refused.sock.once('connect', () => r()))
      refused.sock.write(`GET /api HTTP/1.1\r\nHost: evil.example:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
      refused.sock.resetAndDestroy()
      const badVersion = new RawClient()
      expect(await badVersion.handshake({ version: '99' })).toMatch(/ 400 /)
      badVersion.sock.destroy()
      const twoKeys = new RawClient()
      expect(await twoKeys.handshake({ extra: 'Sec-WebSocket-Key: second\r\n' })).toMatch(/ 400 /)
      twoKeys.sock.destroy()
      const garbage = new RawClient()
      await new Promise<void>((r) => garbage.sock.once('connect', () => r()))
      garbage.sock.write('\x00\x01\x02 not http at all\r\n\r\n')
      await new Promise((r) => setTimeout(r, 200))
      garbage.sock.destroy()
      await expectHealthy()
    })

    it('a text message that is not JSON and a binary message get an error reply on a connection that stays open', async () => {
      const ws = await connect()
      const replies: any[] = []
      ws.on('message', (m) => replies.push(JSON.parse(m.toString())))
      ws.send('{"id": 1, "method": ')
      ws.send(Buffer.from([1, 2, 3]))
      await new Promise((r) => setTimeout(r, 300))
      expect(replies.map((r) => r.error?.code)).toEqual(['EARGS', 'EARGS'])
      expect((await rpc(ws, 'listJobs')).result).toEqual(expect.any(Array))
      await closed(ws)
      await expectHealthy()
    })

    it(`refuses connections over --max-connections with 503 and serves again once they close`, async () => {
      const open: WebSocket[] = []
      try {
        for (let i = 0; i < 8; i++) open.push(await connect())
        await expect(connect()).rejects.toThrow(/HTTP 503/)
      } finally {
        await Promise.all(open.map(closed))
      }
      await expectHealthy()
    })
  })

  describe('Host and Origin (issue 19, group 3): only the literal loopback names with the served port', () => {
    const refused: [string, () => Record<string, string>][] = [
      ['Host 127.evil.example (DNS rebinding) with a matching Origin', () => ({ Host: `127.evil.example:${port}`, Origin: `http://127.evil.example:${port}` })],
      ['Host localhost.evil with a matching Origin', () => ({ Host: `localhost.evil:${port}`, Origin: `http://localhost.evil:${port}` })],
      ['Host 127.0.0.1.nip.io with a matching Origin', () => ({ Host: `127.0.0.1.nip.io:${port}`, Origin: `http://127.0.0.1.nip.io:${port}` })],
      ['Host localhost.:P (trailing dot)', () => ({ Host: `localhost.:${port}` })],
      ['Host 127.0.0.2 (loopback, but not the served name)', () => ({ Host: `127.0.0.2:${port}` })],
      ['Host 127.0.0.1 on another port', () => ({ Host: `127.0.0.1:${port + 1}` })],
      ['Host 127.0.0.1 without the port', () => ({ Host: '127.0.0.1' })],
      ['an https:// Origin', () => ({ Host: `127.0.0.1:${port}`, Origin: `https://127.0.0.1:${port}` })],
      ['a null Origin (sandboxed frame, file:// page)', () => ({ Host: `127.0.0.1:${port}`, Origin: 'null' })],
      ['a foreign Origin', () => ({ Host: `127.0.0.1:${port}`, Origin: 'http://evil.example' })],
      ['an Origin on another port', () => ({ Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port + 1}` })],
      ['an Origin of another loopback name than the Host', () => ({ Host: `127.0.0.1:${port}`, Origin: `http://localhost:${port}` })]
    ]
    for (const [name, headers] of refused) {
      it(`refuses ${name}`, async () => {
        await expect(connect(headers())).rejects.toThrow(/HTTP 403/)
        // the same Host/Origin gets no page either
        expect((await get('/', headers())).status).toBe(421)
        await expectHealthy()
      })
    }

    it('accepts 127.0.0.1, [::1] and localhost with the served port, with or without their own Origin', async () => {
      for (const name of ['127.0.0.1', '[::1]', 'localhost', 'LOCALHOST']) {
        for (const origin of [null, `http://${name}:${port}`]) {
          const ws = await connect({ Host: `${name}:${port}`, ...(origin ? { Origin: origin } : {}) })
          expect((await rpc(ws, 'listJobs')).result).toEqual(expect.any(Array))
          await closed(ws)
        }
      }
    })
  })

  describe('uploads (issue 19, group 2): bounded, timed out, cleaned, and no server path in any error', () => {
    const binFiles = () => readdirSync(uploadsDir, { recursive: true }).filter((f) => String(f).endsWith('.bin')).length

    it('a flood of uploadBegin announcing 4 GiB each: at most 2 per connection and 3 in all are held', async () => {
      const a = await connect()
      const b = await connect()
      const c = await connect()
      const replies = await Promise.all(Array.from({ length: 200 }, () => rpc(a, 'uploadBegin', { name: 'big.bin', size: 4 * 1024 ** 3 })))
      const ok = replies.filter((r) => r.result)
      const refused = replies.filter((r) => r.error)
      // 4 GiB each: refused for disk space where the disk has less than 2 x 4 GiB + 1 GiB free
      expect(ok.length).toBeLessThanOrEqual(2)
      expect(refused.every((r) => r.error!.code === 'ELIMIT')).toBe(true)
      expect(refused.map((r) => r.error!.message)).toContainEqual(expect.stringMatching(/this client already has 2 unfinished upload\(s\), the limit is 2|disk space/))
      expect(binFiles()).toBe(ok.length)
      // small ones: the per-connection and total limits
      for (const u of ok) await rpc(a, 'uploadEnd', { uploadId: u.result.uploadId }) // short: refused, removed
      expect(binFiles()).toBe(0)
      expect((await rpc(a, 'uploadBegin', { name: 'a1', size: 10 })).result).toBeTruthy()
      expect((await rpc(a, 'uploadBegin', { name: 'a2', size: 10 })).result).toBeTruthy()
      expect((await rpc(a, 'uploadBegin', { name: 'a3', size: 10 })).error?.message).toMatch(/the limit is 2/)
      expect((await rpc(b, 'uploadBegin', { name: 'b1', size: 10 })).result).toBeTruthy()
      expect((await rpc(c, 'uploadBegin', { name: 'c1', size: 10 })).error?.message).toMatch(/3 uploads are in progress on the station, the limit is 3/)
      expect(binFiles()).toBe(3)
      // a connection that goes away takes its unfinished uploads with it
      await closed(a)
      await new Promise((r) => setTimeout(r, 300))
      expect(binFiles()).toBe(1)
      expect((await rpc(c, 'uploadBegin', { name: 'c1', size: 10 })).result).toBeTruthy()
      await closed(b)
      await closed(c)
      await new Promise((r) => setTimeout(r, 300))
      expect(binFiles()).toBe(0)
      await expectHealthy()
    })

    it('refuses an announced size over the limit or over the free disk space', async () => {
      const ws = await connect()
      const over = await rpc(ws, 'uploadBegin', { name: 'huge.bin', size: 2048 * 1024 ** 4 })
      expect(over.error?.message).toMatch(/more than the station's limit of 1\.0 PiB/)
      const free = statfsSync(dir)
      const more = Number(free.bavail) * Number(free.bsize) + 1024 ** 3
      const disk = await rpc(ws, 'uploadBegin', { name: 'huge.bin', size: more })
      expect(disk.error).toMatchObject({ code: 'ELIMIT', message: expect.stringMatching(/disk space is free on the station \(1\.0 GiB must stay free\)/) })
      expect(binFiles()).toBe(0)
      await closed(ws)
      await expectHealthy()
    })

    it('drops an upload idle for --upload-idle seconds and removes its file; a late chunk is told why', async () => {
      const ws = await connect()
      const { uploadId } = (await rpc(ws, 'uploadBegin', { name: 'slow.bin', size: 10 })).result
      expect((await rpc(ws, 'uploadChunk', { uploadId, offset: 0, data: Buffer.from('01234').toString('base64') })).result).toEqual({ received: 5 })
      expect(binFiles()).toBe(1)
      await new Promise((r) => setTimeout(r, 1600))
      expect(binFiles()).toBe(0)
      const late = await rpc(ws, 'uploadChunk', { uploadId, offset: 5, data: Buffer.from('56789').toString('base64') })
      expect(late.error?.message).toMatch(/dropped after 1 s without data; its bytes were discarded/)
      const log = (await rpc(ws, 'listEvents', { limit: 50 })).result as { source: string; message: string }[]
      expect(log.some((e) => e.source === 'upload' && /slow\.bin dropped \(idle\) after 5 bytes of 10 bytes; its file was removed/.test(e.message))).toBe(true)
      await closed(ws)
      await expectHealthy()
    })

    it('a failed import of an upload names the file as uploaded, not its path on the server', async () => {
      const ws = await connect()
      const { uploadId } = (await rpc(ws, 'uploadBegin', { name: 'empty.bin', size: 0 })).result
      const { fileRef } = (await rpc(ws, 'uploadEnd', { uploadId })).result
      const failed = new Promise<any>((resolve) =>
        ws.on('message', (m) => {
          const msg = JSON.parse(m.toString())
          if (msg.event === 'job' && msg.data.state === 'failed') resolve(msg.data)
        })
      )
      expect((await rpc(ws, 'importCapture', { file: fileRef })).result.jobId).toMatch(/^import-/)
      const job = await failed
      expect(job.error).toMatch(/empty\.bin is empty/)
      errorsSeen.push(job.error)
      await closed(ws)
      await expectHealthy()
    })

    it('no error line sent to a client in this suite names a path on the server', () => {
      expect(errorsSeen.length).toBeGreaterThan(100)
      for (const m of errorsSeen) {
        expect(m).not.toContain(dir)
        expect(m).not.toMatch(/(^|[\s'"(])\/(tmp|home|work|var|root)\//)
      }
    })
  })

  describe('oversized packets (issue 19, group 4): kept, refused by the decoder in one line, the server unharmed', () => {
    /** The smallest packet of model set 1 announcing a width x height image (no channels, no caption). */
    const tiny = (width: number, height: number, steps: number, seq: number) =>
      encodeGscPacket(
        { header: { formatVersion: 1, width, height, modelId: 1, latentChannels: 320, channelIndices: [], quantStep: 1, steps, seed: 0, captionMode: 'none', hasDetections: false }, caption: '', latents: new Int32Array(0), detections: [] },
        { apid: 77, sequenceCount: seq }
      )
    const rssMiB = () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024

    it('18-octet packets announcing 4096x4096 and 16384x16384 and a 21-octet one asking for 4,096 flow steps', async () => {
      const packets = [tiny(4096, 4096, 0, 0), tiny(16384, 16384, 0, 1), tiny(64, 64, 4096, 2)]
      expect(packets.map((p) => p.length)).toEqual([18, 18, 21])
      const bytes = writeCapture(path.join(dir, 'oversized.bin'), packets)
      const ws = await connect()
      await importBytes(ws, 'oversized.bin', bytes)
      // kept: valid packets by the wire format
      const rows = ((await rpc(ws, 'listPackets', { apid: 77, sort: 'id' })).result.packets as { id: number; status: string }[])
      expect(rows.map((r) => r.status)).toEqual(['ok', 'ok', 'ok'])
      const before = rssMiB()
      const t0 = Date.now()
      for (const [k, size] of [[0, '4096x4096 image \\(16,777,216 pixels\\)'], [1, '16384x16384 image \\(268,435,456 pixels\\)']] as const) {
        const r = await rpc(ws, 'reconstruct', { id: rows[k].id })
        expect(r.error?.code).toBe('ELIMIT')
        expect(r.error?.message).toMatch(new RegExp(`^packet announces a ${size}, over this station's decode limit of 4,194,304 pixels \\(--max-pixels; docs/bitstream.md 4.1\\); not decoded$`))
        expect((await rpc(ws, 'getPacket', { id: rows[k].id })).result.header.width).toBe(k === 0 ? 4096 : 16384)
      }
      expect(Date.now() - t0).toBeLessThan(2000)
      expect(rssMiB() - before).toBeLessThan(64)
      const steps = await rpc(ws, 'reconstruct', { id: rows[2].id })
      expect(steps.error).toMatchObject({ code: 'ELIMIT', message: "packet asks for 4,096 flow steps, over this station's limit of 64 flow steps (--max-flow-steps; docs/bitstream.md 4.1); not decoded" })
      // a client cannot raise the server's limits
      expect((await rpc(ws, 'setSettings', { maxPixels: 16384 * 16384 })).error?.message).toMatch(/above this station's limit of 4194304 pixels/)
      await closed(ws)
      await expectHealthy()
    }, 60_000)
  })

  describe('smaller points (issue 19, group 6)', () => {
    it('client-written event-log entries are rate-limited, labelled, and the refusals recorded', async () => {
      const a = await connect()
      const b = await connect()
      const fromA = await Promise.all(Array.from({ length: 20 }, (_, i) => rpc(a, 'logEvent', { severity: 'critical', source: 'spoof', message: `reactor ${i}` })))
      expect(fromA.filter((r) => r.result)).toHaveLength(5)
      expect(fromA.filter((r) => r.error?.code === 'ERATE')).toHaveLength(15)
      const fromB = await Promise.all(Array.from({ length: 5 }, (_, i) => rpc(b, 'logEvent', { severity: 'critical', source: 'spoof', message: `b ${i}` })))
      expect(fromB.filter((r) => r.result)).toHaveLength(3) // 8 a minute from all clients
      await closed(a)
      await new Promise((r) => setTimeout(r, 300))
      const log = (await rpc(b, 'listEvents', { limit: 200 })).result as { source: string; message: string; severity: string }[]
      const written = log.filter((e) => /^(reactor|b) \d+$/.test(e.message))
      expect(written).toHaveLength(8)
      expect(written.every((e) => e.source === 'client:spoof')).toBe(true)
      expect(log.some((e) => e.source === 'engine' && /writes more than 5 event-log entries a minute/.test(e.message))).toBe(true)
      expect(log.some((e) => e.source === 'engine' && /15 event-log entries from client c\d+ refused \(rate limit\)/.test(e.message))).toBe(true)
      await closed(b)
      await expectHealthy()
    })

    it('a packet whose format octet is corrupted is stored as a CRC failure with the CRC error, not "no valid packet header"', async () => {
      const good = gscPacket(7, 0, 1)
      const bad = gscPacket(7, 1, 2)
      bad[6] = 0 // the GSC format version octet: no plausible header any more, and the CRC fails
      const bytes = writeCapture(path.join(dir, 'crc.bin'), [good, bad])
      const ws = await connect()
      await importBytes(ws, 'crc.bin', bytes)
      const page = (await rpc(ws, 'listPackets', {})).result as { packets: { status: string; error: string | null; sequenceCount: number | null }[] }
      const failed = page.packets.filter((p) => p.status === 'crc_failed')
      expect(failed).toHaveLength(1)
      expect(failed[0].error).toMatch(/^CRC mismatch/)
      expect(failed[0].sequenceCount).toBe(1)
      await closed(ws)
      await expectHealthy()
    })

    it('gsc decode: an empty file exits 1; a capture decodes each distinct packet once', () => {
      const empty = path.join(dir, 'empty.bin')
      writeFileSync(empty, '')
      for (const out of [path.join(dir, 'empty-out'), path.join(dir, 'empty.png')]) {
        const r = spawnSync(process.execPath, ['bin/gsc.mjs', 'decode', empty, '-o', out], { encoding: 'utf8', timeout: 60_000 })
        expect(r.status).toBe(1)
        expect(r.stderr.trim()).toBe(`gsc: empty file: ${empty}`)
      }
      const p = gscPacket(9, 0, 3)
      const q = gscPacket(9, 1, 4)
      const cap = path.join(dir, 'dups.bin')
      writeCapture(cap, [p, p, q, p, q])
      const out = path.join(dir, 'dups-out')
      const r = spawnSync(process.execPath, ['bin/gsc.mjs', 'decode', cap, '-o', out, '--steps', '0', '--json'], { encoding: 'utf8', timeout: 120_000 })
      expect(r.status, r.stderr).toBe(0)
      const res = JSON.parse(r.stdout)
      expect(res.decoded).toHaveLength(2)
      expect(res.duplicates.map((d: { offset: number; sameAs: number }) => [d.offset, d.sameAs])).toEqual([
        [p.length, 0],
        [2 * p.length + q.length, 0],
        [3 * p.length + q.length, 2 * p.length]
      ])
      expect(res.duplicates[0].output).toBe(path.join(out, 'apid0009-seq00000.png'))
      expect(readdirSync(out).sort()).toEqual(['apid0009-seq00000.png', 'apid0009-seq00001.png'])
      expect(existsSync(path.join(out, `apid0009-seq00000-at${p.length}.png`))).toBe(false)
    })
  })

  it('the server never logged a stack trace and is still running', async () => {
    expect(stderr).not.toMatch(/Unhandled|at .*\.(ts|js):\d+:\d+/)
    await expectHealthy()
  })
})
