// What Electron main and the engine host (src/main/utilityProcess/engineHost.ts) send each other: the
// protocol's requests, replies and pushes (src/shared/protocol.ts), plus the host's own start-up and
// control messages, which never come from the page.
import type { PushMessage, ReplyMessage, RequestId, RequestMessage } from '../shared/protocol'

/** A file the operator chose in a native dialog, registered by main alone (no API method reaches it). */
export interface RegisterPathMessage {
  id: RequestId
  internal: 'registerPath'
  path: string
}

export type ToEngineHost = RequestMessage | RegisterPathMessage

/** `ready` once the engine is open; `fatal` when it cannot start. */
export type FromEngineHost = ReplyMessage | PushMessage | { ready: true } | { fatal: string }
