// Rate limit for event-log entries written by clients (logEvent): at most `perClient` a minute from
// one client and `total` a minute from all clients together, counted in fixed one-minute windows.
// Refused entries are counted, so the engine can record how many it turned away.

export interface ClientLogLimits {
  /** Entries one client may write per minute. */
  perClient: number
  /** Entries all clients together may write per minute. */
  total: number
}

export const DEFAULT_CLIENT_LOG_LIMITS: ClientLogLimits = { perClient: 30, total: 120 }

const WINDOW_MS = 60_000

interface Window {
  start: number
  written: number
  refused: number
}

export type Admission =
  /** `refusedBefore`: entries of this client refused in its previous window, not yet recorded. */
  | { ok: true; refusedBefore: number }
  /** `first`: the first refusal of this window (record it once). */
  | { ok: false; first: boolean }

export class ClientLogLimiter {
  private clients = new Map<string, Window>()
  private all: Window = { start: 0, written: 0, refused: 0 }
  readonly limits: ClientLogLimits

  constructor(limits: Partial<ClientLogLimits> = {}) {
    this.limits = { ...DEFAULT_CLIENT_LOG_LIMITS, ...limits }
  }

  admit(client: string, now = Date.now()): Admission {
    let w = this.clients.get(client)
    let refusedBefore = 0
    if (!w || now - w.start >= WINDOW_MS) {
      refusedBefore = w?.refused ?? 0
      w = { start: now, written: 0, refused: 0 }
      this.clients.set(client, w)
    }
    if (now - this.all.start >= WINDOW_MS) this.all = { start: now, written: 0, refused: 0 }
    if (w.written >= this.limits.perClient || this.all.written >= this.limits.total) {
      w.refused++
      // refusals carried over from the last window still need recording: keep them in this one
      w.refused += refusedBefore
      return { ok: false, first: w.refused === 1 + refusedBefore }
    }
    w.written++
    this.all.written++
    return { ok: true, refusedBefore }
  }

  /** Forgets a client, returning how many of its entries were refused and not yet recorded. */
  forget(client: string): number {
    const w = this.clients.get(client)
    this.clients.delete(client)
    return w?.refused ?? 0
  }
}
