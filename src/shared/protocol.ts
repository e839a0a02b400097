// The one wire protocol between a front door and the engine, whatever carries it (Electron's
// utilityProcess port, gsc serve's WebSocket):
//   request {id, method, args} -> reply {id, result} | {id, error: {message, code}};  push {event, data}.
import type { EventMap, EventName } from './api'
import { toWireError, type WireError } from './errors'
import { ApiArgumentError } from './validate'

export type RequestId = number | string

export interface RequestMessage {
  id: RequestId
  /** Checked by the engine (validateCall), not here. */
  method: unknown
  args?: unknown
}

/** What a call came to: its result, or the error a client is shown. */
export type Outcome = { result: unknown } | { error: WireError }

/** A reply names its request; `id` is null only when the request had none that could be read. */
export type ReplyMessage = { id: RequestId | null } & Outcome

export interface PushMessage<E extends EventName = EventName> {
  event: E
  data: EventMap[E]
}

/** Every event the engine pushes. */
export const EVENT_NAMES: readonly EventName[] = ['packets', 'job', 'log']

/** Runs one call and maps a failure through the one error mapping (toWireError). Never throws. */
export async function settle(work: () => unknown): Promise<Outcome> {
  try {
    return { result: await work() }
  } catch (e) {
    return { error: toWireError(e) }
  }
}

/** A request read from a client: it must be an object with an id; its method and arguments the engine checks. */
export function readRequest(msg: unknown): RequestMessage {
  const m = msg as Partial<RequestMessage> | null
  const id = typeof m === 'object' && m !== null ? m.id : undefined
  if (typeof id !== 'number' && typeof id !== 'string') throw new ApiArgumentError('message needs an id')
  return { id, method: m!.method, args: m!.args }
}

export function isPush(msg: unknown): msg is PushMessage {
  return typeof msg === 'object' && msg !== null && typeof (msg as { event?: unknown }).event === 'string'
}

export function isReply(msg: unknown): msg is ReplyMessage {
  return typeof msg === 'object' && msg !== null && 'id' in msg && ('result' in msg || 'error' in msg)
}
