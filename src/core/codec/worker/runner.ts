// Runs encode/decode jobs on a worker thread so the thread serving the UI/API stays responsive.
// Cancellation: the job's AbortSignal is forwarded to the worker, which stops between flow steps;
// if the worker has not answered within `cancelGraceMs`, it is terminated (and respawned on demand).
import { Worker } from 'node:worker_threads'
import { GscError } from '../../util/errors'
import type { RgbImage } from '../../image/rgbImage'
import type { DecodeResult } from '../decoder'
import type { CodecProgress, EncodeResult } from '../types'
import { CancelledError } from '../cancellation'
import type { DecodeJobOptions, EncodeJobOptions, JobReply, JobRequest } from './protocol'

export type { DecodeJobOptions, EncodeJobOptions } from './protocol'

export interface JobControl {
  signal?: AbortSignal
  onProgress?(p: CodecProgress): void
}

export interface CodecRunner {
  encode(image: RgbImage | string, opts?: EncodeJobOptions, ctl?: JobControl): Promise<EncodeResult>
  decode(bytes: Uint8Array, opts?: DecodeJobOptions, ctl?: JobControl): Promise<DecodeResult>
  /** Jobs in flight. */
  readonly pending: number
  close(): Promise<void>
}

export interface RunnerOptions {
  /** Worker entry (default: bootstrap.mjs beside this file, which loads the .ts worker via tsx). */
  workerUrl?: URL
  /** How long a cancelled job may take to stop before the worker is terminated (default 2000 ms). */
  cancelGraceMs?: number
}

/** A job request before the runner numbers it. */
type JobBody = Extract<JobRequest, { type: 'job' }> extends infer J ? (J extends unknown ? Omit<J, 'id'> : never) : never

interface Pending {
  resolve(v: unknown): void
  reject(e: unknown): void
  onProgress?(p: CodecProgress): void
  cancelled: boolean
  timer?: NodeJS.Timeout
  cleanup(): void
}

export function createCodecRunner(opts: RunnerOptions = {}): CodecRunner {
  const workerUrl = opts.workerUrl ?? new URL('./bootstrap.mjs', import.meta.url)
  const grace = opts.cancelGraceMs ?? 2000
  let worker: Worker | null = null
  let nextId = 1
  let closed = false
  const jobs = new Map<number, Pending>()

  const settle = (id: number, fn: (p: Pending) => void) => {
    const p = jobs.get(id)
    if (!p) return
    jobs.delete(id)
    if (p.timer) clearTimeout(p.timer)
    p.cleanup()
    fn(p)
  }

  const spawn = (): Worker => {
    const w = new Worker(workerUrl)
    w.on('message', (m: JobReply) => {
      if (m.type === 'progress') jobs.get(m.id)?.onProgress?.(m.progress)
      else if (m.type === 'result') settle(m.id, (p) => p.resolve(m.value))
      else if (m.type === 'error')
        settle(m.id, (p) => p.reject(m.code === 'ECANCELLED' || p.cancelled ? new CancelledError() : m.gsc ? new GscError(m.message, m.code) : new Error(m.message)))
    })
    const fail = (why: string) => {
      if (worker === w) worker = null
      for (const id of [...jobs.keys()]) settle(id, (p) => p.reject(p.cancelled ? new CancelledError() : new GscError(`codec worker stopped: ${why}`)))
    }
    w.on('error', (e) => fail(e.message))
    w.on('exit', (code) => fail(`exit code ${code}`))
    w.unref()
    return w
  }

  const submit = <T>(req: JobBody, ctl: JobControl = {}): Promise<T> => {
    if (closed) return Promise.reject(new GscError('codec runner is closed'))
    if (ctl.signal?.aborted) return Promise.reject(new CancelledError())
    worker ??= spawn()
    const w = worker
    w.ref()
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const p = jobs.get(id)
        if (!p || p.cancelled) return
        p.cancelled = true
        w.postMessage({ type: 'cancel', id } satisfies JobRequest)
        // Last resort: a job stuck inside one native call cannot see the signal.
        p.timer = setTimeout(() => {
          if (jobs.has(id)) void w.terminate()
        }, grace)
      }
      ctl.signal?.addEventListener('abort', onAbort, { once: true })
      jobs.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: ctl.onProgress,
        cancelled: false,
        cleanup: () => {
          ctl.signal?.removeEventListener('abort', onAbort)
          if (jobs.size === 0) w.unref()
        }
      })
      w.postMessage({ ...req, id } as JobRequest)
    })
  }

  return {
    encode: (image, o = {}, ctl) => submit<EncodeResult>({ type: 'job', kind: 'encode', image, opts: o }, ctl),
    decode: (bytes, o = {}, ctl) => submit<DecodeResult>({ type: 'job', kind: 'decode', bytes, opts: o }, ctl),
    get pending() {
      return jobs.size
    },
    async close() {
      closed = true
      const w = worker
      worker = null
      if (w) await w.terminate()
    }
  }
}
