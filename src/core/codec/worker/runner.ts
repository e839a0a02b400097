// Runs encode/decode jobs on a worker thread so the thread serving the UI/API stays responsive.
// Cancellation: the job's AbortSignal is forwarded to the worker, which stops between flow steps;
// if the worker has not answered within `cancelGraceMs`, the job is given up and its worker retired: terminated once
// idle (never inside an onnxruntime call, which would abort the process), and respawned on demand.
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
  /** How long a cancelled job may take to stop before it is given up: the caller gets CancelledError and new jobs go
   * to a fresh worker (default 2000 ms). */
  cancelGraceMs?: number
  /** How long a given-up worker may go on before it is terminated regardless (default 60000 ms). */
  retireLimitMs?: number
}

/** A job request before the runner numbers it. */
type JobBody = Extract<JobRequest, { type: 'job' }> extends infer J ? (J extends unknown ? Omit<J, 'id'> : never) : never

interface Pending {
  resolve(v: unknown): void
  reject(e: unknown): void
  onProgress?(p: CodecProgress): void
  cancelled: boolean
  worker: Worker
  timer?: NodeJS.Timeout
  cleanup(): void
}

export function createCodecRunner(opts: RunnerOptions = {}): CodecRunner {
  const workerUrl = opts.workerUrl ?? new URL('./bootstrap.mjs', import.meta.url)
  const grace = opts.cancelGraceMs ?? 2000
  const retireLimit = opts.retireLimitMs ?? 60000
  let worker: Worker | null = null
  // Workers given up on while inside a job. Terminating a thread during an onnxruntime call aborts the whole process
  // (a native exception in the addon's teardown), so a retired worker is terminated once it is idle, or after
  // retireLimit for one that never answers.
  const retired = new Set<Worker>()
  const busy = (w: Worker) => [...jobs.values()].some((p) => p.worker === w)
  const endIfIdle = (w: Worker) => {
    if (retired.has(w) && !busy(w)) {
      retired.delete(w)
      void w.terminate()
    }
  }
  const retire = (w: Worker) => {
    if (worker === w) worker = null
    if (retired.has(w)) return
    retired.add(w)
    setTimeout(() => {
      if (retired.delete(w)) void w.terminate()
    }, retireLimit).unref()
    endIfIdle(w)
  }
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
      if (m.type !== 'progress') endIfIdle(w)
    })
    const fail = (why: string) => {
      if (worker === w) worker = null
      retired.delete(w)
      for (const [id, p] of [...jobs.entries()]) if (p.worker === w) settle(id, (q) => q.reject(q.cancelled ? new CancelledError() : new GscError(`codec worker stopped: ${why}`)))
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
        // Last resort: a job stuck inside one native call cannot see the signal. Give it up (the caller is answered,
        // new jobs get a fresh worker) and retire its worker, which is terminated once the call has returned.
        p.timer = setTimeout(() => {
          if (!jobs.has(id)) return
          settle(id, (q) => q.reject(new CancelledError()))
          retire(w)
        }, grace)
      }
      ctl.signal?.addEventListener('abort', onAbort, { once: true })
      jobs.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: ctl.onProgress,
        cancelled: false,
        worker: w,
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
      // an idle worker ends now; a busy one when its native call returns (see retire)
      if (w && !busy(w)) await w.terminate()
      else if (w) retire(w)
    }
  }
}
