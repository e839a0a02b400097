// The codec worker thread: runs encode/decode jobs posted by runner.ts one at a time (so the memory of decodes is
// that of one, bounded by the station's pixel limit: docs/bitstream.md 4.1), reports progress, and aborts a job's
// AbortSignal when asked to cancel (the decoder checks it between flow steps; a job cancelled while queued never runs).
import { parentPort } from 'node:worker_threads'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { decodePacket } from '../decoder'
import { encodeImage } from '../encoder'
import { describeError, isGscError } from '../../util/errors'
import { CancelledError } from '../cancellation'
import { readImage } from '../../image/rgbImage'
import type { JobReply, JobRequest } from './protocol'
import { ARENA_KEEP_PIXELS } from '../codecModels'

// After a large job its arrays (latents, flow state, planar and RGB images: hundreds of MB at the pixel limit) are
// garbage that V8 collects only when something allocates again; an idle station would hold them. So the worker
// collects right away after a job over ARENA_KEEP_PIXELS (the model sessions of such a decode are released too).
setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

if (!parentPort) throw new Error('codecWorker.ts must run in a worker thread')
const port = parentPort
const jobs = new Map<number, { ctl: AbortController; kind: string; started: boolean }>()
const post = (m: JobReply) => port.postMessage(m)
let queue: Promise<void> = Promise.resolve()

port.on('message', (msg: JobRequest) => {
  if (msg.type === 'cancel') {
    const job = jobs.get(msg.id)
    job?.ctl.abort()
    // A queued job answers at once, so the runner never stops the worker (and the job running in it) over it.
    if (job && !job.started) {
      jobs.delete(msg.id)
      post({ type: 'error', id: msg.id, message: new CancelledError(job.kind).message, code: 'ECANCELLED', gsc: true })
    }
    return
  }
  jobs.set(msg.id, { ctl: new AbortController(), kind: msg.kind, started: false })
  queue = queue.then(() => run(msg))
})

async function run(msg: Extract<JobRequest, { type: 'job' }>): Promise<void> {
  const job = jobs.get(msg.id)
  if (!job) return // cancelled while queued (answered then)
  job.started = true
  const ctl = job.ctl
  let large = false
  const onProgress = (progress: { stage: string; done: number; total: number }) => post({ type: 'progress', id: msg.id, progress })
  try {
    if (msg.kind === 'encode') {
      const img = typeof msg.image === 'string' ? await readImage(msg.image) : msg.image
      const value = await encodeImage(img, { ...msg.opts, signal: ctl.signal, onProgress })
      post({ type: 'result', id: msg.id, value })
      large = value.width * value.height > ARENA_KEEP_PIXELS
    } else {
      const value = await decodePacket(msg.bytes, { ...msg.opts, signal: ctl.signal, onProgress })
      post({ type: 'result', id: msg.id, value })
      large = value.image.width * value.image.height > ARENA_KEEP_PIXELS
    }
  } catch (e) {
    post({ type: 'error', id: msg.id, message: describeError(e), code: isGscError(e) ? e.code : undefined, gsc: isGscError(e) })
  } finally {
    jobs.delete(msg.id)
    if (large) setImmediate(collect) // once this job's frame is gone
  }
}

post({ type: 'ready' })
