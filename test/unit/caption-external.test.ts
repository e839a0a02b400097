// The external captioner against a real local HTTP server (node:http): request shape, success,
// and each failure mode's operator-readable GscError.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { chatCompletionsUrl, externalCaption, normalizeCaption } from '../../src/core/caption/external'
import { GscError } from '../../src/core/util/errors'

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void
let handler: Handler = () => {}
let server: Server
let base = ''
const seen: { url?: string; headers?: IncomingMessage['headers']; body?: any }[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => handler(req, body, res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

const img = { width: 8, height: 6, data: new Uint8Array(8 * 6 * 3).map((_, i) => (i * 7) % 256) }
const reply = (status: number, text: string) => (_req: IncomingMessage, _b: string, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(text)
}

async function gscError(p: Promise<unknown>): Promise<GscError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(GscError)
    expect((e as Error).message).not.toContain('\n')
    return e as GscError
  }
  throw new Error('expected a GscError')
}

describe('externalCaption', () => {
  it('sends an OpenAI-style chat completion with the image as a PNG data URL and returns the caption', async () => {
    handler = (req, body, res) => {
      seen.push({ url: req.url, headers: req.headers, body: JSON.parse(body) })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: '  A red rover on grey rocks \n under a pale sky.  ' } }] }))
    }
    const caption = await externalCaption(img, { url: `${base}/v1`, model: 'station-vlm', apiKey: 'k3y', timeoutMs: 5000 })
    expect(caption).toBe('A red rover on grey rocks under a pale sky.')
    const req = seen.at(-1)!
    expect(req.url).toBe('/v1/chat/completions')
    expect(req.headers!['content-type']).toBe('application/json')
    expect(req.headers!.authorization).toBe('Bearer k3y')
    expect(req.body.model).toBe('station-vlm')
    const parts = req.body.messages[0].content
    expect(req.body.messages[0].role).toBe('user')
    expect(parts.find((p: any) => p.type === 'text').text.length).toBeGreaterThan(20)
    const url: string = parts.find((p: any) => p.type === 'image_url').image_url.url
    expect(url.startsWith('data:image/png;base64,')).toBe(true)
    // The data URL decodes to the very image we sent.
    const { data, info } = await sharp(Buffer.from(url.split(',')[1], 'base64')).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, info.channels]).toEqual([8, 6, 3])
    expect(new Uint8Array(data)).toEqual(img.data)
  })

  it('omits the authorization header without an API key and keeps a full endpoint URL', async () => {
    handler = (req, body, res) => {
      seen.push({ url: req.url, headers: req.headers })
      reply(200, JSON.stringify({ choices: [{ message: { content: [{ type: 'text', text: 'Two parts' }, { type: 'text', text: 'of text.' }] } }] }))(req, body, res)
    }
    expect(await externalCaption(img, { url: `${base}/custom/chat/completions`, model: 'm' })).toBe('Two parts of text.')
    expect(seen.at(-1)!.url).toBe('/custom/chat/completions')
    expect(seen.at(-1)!.headers!.authorization).toBeUndefined()
  })

  it('reports non-2xx answers with the status', async () => {
    handler = reply(503, '{"error":{"message":"model is loading"}}')
    const e = await gscError(externalCaption(img, { url: base, model: 'm' }))
    expect(e.message).toMatch(/HTTP 503/)
    expect(e.message).toMatch(/model is loading/)
  })

  it('reports malformed JSON, missing content and empty captions', async () => {
    handler = reply(200, '{"choices": [')
    expect((await gscError(externalCaption(img, { url: base, model: 'm' }))).message).toMatch(/malformed JSON/)
    handler = reply(200, '{"choices": []}')
    expect((await gscError(externalCaption(img, { url: base, model: 'm' }))).message).toMatch(/without choices/)
    handler = reply(200, '{"choices": [{"message": {"content": "   "}}]}')
    expect((await gscError(externalCaption(img, { url: base, model: 'm' }))).message).toMatch(/empty caption/)
  })

  it('times out a server that never answers', async () => {
    handler = () => {} // hold the request open
    const t0 = Date.now()
    const e = await gscError(externalCaption(img, { url: base, model: 'm', timeoutMs: 300 }))
    expect(e.message).toMatch(/did not answer within 300 ms/)
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  it('reports a refused connection', async () => {
    // Bind and close a server to get a port nobody listens on.
    const tmp = createServer()
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r))
    const port = (tmp.address() as AddressInfo).port
    await new Promise<void>((r) => tmp.close(() => r()))
    const e = await gscError(externalCaption(img, { url: `http://127.0.0.1:${port}/v1`, model: 'm', timeoutMs: 3000 }))
    expect(e.message).toMatch(/refused the connection/)
  })

  it('validates its configuration', async () => {
    expect(() => chatCompletionsUrl('not a url')).toThrow(GscError)
    expect(() => chatCompletionsUrl('ftp://x/v1')).toThrow(/http/)
    expect(chatCompletionsUrl('http://h:1/v1/')).toBe('http://h:1/v1/chat/completions')
    await gscError(externalCaption(img, { url: base, model: '' }))
  })
})

describe('normalizeCaption', () => {
  it('trims, collapses whitespace and bounds the length', () => {
    expect(normalizeCaption('  a \n b\t c ')).toBe('a b c')
    expect(() => normalizeCaption('   ')).toThrow(GscError)
    expect(() => normalizeCaption('x'.repeat(1001))).toThrow(/at most 1000/)
    expect(normalizeCaption('x'.repeat(1000))).toHaveLength(1000)
  })
})
