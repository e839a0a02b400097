// The client half of the protocol (src/shared/protocol.ts), shared by Electron main (talking to the engine's
// utilityProcess) and the browser (talking to gsc serve): numbered requests awaiting their replies, and
// subscribers to pushed events.
import type { EventName } from './api'
import { fromWireError } from './errors'
import { isPush, isReply, type RequestId } from './protocol'

interface Pending {
  resolve(v: unknown): void
  reject(e: Error): void
}

/** Listeners per pushed event. */
export class EventHub {
  private listeners = new Map<EventName, Set<(data: unknown) => void>>()

  /** Returns the unsubscribe function. */
  on(event: EventName, listener: (data: unknown) => void): () => void {
    const set = this.listeners.get(event) ?? new Set()
    this.listeners.set(event, set)
    set.add(listener)
    return () => set.delete(listener)
  }

  emit(event: EventName, data: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(data)
  }
}

export class RpcClient {
  readonly events = new EventHub()
  private pending = new Map<RequestId, Pending>()
  private nextId = 1

  /** Posts `body` with a fresh id; settles when its reply is received or the link drops (dropAll). */
  request<B extends object>(post: (msg: B & { id: number }) => void, body: B): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      try {
        post({ ...body, id })
      } catch (e) {
        this.pending.delete(id)
        reject(e instanceof Error ? e : new Error(String(e)))
      }
    })
  }

  /** One message from the engine: a reply settles its request, a push goes to the event's subscribers. */
  receive(msg: unknown): void {
    if (isPush(msg)) return this.events.emit(msg.event, msg.data)
    if (!isReply(msg) || msg.id === null) return
    const p = this.pending.get(msg.id)
    if (!p) return
    this.pending.delete(msg.id)
    if ('error' in msg) p.reject(fromWireError(msg.error))
    else p.resolve(msg.result)
  }

  /** The link is gone: every request still waiting fails with `reason`. */
  dropAll(reason: string): void {
    for (const p of this.pending.values()) p.reject(new Error(reason))
    this.pending.clear()
  }
}
