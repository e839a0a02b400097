// Runs in Electron main: owns the utilityProcess running the engine (src/main/utilityProcess/engineHost.ts),
// forwards calls, relays events, restarts it on failure.
import { utilityProcess, type UtilityProcess } from 'electron'
import { EventEmitter } from 'node:events'
import type { EventName } from '../shared/api'
import { EVENT_NAMES } from '../shared/protocol'
import { RpcClient } from '../shared/rpcClient'
import type { FromEngineHost, ToEngineHost } from './hostMessages'

type Body<M> = M extends unknown ? Omit<M, 'id'> : never

export class EngineProcess extends EventEmitter {
  private child: UtilityProcess | null = null
  private ready: Promise<void> | null = null
  private rpc = new RpcClient()
  private restarts = 0
  private stopping = false

  constructor(private entry: string, private env: Record<string, string>) {
    super()
    for (const name of EVENT_NAMES) this.rpc.events.on(name, (data) => this.emit('event', name, data))
  }

  start(): Promise<void> {
    if (this.ready) return this.ready
    this.ready = new Promise<void>((resolve, reject) => {
      const child = utilityProcess.fork(this.entry, [], { serviceName: 'GSC engine', env: { ...process.env, ...this.env }, stdio: 'inherit' })
      this.child = child
      child.on('message', (msg: FromEngineHost) => {
        if ('ready' in msg) {
          this.restarts = 0
          resolve()
        } else if ('fatal' in msg) reject(new Error(msg.fatal))
        else this.rpc.receive(msg)
      })
      child.on('exit', (code) => {
        this.child = null
        this.ready = null
        this.rpc.dropAll('the engine stopped; retrying')
        reject(new Error(`engine exited with code ${code}`))
        if (this.stopping) return
        // Restart with backoff; after repeated failures keep trying slowly rather than give up.
        const delay = Math.min(30_000, 500 * 2 ** this.restarts++)
        const log: EventName = 'log'
        this.emit('event', log, { id: 0, at: new Date().toISOString(), severity: 'distress', source: 'engine', message: `engine process exited (code ${code}); restarting in ${delay} ms` })
        setTimeout(() => this.start().catch(() => {}), delay)
      })
    })
    return this.ready
  }

  async send(body: Body<ToEngineHost>): Promise<unknown> {
    await this.start()
    return this.rpc.request((msg) => this.child!.postMessage(msg), body)
  }

  /** One call from the page, as it came: the engine validates it. */
  call(method: unknown, args: unknown): Promise<unknown> {
    return this.send({ method, args })
  }

  stop(): void {
    this.stopping = true
    this.child?.kill()
  }
}
