// Owns the utilityProcess running the engine: forwards calls, relays events, restarts it on failure.
import { utilityProcess, type UtilityProcess } from 'electron'
import { EventEmitter } from 'node:events'

interface Pending {
  resolve(v: unknown): void
  reject(e: Error): void
}

export class EngineProcess extends EventEmitter {
  private child: UtilityProcess | null = null
  private ready: Promise<void> | null = null
  private pending = new Map<number, Pending>()
  private nextId = 1
  private restarts = 0
  private stopping = false

  constructor(private entry: string, private env: Record<string, string>) {
    super()
  }

  start(): Promise<void> {
    if (this.ready) return this.ready
    this.ready = new Promise<void>((resolve, reject) => {
      const child = utilityProcess.fork(this.entry, [], { serviceName: 'GSC engine', env: { ...process.env, ...this.env }, stdio: 'inherit' })
      this.child = child
      child.on('message', (msg: { id?: number; result?: unknown; error?: { message: string; code: string }; event?: string; data?: unknown; ready?: boolean; fatal?: string }) => {
        if (msg.ready) {
          this.restarts = 0
          resolve()
        } else if (msg.fatal) reject(new Error(msg.fatal))
        else if (msg.event) this.emit('event', msg.event, msg.data)
        else if (msg.id !== undefined) {
          const p = this.pending.get(msg.id)
          this.pending.delete(msg.id)
          if (msg.error) p?.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }))
          else p?.resolve(msg.result)
        }
      })
      child.on('exit', (code) => {
        this.child = null
        this.ready = null
        for (const p of this.pending.values()) p.reject(new Error('the engine stopped; retrying'))
        this.pending.clear()
        reject(new Error(`engine exited with code ${code}`))
        if (this.stopping) return
        // Restart with backoff; after repeated failures keep trying slowly rather than give up.
        const delay = Math.min(30_000, 500 * 2 ** this.restarts++)
        this.emit('event', 'log', { id: 0, at: new Date().toISOString(), severity: 'distress', source: 'engine', message: `engine process exited (code ${code}); restarting in ${delay} ms` })
        setTimeout(() => this.start().catch(() => {}), delay)
      })
    })
    return this.ready
  }

  async send(msg: Record<string, unknown>): Promise<unknown> {
    await this.start()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child!.postMessage({ ...msg, id })
    })
  }

  call(method: string, args: unknown): Promise<unknown> {
    return this.send({ method, args })
  }

  stop(): void {
    this.stopping = true
    this.child?.kill()
  }
}
