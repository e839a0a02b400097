// The operator's event log: the engine's own entries and the ones clients write (rate-limited, labelled
// "client:..."). It lives in the packet log's events table; the interface's finer severity rides in data.
import type { EventLogEntry, Severity } from '../../shared/api'
import { GscError } from '../util/errors'
import type { PacketLog } from '../store/packetLog'
import type { EventSeverity } from '../store/types'
import { ClientLogLimiter, type ClientLogLimits } from './clientLog'
import type { CallContext, HandlerTable } from './handlerTable'
import { SEVERITY_ORDER } from './uiStore'

const STORE_SEVERITY: Record<Severity, EventSeverity> = { debug: 'debug', info: 'info', watch: 'warning', warning: 'warning', distress: 'error', critical: 'error' }

export class EventLog {
  private clientLog: ClientLogLimiter

  constructor(private log: PacketLog, private emit: (e: EventLogEntry) => void, limits?: Partial<ClientLogLimits>) {
    this.clientLog = new ClientLogLimiter(limits)
  }

  add(severity: Severity, source: string, message: string, extra: { client?: string } = {}): EventLogEntry {
    const at = new Date()
    const id = this.log.addEvent({ severity: STORE_SEVERITY[severity], source, message, data: { severity, ...extra }, time: at })
    const e: EventLogEntry = { id, at: at.toISOString(), severity, source, message }
    this.emit(e)
    return e
  }

  list(limit = 300, min: Severity = 'debug'): EventLogEntry[] {
    const floor = SEVERITY_ORDER.indexOf(min)
    return this.log
      .listEvents({ limit: Math.min(10_000, limit * 4) })
      .map((e) => {
        const ui = (e.data as { severity?: Severity } | null)?.severity
        const severity: Severity = ui && SEVERITY_ORDER.includes(ui) ? ui : e.severity === 'error' ? 'distress' : (e.severity as Severity)
        return { id: e.id, at: e.time, severity, source: e.source, message: e.message }
      })
      .filter((e) => SEVERITY_ORDER.indexOf(e.severity) >= floor)
      .slice(0, limit)
  }

  /** An entry a client asks to log: rate-limited, and labelled as client-written (source "client:..."). */
  fromClient(severity: Severity, source: string, message: string, ctx: CallContext): EventLogEntry {
    const { perClient, total } = this.clientLog.limits
    const adm = this.clientLog.admit(ctx.client)
    if (!adm.ok) {
      if (adm.first) this.add('watch', 'engine', `client ${ctx.client} writes more than ${perClient} event-log entries a minute (or all clients more than ${total}); further entries are refused this minute`)
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
    if (n > 0) this.add('watch', 'engine', `${n} event-log entr${n === 1 ? 'y' : 'ies'} from client ${client} refused (rate limit)`)
  }
}

export function eventLogHandlers(events: EventLog): HandlerTable<'listEvents' | 'logEvent'> {
  return {
    listEvents: async (a) => events.list(a.limit, a.minSeverity),
    logEvent: async (a, c) => events.fromClient(a.severity, a.source, a.message, c)
  }
}
