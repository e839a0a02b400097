// Optional external captioner: any OpenAI-compatible chat-completions endpoint with image input
// (for example a station's own vision-language model server). The image goes as a PNG data URL.
import sharp from 'sharp'
import type { DetectorImage } from '../analysis/detector'
import { GscError } from '../util/errors'

export interface ExternalCaptionOptions {
  /** Full URL of the chat-completions endpoint, or a base URL ending in /v1. */
  url: string
  model: string
  timeoutMs?: number
  apiKey?: string
  /** Aborts the request (e.g. on SIGINT), in addition to the timeout. */
  signal?: AbortSignal
  /** Longest side of the image sent to the server; larger images are downscaled. Default 768. */
  maxSide?: number
}

export const CAPTION_MAX_CHARS = 1000

export const CAPTION_PROMPT =
  'Describe this image in one or two plain sentences (15 to 60 words) for someone who must redraw it: ' +
  'the setting, the main objects with their counts and positions, the colours and the lighting. No preamble.'

/** Trims and validates a caption (typed by an operator or returned by a captioner). */
export function normalizeCaption(text: string): string {
  if (typeof text !== 'string') throw new GscError('caption must be text')
  const t = text.replace(/\s+/g, ' ').trim()
  if (!t) throw new GscError('caption is empty')
  if (t.length > CAPTION_MAX_CHARS) throw new GscError(`caption is ${t.length} characters; at most ${CAPTION_MAX_CHARS} are allowed`)
  return t
}

export function chatCompletionsUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new GscError(`captioner URL '${url}' is not a valid URL`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new GscError(`captioner URL must be http(s), got '${url}'`)
  if (!/\/chat\/completions\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/$/, '') + '/chat/completions'
  return u.toString()
}

async function imageDataUrl(img: DetectorImage, maxSide: number): Promise<string> {
  if (img.data.length !== img.width * img.height * 3) throw new GscError('captioner: image data does not match its size')
  let s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
  if (Math.max(img.width, img.height) > maxSide) s = s.resize(maxSide, maxSide, { fit: 'inside' })
  const png = await s.png().toBuffer()
  return `data:image/png;base64,${png.toString('base64')}`
}

function causeCode(e: unknown): string | undefined {
  const c = (e as { cause?: { code?: string; errors?: { code?: string }[] } })?.cause
  return c?.code ?? c?.errors?.[0]?.code
}

export async function externalCaption(img: DetectorImage, opts: ExternalCaptionOptions): Promise<string> {
  const endpoint = chatCompletionsUrl(opts.url)
  if (!opts.model) throw new GscError('captioner: a model name is required (--model)')
  const timeoutMs = opts.timeoutMs ?? 30_000
  const body = {
    model: opts.model,
    temperature: 0,
    max_tokens: 160,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: CAPTION_PROMPT },
          { type: 'image_url', image_url: { url: await imageDataUrl(img, opts.maxSide ?? 768) } }
        ]
      }
    ]
  }
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`
  let res: Response
  let text: string
  try {
    res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal })
    text = await res.text()
  } catch (e) {
    if (timeout.aborted) throw new GscError(`captioner at ${endpoint} did not answer within ${timeoutMs} ms`, 'ETIMEDOUT')
    if (opts.signal?.aborted) throw new GscError('captioner request was cancelled', 'EABORT')
    const code = causeCode(e)
    if (code === 'ECONNREFUSED') throw new GscError(`captioner at ${endpoint} refused the connection (is the server running?)`, 'ECONNREFUSED')
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new GscError(`captioner host in ${endpoint} cannot be resolved`, 'ENOTFOUND')
    throw new GscError(`captioner at ${endpoint} is unreachable: ${code ?? (e as Error).message}`, 'ECONN')
  }
  if (!res.ok) {
    const detail = text.replace(/\s+/g, ' ').trim().slice(0, 160)
    throw new GscError(`captioner at ${endpoint} answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`, 'EHTTP')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new GscError(`captioner at ${endpoint} answered with malformed JSON`, 'EBADJSON')
  }
  const content = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content
  let caption: string | undefined
  if (typeof content === 'string') caption = content
  else if (Array.isArray(content)) {
    // Some servers return content parts; join their text.
    caption = content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join(' ')
  }
  if (caption === undefined) throw new GscError(`captioner at ${endpoint} answered without choices[0].message.content`, 'EBADJSON')
  if (!caption.trim()) throw new GscError(`captioner at ${endpoint} returned an empty caption`, 'EEMPTY')
  return normalizeCaption(caption)
}
