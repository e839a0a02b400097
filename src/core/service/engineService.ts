// The engine behind the interface: opens the packet archive and the interface's own state, routes each API
// call to its domain's handler table, and emits events. Plain Node; used by Electron's utilityProcess and
// by `gsc serve`. Each call is validated here, the one place, whichever front door it came through.
// The domains: packetHandlers (and packetFeed), reconstructionHandlers, captureJobHandlers,
// planningHandlers, modelHandlers, settingsHandlers and eventLog.
import { EventEmitter } from 'node:events'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { ArgsOf, EventMap, EventName, MethodName, ResultOf } from '../../shared/api'
import { validateCall } from '../../shared/validate'
import { decodeLimits } from '../bitstream/limits'
import { closeDetectors } from '../codec/sharedDetector'
import { isPostgresUrl, openArchive } from '../store/archive'
import { GscError } from '../util/errors'
import { AnalysisDomain } from './analysisHandlers'
import { archiveName, stationDir } from './archiveLocation'
import { captureJobHandlers } from './captureJobHandlers'
import { DecodeCache } from './decodeCache'
import type { EngineContext, ServiceOptions } from './engineContext'
import { EventLog, eventLogHandlers } from './eventLog'
import type { CallContext, HandlerTable } from './handlerTable'
import { JobRegistry } from './jobs'
import { ModelsDomain } from './modelHandlers'
import { PacketFeed } from './packetFeed'
import { packetHandlers } from './packetHandlers'
import { PlanningDomain } from './planningHandlers'
import { ReconstructionDomain } from './reconstructionHandlers'
import { decodeLimitsInForce, settingsHandlers } from './settingsHandlers'
import { workerHandlers } from './workerHandlers'
import { UiStore } from './uiStore'
import { LOCAL_CLIENT, UploadArea, formatBytes } from './uploads'

export type { ServiceOptions } from './engineContext'
export type { CallContext } from './handlerTable'

/** Every domain's handler table, by domain name. */
export type DomainTables = Record<string, Partial<HandlerTable<MethodName>>>

/** The methods some table of `D` implements. */
type Implemented<D> = { [N in keyof D]: keyof D[N] }[keyof D]

export class EngineService {
  private closed = false
  /** Method name -> handler, flattened from the domains' tables. */
  private routes: Partial<HandlerTable<MethodName>>

  private constructor(
    readonly events: EventEmitter,
    private engine: EngineContext,
    private reconstruction: ReconstructionDomain,
    /** One handler table per domain; each method is in exactly one (test/unit/api-validation.test.ts). */
    readonly domains: DomainTables
  ) {
    this.routes = Object.assign({}, ...Object.values(domains))
  }

  static async open(opts: ServiceOptions): Promise<EngineService> {
    const events = new EventEmitter()
    events.setMaxListeners(100)
    const emit = <E extends EventName>(event: E, data: EventMap[E]) => events.emit(event, data)
    const shared = isPostgresUrl(opts.dbFile)
    const work = opts.workDir ?? (shared ? stationDir(opts.dbFile) : `${opts.dbFile}.ui`)
    if (!shared) mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true })
    // A URL is only ever that server: an unreachable one fails here, naming it and why (no private file instead).
    const log = await openArchive(opts.dbFile)
    let ui: UiStore
    try {
      mkdirSync(work, { recursive: true })
      ui = new UiStore(path.join(work, 'interface.sqlite'))
    } catch (e) {
      await log.close()
      throw e
    }
    const eventLog = new EventLog(log, (e) => emit('log', e), opts.limits?.clientLog)
    let feed: PacketFeed
    try {
      feed = await PacketFeed.open(log, (data) => emit('packets', data), (e) =>
        void eventLog.add('distress', 'engine', `live feed from ${log.location} stopped: ${e.message}`)
      )
    } catch (e) {
      ui.close()
      await log.close()
      throw e
    }
    const ceiling = decodeLimits(opts.limits?.decode)
    const engine: EngineContext = {
      opts,
      log,
      ui,
      events: eventLog,
      jobs: new JobRegistry((j) => emit('job', j)),
      uploads: new UploadArea(path.join(work, 'uploads'), opts.limits?.uploads, (d) =>
        void eventLog.add('watch', 'upload', `upload of ${d.name} dropped (${d.reason}) after ${formatBytes(d.received)} of ${formatBytes(d.size)}; its file was removed`)
      ),
      feed,
      decodes: new DecodeCache(),
      limits: () => decodeLimitsInForce(ui, ceiling)
    }
    const reconstruction = new ReconstructionDomain(engine)
    const planning = new PlanningDomain(engine)
    const models = await ModelsDomain.open(engine)
    const domains = {
      packets: packetHandlers(engine),
      reconstruction: reconstruction.handlers,
      analysis: new AnalysisDomain(engine, (id) => reconstruction.reconstruct({ id })).handlers,
      captureJobs: captureJobHandlers(engine, (id) => reconstruction.reconstruct({ id })),
      planning: planning.handlers,
      models: models.handlers,
      settings: settingsHandlers(engine, ceiling),
      workers: workerHandlers(reconstruction.routing),
      eventLog: eventLogHandlers(eventLog)
    }
    // A compile error names any API method no domain implements.
    type Missing = Exclude<MethodName, Implemented<typeof domains>>
    const everyMethodHandled: [Missing] extends [never] ? true : Missing = true
    void everyMethodHandled
    await eventLog.add('info', 'engine', `engine started on ${archiveName(log.kind, log.location)} (${opts.frontDoor})`)
    if (engine.uploads.sweptAtStart > 0) void eventLog.add('info', 'engine', `removed ${engine.uploads.sweptAtStart} upload file(s) or folder(s) left by engines no longer running`)
    return new EngineService(events, engine, reconstruction, domains)
  }

  /** The archive as messages name it: the SQLite file's full path, or the PostgreSQL URL without its password. */
  get archive(): string {
    return archiveName(this.engine.log.kind, this.engine.log.location)
  }

  on<E extends EventName>(event: E, listener: (data: EventMap[E]) => void): () => void {
    this.events.on(event, listener)
    return () => this.events.off(event, listener)
  }

  /** One call from a front door, as the client sent it: validated here (the only place), then routed. */
  async handle(method: unknown, args: unknown, ctx: CallContext = { client: LOCAL_CLIENT }): Promise<unknown> {
    const call = validateCall(method, args)
    if (this.closed) throw new GscError('the engine is shutting down')
    const h = this.routes[call.method] as ((a: unknown, c: CallContext) => Promise<unknown>) | undefined
    if (!h) throw new Error(`${call.method}: no handler in this engine`)
    return h(call.args, ctx)
  }

  /** The typed form of handle, for callers in this process. */
  call<M extends MethodName>(method: M, args: ArgsOf<M>, ctx?: CallContext): Promise<ResultOf<M>> {
    return this.handle(method, args, ctx) as Promise<ResultOf<M>>
  }

  /** A client's connection closed: its unfinished uploads go, and its refused log entries are recorded. */
  clientGone(client: string): void {
    if (this.closed) return
    this.engine.uploads.dropClient(client)
    this.engine.events.clientGone(client)
  }

  /** A file the operator chose in a native dialog (Electron main only; not reachable from the renderer). */
  registerPath(file: string): string {
    return this.engine.uploads.registerPath(file)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const { jobs, uploads, log, ui, feed, events } = this.engine
    jobs.cancelAll()
    await new Promise((r) => setTimeout(r, 50))
    uploads.close()
    await this.reconstruction.close()
    await feed.close()
    await events.flush()
    await log.close()
    ui.close()
    await closeDetectors()
  }
}
