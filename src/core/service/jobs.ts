// Long-running work (imports, replays, decodes): progress, cancellation, one event per change.
import { randomBytes } from 'node:crypto'
import type { JobInfo, JobKind } from '../../shared/api'
import { GscError } from '../util/errors'

export interface JobHandle {
  info: JobInfo
  signal: AbortSignal
  progress(done: number, total?: number | null, detail?: string | null): void
  /** Extra controls (replay pause/speed) read by the running task. */
  controls: { paused: boolean; speed: number; wake: () => void }
}

export class JobRegistry {
  private jobs = new Map<string, { handle: JobHandle; controller: AbortController; lastEmit: number }>()

  constructor(private emit: (j: JobInfo) => void) {}

  start<T>(kind: JobKind, label: string, task: (job: JobHandle) => Promise<T>, extra: Partial<JobInfo> = {}): { job: JobHandle; done: Promise<T> } {
    const id = `${kind}-${randomBytes(6).toString('hex')}`
    const controller = new AbortController()
    const info: JobInfo = { id, kind, label, state: 'running', done: 0, total: null, detail: null, error: null, startedAt: new Date().toISOString(), ...extra }
    const entry = { controller, lastEmit: 0, handle: undefined as unknown as JobHandle }
    const handle: JobHandle = {
      info,
      signal: controller.signal,
      controls: { paused: false, speed: extra.speed ?? 1, wake: () => {} },
      progress: (done, total, detail) => {
        info.done = done
        if (total !== undefined) info.total = total
        if (detail !== undefined) info.detail = detail
        // At most ~10 progress events a second per job; the final state always goes out.
        const now = Date.now()
        if (now - entry.lastEmit >= 100) {
          entry.lastEmit = now
          this.emit({ ...info })
        }
      }
    }
    entry.handle = handle
    this.jobs.set(id, entry)
    this.emit({ ...info })
    const done = task(handle).then(
      (r) => {
        info.state = controller.signal.aborted ? 'cancelled' : 'done'
        this.finish(id)
        return r
      },
      (e) => {
        info.state = controller.signal.aborted ? 'cancelled' : 'failed'
        info.error = controller.signal.aborted ? 'cancelled by operator' : e instanceof Error ? e.message.split('\n')[0] : String(e)
        this.finish(id)
        throw e
      }
    )
    return { job: handle, done }
  }

  private finish(id: string): void {
    const e = this.jobs.get(id)
    if (!e) return
    this.emit({ ...e.handle.info })
    // Keep finished jobs for a while so a reconnecting client can see how they ended.
    setTimeout(() => this.jobs.delete(id), 5 * 60_000).unref?.()
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((e) => ({ ...e.handle.info }))
  }

  get(id: string): JobHandle {
    const e = this.jobs.get(id)
    if (!e) throw new GscError(`no job ${id}`)
    return e.handle
  }

  cancel(id: string): JobInfo {
    const e = this.jobs.get(id)
    if (!e) throw new GscError(`no job ${id}`)
    if (e.handle.info.state === 'running') {
      e.controller.abort()
      e.handle.controls.wake()
    }
    return { ...e.handle.info }
  }

  update(id: string): void {
    const e = this.jobs.get(id)
    if (e) this.emit({ ...e.handle.info })
  }

  cancelAll(): void {
    for (const e of this.jobs.values()) if (e.handle.info.state === 'running') e.controller.abort()
  }
}
