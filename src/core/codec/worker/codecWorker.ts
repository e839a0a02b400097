// The codec worker thread: runs encode/decode jobs posted by runner.ts, reports progress,
// and aborts a job's AbortSignal when asked to cancel (the decoder checks it between flow steps).
import { parentPort } from 'node:worker_threads'
import { decodePacket } from '../decoder'
import { encodeImage } from '../encoder'
import { describeError, isGscError } from '../../util/errors'
import { readImage } from '../../util/image'
import type { JobReply, JobRequest } from './protocol'

if (!parentPort) throw new Error('codecWorker.ts must run in a worker thread')
const port = parentPort
const running = new Map<number, AbortController>()
const post = (m: JobReply) => port.postMessage(m)

port.on('message', async (msg: JobRequest) => {
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort()
    return
  }
  const ctl = new AbortController()
  running.set(msg.id, ctl)
  const onProgress = (progress: { stage: string; done: number; total: number }) => post({ type: 'progress', id: msg.id, progress })
  try {
    if (msg.kind === 'encode') {
      const img = typeof msg.image === 'string' ? await readImage(msg.image) : msg.image
      const value = await encodeImage(img, { ...msg.opts, signal: ctl.signal, onProgress })
      post({ type: 'result', id: msg.id, value })
    } else {
      const value = await decodePacket(msg.bytes, { ...msg.opts, signal: ctl.signal, onProgress })
      post({ type: 'result', id: msg.id, value })
    }
  } catch (e) {
    post({ type: 'error', id: msg.id, message: describeError(e), code: isGscError(e) ? e.code : undefined, gsc: isGscError(e) })
  } finally {
    running.delete(msg.id)
  }
})

post({ type: 'ready' })
