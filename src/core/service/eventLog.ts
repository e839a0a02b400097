// The operator's event log: the engine's own entries and the ones clients write (rate-limited, labelled
// "client:..."). It lives in the packet archive's events table (shared by every instance on a PostgreSQL archive);
// the interface's finer severity rides in data.
import type { EventLogEntry, Severity } from '../../shared/api'
import { GscError, describeError } from '../util/errors'
import type { PacketArchive } from '../store/archive'
import type { EventSeverity } from '../store/types'
import { ClientLogLimiter, type ClientLogLimits } from './clientLog'
import type { CallContext, HandlerTable } from './handlerTable'
import { SEVERITY_ORDER } from './uiStore'

const STORE_SEVERITY: Record<Severity, EventSeverity> = { debug: 'debug', info: 'info', watch: 'warning', warning: 'warning', distress: 'error', critical: 'error' }

export class EventLog {
  private clientLog: ClientLogLimiter
  /** Writes not finished yet (close waits for them). */
  private pending = new Set<Promise<unknown>>()

  constructor(private log: PacketArchive, private emit: (e: EventLogEntry) => void, limits?: Partial<ClientLogLimits>) {
    this.clientLog = new ClientLogLimiter(limits)
  }

  /**
   * Records an entry and tells subscribers once it is stored. Callers that only report need not wait: a write that
   * fails (the archive's server gone) is said on stderr, as the event log itself cannot take it.
   */
  add(severity: Severity, source: string, message: string, extra: { client?: string } = {}): Promise<EventLogEntry> {
    const at = new Date()
    const write = this.log.addEvent({ severity: STORE_SEVERITY[severity], source, message, data: { severity, ...extra }, time: at }).then((id) => {
      const e: EventLogEntry = { id, at: at.toISOString(), severity, source, message }
      this.emit(e)
      return e
    })
    this.pending.add(write)
    const settled = () => this.pending.delete(write)
    write.then(settled, (err: unknown) => {
      settled()
      process.stderr.write(`gsc: event log entry not stored in ${this.log.location} (${describeError(err)}): ${source}: ${message}\n`)
    })
    return write
  }

  /** Waits for the entries being written. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending])
  }

  async list(limit = 300, min: Severity = 'debug'): Promise<EventLogEntry[]> {
    const floor = SEVERITY_ORDER.indexOf(min)
    return (await this.log.listEvents({ limit: Math.min(10_000, limit * 4) }))
      .map((e) => {
        const ui = (e.data as { severity?: Severity } | null)?.severity
        const severity: Severity = ui && SEVERITY_ORDER.includes(ui) ? ui : e.severity === 'error' ? 'distress' : (e.severity as Severity)
        return { id: e.id, at: e.time, severity, source: e.source, message: e.message }
      })
      .filter((e) => SEVERITY_ORDER.indexOf(e.severity) >= floor)
      .slice(0, limit)
  }

  /** An entry a client asks to log: rate-limited, and labelled as client-written (source "client:..."). */
  async fromClient(severity: Severity, source: string, message: string, ctx: CallContext): Promise<EventLogEntry> {
    const { perClient, total } = this.clientLog.limits
    const adm = this.clientLog.admit(ctx.client)
    if (!adm.ok) {
      if (adm.first) void this.add('watch', 'engine', `client ${ctx.client} writes more than ${perClient} event-log entries a minute (or all clients more than ${total}); further entries are refused this minute`)
      throw new GscError(`event log: too many entries (at most ${perClient} a minute per client, ${total} from all clients); try again later`, 'ERATE')
    }
    this.recordRefused(ctx.client, adm.refusedBefore)
    return this.add(severity, `client:${source}`, message, { client: ctx.client })
  }

  /** A client's connection closed: the entries it had refused are recorded. */
  clientGone(client: string): void {
    this.recordRefused(client, this.clientLog.forget(client))
  }

  private recordRefused(client: string, n: number): void {
    if (n > 0) void this.add('watch', 'engine', `${n} event-log entr${n === 1 ? 'y' : 'ies'} from client ${client} refused (rate limit)`)
  }
}

export function eventLogHandlers(events: EventLog): HandlerTable<'listEvents' | 'logEvent'> {
  return {
    listEvents: async (a) => events.list(a.limit, a.minSeverity),
    logEvent: async (a, c) => events.fromClient(a.severity, a.source, a.message, c)
  }
}
