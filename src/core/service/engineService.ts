// The engine behind the interface: implements every API method on top of the packet log, codec,
// detector and planner. Plain Node; used by Electron's utilityProcess and by `gsc serve`.
import { EventEmitter } from 'node:events'
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type {
  ArgsOf, EventMap, EventName, GapInfo, JobInfo, MethodName, ModelInfo, PacketDetail, PacketSummary,
  Reconstruction, ResultOf, Severity, TransmittedBox, CalibrationTable, Comparison, EventLogEntry, BaselineCodecId, BaselineFit
} from '../../shared/api'
import type { EventSeverity } from '../store/types'
import { SEVERITY_ORDER } from './uiStore'
import { GscError, describeError } from '../util/errors'
import { validateCall } from '../../shared/validate'
import { cocoName } from '../analysis/coco'
import { detectionAgreement } from '../analysis/detections'
import { loadDetector, type Detector } from '../analysis/detector'
import { plan } from '../planner/planner'
import { planImagesFromTable, type CalibrationTable as BenchTable } from '../planner/calibration'
import type { PlanImage } from '../planner/types'
import type { PacketRecord, PacketQuery, PacketSummary as StoreSummary } from '../store/types'
import { JobRegistry, type JobHandle } from './jobs'
import { LOCAL_CLIENT, UploadArea, formatBytes, hidePath, type UploadLimits } from './uploads'
import { ClientLogLimiter, type ClientLogLimits } from './clientLog'
import { UiStore } from './uiStore'
import { decodeToRgb, pngDataUrl } from './images'
import { psnr } from '../analysis/metrics'
import { estimateFromLog, parseBenchResults, type LogPacketForEstimate } from './calibrationView'
import * as parts from './engineParts'
import { DEFAULT_BASELINE, PromiseCache, fitBaseline } from './baselineCompare'
import { modelSetStatus } from '../models/manifest'
import { inspectPacket } from '../bitstream/inspect'
import type { RgbImage } from '../util/image'
import { checkPixelLimit, decodeLimits, type DecodeLimits } from '../bitstream/limits'

export interface ServiceOptions {
  dbFile: string
  frontDoor: 'electron' | 'serve'
  /** Where uploads and the interface's own state live (default: beside the database). */
  workDir?: string
  modelsDir?: string
  /** Limits on what clients may do (defaults in uploads.ts and clientLog.ts; docs/serve.md). */
  limits?: { uploads?: Partial<UploadLimits>; clientLog?: Partial<ClientLogLimits>; decode?: Partial<DecodeLimits> }
}

/** Reconstructions kept for the Image view and comparisons: at most this many, and this many bytes of images. */
const DECODE_CACHE_ENTRIES = 24
const DECODE_CACHE_BYTES = 64 * 1024 * 1024

/** Who made a call: one id per connection (`gsc serve`), LOCAL_CLIENT where there is one window. */
export interface CallContext {
  client: string
}

const STORE_SEVERITY: Record<Severity, EventSeverity> = { debug: 'debug', info: 'info', watch: 'warning', warning: 'warning', distress: 'error', critical: 'error' }

type Handlers = { [M in MethodName]: (args: ArgsOf<M>, ctx: CallContext) => Promise<ResultOf<M>> }

interface CachedDecode {
  rec: Reconstruction
  image: RgbImage
}

/** A job task whose errors name an uploaded file by its name, never by its path on this machine. */
function namingUpload<T>(file: string, name: string, task: (job: JobHandle) => Promise<T>): (job: JobHandle) => Promise<T> {
  return (job) =>
    task(job).catch((e: unknown) => {
      throw hidePath(e, file, name)
    })
}

export class EngineService {
  readonly events = new EventEmitter()
  private jobs: JobRegistry
  private uploads: UploadArea
  private clientLog: ClientLogLimiter
  private ui: UiStore
  private log!: parts.PacketLogLike
  private lastEmittedId = 0
  private detector: Promise<Detector> | null = null
  private decodes = new Map<number, CachedDecode>()
  /** The front door's decode limits (gsc serve --max-pixels, --max-flow-steps): settings may only lower them. */
  private decodeCeiling: DecodeLimits
  /** Attached originals at the packet's size, and baseline fits per (packet, original, codec). */
  private originals = new PromiseCache<{ image: RgbImage; url: string }>(8)
  private baselineFits = new PromiseCache<BaselineFit>(48)
  private bench: { name: string; table: CalibrationTable; bench: BenchTable } | null = null
  private engineAvailable: Record<string, boolean> = {}
  private closed = false

  private constructor(private opts: ServiceOptions) {
    const work = opts.workDir ?? `${opts.dbFile}.ui`
    mkdirSync(work, { recursive: true })
    this.uploads = new UploadArea(path.join(work, 'uploads'), opts.limits?.uploads, (d) =>
      this.addEvent('watch', 'upload', `upload of ${d.name} dropped (${d.reason}) after ${formatBytes(d.received)} of ${formatBytes(d.size)}; its file was removed`)
    )
    this.clientLog = new ClientLogLimiter(opts.limits?.clientLog)
    this.decodeCeiling = decodeLimits(opts.limits?.decode)
    this.ui = new UiStore(path.join(work, 'interface.sqlite'))
    this.jobs = new JobRegistry((j) => this.emit('job', j))
    this.events.setMaxListeners(100)
  }

  static async open(opts: ServiceOptions): Promise<EngineService> {
    const s = new EngineService(opts)
    mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true })
    s.log = await parts.openPacketLog(opts.dbFile)
    s.lastEmittedId = s.maxId()
    const saved = s.ui.getCalibration()
    if (saved) {
      try {
        s.bench = { name: saved.name, ...parseBenchResults(saved.name, saved.json) }
      } catch {
        s.ui.putCalibration('', null)
      }
    }
    const man = await s.models(false)
    const ids = new Set(man.models.map((m) => m.id))
    s.engineAvailable = {
      packetLog: true,
      // some model set has every model listed and on disk (a packet of a set not installed is refused on its own)
      decoder: (() => {
        try {
          return modelSetStatus(opts.modelsDir).sets.some((set) => set.problem === null)
        } catch {
          return false
        }
      })(),
      detector: ids.has('detector'),
      manifest: man.error === null
    }
    s.addEvent('info', 'engine', `engine started on ${path.resolve(opts.dbFile)} (${opts.frontDoor})`)
    if (s.uploads.sweptAtStart > 0) s.addEvent('info', 'engine', `removed ${s.uploads.sweptAtStart} upload file(s) or folder(s) left by engines no longer running`)
    return s
  }

  on<E extends EventName>(event: E, listener: (data: EventMap[E]) => void): () => void {
    this.events.on(event, listener)
    return () => this.events.off(event, listener)
  }

  private emit<E extends EventName>(event: E, data: EventMap[E]): void {
    this.events.emit(event, data)
  }

  /** One call from a front door, as the client sent it: validated here (the only place), then routed. */
  async handle(method: unknown, args: unknown, ctx: CallContext = { client: LOCAL_CLIENT }): Promise<unknown> {
    const call = validateCall(method, args)
    if (this.closed) throw new GscError('the engine is shutting down')
    const h = this.handlers[call.method] as (a: unknown, c: CallContext) => Promise<unknown>
    return h(call.args, ctx)
  }

  /** The typed form of handle, for callers in this process. */
  call<M extends MethodName>(method: M, args: ArgsOf<M>, ctx?: CallContext): Promise<ResultOf<M>> {
    return this.handle(method, args, ctx) as Promise<ResultOf<M>>
  }

  /** A client's connection closed: its unfinished uploads go, and its refused log entries are recorded. */
  clientGone(client: string): void {
    if (this.closed) return
    this.uploads.dropClient(client)
    this.recordRefused(client, this.clientLog.forget(client))
  }

  private recordRefused(client: string, n: number): void {
    if (n > 0) this.addEvent('watch', 'engine', `${n} event-log entr${n === 1 ? 'y' : 'ies'} from client ${client} refused (rate limit)`)
  }

  /** An entry a client asks to log: rate-limited, and labelled as client-written (source "client:..."). */
  private clientEvent(a: ArgsOf<'logEvent'>, ctx: CallContext): EventLogEntry {
    const { perClient, total } = this.clientLog.limits
    const adm = this.clientLog.admit(ctx.client)
    if (!adm.ok) {
      if (adm.first) this.addEvent('watch', 'engine', `client ${ctx.client} writes more than ${perClient} event-log entries a minute (or all clients more than ${total}); further entries are refused this minute`)
      throw new GscError(`event log: too many entries (at most ${perClient} a minute per client, ${total} from all clients); try again later`, 'ERATE')
    }
    this.recordRefused(ctx.client, adm.refusedBefore)
    return this.addEvent(a.severity, `client:${a.source}`, a.message, { client: ctx.client })
  }

  /** The event log lives in the packet log's events table (B's API); our finer severity rides in data. */
  addEvent(severity: Severity, source: string, message: string, extra: { client?: string } = {}): EventLogEntry {
    const at = new Date()
    const id = this.log.addEvent({ severity: STORE_SEVERITY[severity], source, message, data: { severity, ...extra }, time: at })
    const e: EventLogEntry = { id, at: at.toISOString(), severity, source, message }
    this.emit('log', e)
    return e
  }

  private listEvents(limit = 300, min: Severity = 'debug'): EventLogEntry[] {
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

  /** A file the operator chose in a native dialog (Electron main only; not reachable from the renderer). */
  registerPath(file: string): string {
    return this.uploads.registerPath(file)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.jobs.cancelAll()
    await new Promise((r) => setTimeout(r, 50))
    this.uploads.close()
    await parts.closeDecoder().catch(() => {})
    this.log.close()
    this.ui.close()
    if (this.detector) await (await this.detector.catch(() => null))?.close().catch(() => {})
  }

  // ---- packets ----

  private maxId(): number {
    const rows = this.log.list({ orderBy: 'id', desc: true, limit: 1 }) as StoreSummary[]
    return rows[0]?.id ?? 0
  }

  private summary(r: StoreSummary): PacketSummary {
    return {
      id: r.id,
      receivedAt: r.receivedAt,
      apid: r.apid,
      sequenceCount: r.sequenceCount,
      octets: r.octets,
      bits: r.octets * 8,
      status: r.status,
      error: r.error,
      c: r.channels,
      width: r.width,
      height: r.height,
      caption: r.caption
    }
  }

  /** Sends every packet added since the last call to subscribers (live views). */
  private pushNew(): number {
    // Newest first, page by page, down to the last packet already sent (ids only grow).
    const fresh: PacketSummary[] = []
    // A small first page: during a replay there is usually one new packet.
    for (let offset = 0, page = 32; ; offset += page, page = 1000) {
      const rows = this.log.list({ orderBy: 'id', desc: true, limit: page, offset }) as StoreSummary[]
      const newer = rows.filter((r) => r.id > this.lastEmittedId)
      for (const r of newer) fresh.push(this.summary(r))
      if (newer.length < rows.length || rows.length < page) break
    }
    if (fresh.length === 0) return 0
    fresh.reverse()
    this.lastEmittedId = fresh[fresh.length - 1].id
    this.emit('packets', { added: fresh })
    return fresh.length
  }

  private record(id: number): PacketRecord {
    const r = this.log.get(id)
    if (!r) throw new GscError(`no packet ${id} in the log`)
    return r
  }

  private storeQuery(a: ArgsOf<'listPackets'>): PacketQuery {
    const orderBy = ({ id: 'id', receivedAt: 'receivedAt', apid: 'apid', sequenceCount: 'sequenceCount', bits: 'octets', c: 'channels', status: 'id' } as const)[a.sort ?? 'id']
    return {
      apid: a.apid,
      status: a.status,
      from: a.from,
      to: a.to,
      captionContains: a.text || undefined,
      minC: a.c,
      maxC: a.c,
      orderBy,
      desc: (a.order ?? 'asc') === 'desc'
    }
  }

  /** Gaps (the newest 500) whose later packet lies in the id range, with the times of the packets either side. */
  private gapInfos(q: { fromId?: number; toId?: number; apid?: number } = {}): { gaps: GapInfo[]; total: number } {
    const r = this.log.gapsInRange({ ...q, limit: 500 })
    return {
      total: r.total,
      gaps: r.gaps.map((g) => {
        const fromTime = g.afterAt ?? g.detectedAt
        const toTime = g.beforeAt ?? fromTime
        return { apid: g.apid, fromSeq: g.afterSequence, toSeq: g.beforeSequence, missing: g.missing, fromTime, toTime, fromId: g.afterPacketId, toId: g.beforePacketId }
      })
    }
  }

  /** The timeline at the zoom shown: buckets from the roll-ups, and the packets themselves when few enough. */
  private timelineView(a: ArgsOf<'timeline'>): ResultOf<'timeline'> {
    const axis = a.axis ?? 'time'
    const start = a.start ?? (axis === 'time' && a.from ? Date.parse(a.from) : undefined)
    const end = a.end ?? (axis === 'time' && a.to ? Date.parse(a.to) : undefined)
    const agg = this.log.timeline({ axis, from: start, to: end, buckets: a.buckets, apid: a.apid })
    const limit = a.limit ?? 2000
    const from = start ?? agg.from
    const to = end ?? agg.to
    const inRange = agg.total <= limit ? this.log.packetsInRange({ axis, from, to, apid: a.apid, limit }, agg) : null
    const packets = inRange ?? []
    const ids = agg.buckets.length ? { fromId: agg.buckets[0].firstId, toId: agg.buckets[agg.buckets.length - 1].lastId } : { fromId: 1, toId: 0 }
    const g = this.gapInfos({ ...ids, apid: a.apid })
    const view = {
      axis, from: agg.from, to: agg.to, bucketWidth: agg.bucketWidth, total: agg.total, buckets: agg.buckets,
      detail: inRange !== null, packets: packets.map((r) => this.summary(r)), gaps: g.gaps, gapsTotal: g.total
    }
    return { packets: view.packets, gaps: view.gaps, view }
  }

  private transmittedBoxes(raw: Uint8Array, decodeGsc: Awaited<ReturnType<typeof parts.loadPacketDecoder>>): TransmittedBox[] {
    if (!decodeGsc) return []
    try {
      return decodeGsc(raw, { maxPixels: this.limits().maxPixels }).detections.map((d) => ({ classId: d.classId, className: cocoName(d.classId), score: d.score, box: d.box }))
    } catch {
      return []
    }
  }

  private async detail(id: number): Promise<PacketDetail> {
    const r = this.record(id)
    const inspect = await parts.loadInspector()
    const ins = inspect ? inspect(r.raw, { maxPixels: this.limits().maxPixels }) : null
    const decodeGsc = await parts.loadPacketDecoder()
    const hex = Buffer.from(r.raw.subarray(0, 48)).toString('hex').replace(/(..)/g, '$1 ').trim()
    let caption = r.caption
    if (caption === null && r.status === 'ok' && decodeGsc) {
      try {
        caption = decodeGsc(r.raw, { maxPixels: this.limits().maxPixels }).caption
      } catch {
        /* shown as no caption */
      }
    }
    return {
      ...this.summary(r),
      caption,
      primary: (ins?.primary as Record<string, number> | undefined) ?? null,
      header: (ins?.header as unknown as Record<string, unknown>) ?? r.header ?? null,
      bitsBreakdown: ins?.bits ? { ...ins.bits } : null,
      transmitted: r.status === 'ok' ? this.transmittedBoxes(r.raw, decodeGsc) : [],
      crcStored: ins?.crcStored ?? null,
      crcComputed: ins?.crcComputed ?? null,
      hexPreview: hex,
      hasOriginal: this.ui.hasOriginal(r.sha256)
    }
  }

  private settings(): ResultOf<'getSettings'> {
    return { ...this.ui.getSettings(), imageApids: this.log.imageApids(), decodeLimits: this.limits() }
  }

  /** The decode limits in force: the station's settings, which can only lower the front door's (docs/bitstream.md 4.1). */
  private limits(): DecodeLimits {
    const s = this.ui.getSettings()
    const c = this.decodeCeiling
    return { maxPixels: Math.min(s.maxPixels ?? c.maxPixels, c.maxPixels), maxFlowSteps: Math.min(s.maxFlowSteps ?? c.maxFlowSteps, c.maxFlowSteps) }
  }

  // ---- reconstruction ----

  private getDetector(): Promise<Detector> {
    if (!this.detector) {
      const ep = this.ui.getSettings().executionProvider
      this.detector = loadDetector({ executionProvider: ep, dir: this.opts.modelsDir })
      this.detector.catch(() => (this.detector = null))
    }
    return this.detector
  }

  private async reconstruct(a: ArgsOf<'reconstruct'>): Promise<Reconstruction> {
    const cached = this.decodes.get(a.id)
    if (cached && a.steps === undefined && a.seed === undefined && (!a.uncertainty || cached.rec.uncertainty)) return cached.rec
    const r = this.record(a.id)
    if (r.status === 'foreign' || r.status === 'idle')
      throw new GscError(`packet ${a.id} is ${r.status === 'idle' ? 'an idle packet' : `a packet of APID ${r.apid}, not an image APID`}, not a GSC image; it cannot be decoded`)
    if (r.status !== 'ok') throw new GscError(`packet ${a.id} failed its checks (${r.error ?? r.status}); it cannot be decoded`)
    const decode = await parts.loadDecoder()
    if (!decode) throw new GscError('the decoder (src/core/codec/decoder) is not available in this build')
    const settings = this.ui.getSettings()
    const limits = this.limits()
    // Refused here in one line, before a job starts; the worker checks again before it allocates anything.
    if (r.width !== null && r.height !== null) checkPixelLimit({ width: r.width, height: r.height }, limits.maxPixels)
    const { done } = this.jobs.start('decode', `decode packet ${a.id}`, async (job) => {
      const t0 = Date.now()
      job.progress(0, 3, 'regenerating')
      const res = await decode(r.raw, {
        steps: a.steps,
        // a setting, not a request: set 1's flow uses it, a set without a flow (set 3) ignores it
        defaultFlowSteps: settings.decodeSteps ?? undefined,
        seed: a.seed,
        samples: a.uncertainty ? 3 : undefined,
        signal: job.signal,
        executionProvider: settings.executionProvider,
        modelsDir: this.opts.modelsDir,
        limits,
        onProgress: (p) => job.progress(p.done / Math.max(1, p.total), 3, `${p.stage} ${p.done}/${p.total}`)
      })
      const decodeMs = Date.now() - t0
      job.progress(1, 3, 'detecting objects')
      const notes: string[] = []
      if (res.samples) notes.push(`image and uncertainty map from ${res.samples.length} samples at temperature ${res.temperature} (a single decode uses the model's recommended temperature)`)
      if (res.samples && res.holdBelowFrequency > 0)
        notes.push(`DCT frequencies u+v < ${res.holdBelowFrequency} stay on the prior's estimate in every sample, so the map shows no spread in them`)
      let detected: TransmittedBox[] = []
      try {
        const det = await this.getDetector()
        const found = await det.detect(res.image)
        detected = found.map((d) => ({
          classId: d.classId,
          className: d.className ?? cocoName(d.classId),
          score: d.score,
          box: [d.box[0] / res.image.width, d.box[1] / res.image.height, d.box[2] / res.image.width, d.box[3] / res.image.height]
        }))
      } catch (e) {
        notes.push(`detector unavailable: ${describeError(e)}`)
      }
      const transmitted = res.detections.map((d) => ({ classId: d.classId, className: cocoName(d.classId), score: d.score, box: d.box }))
      const agreement = res.header.hasDetections || transmitted.length > 0 ? detectionAgreement(transmitted, detected) : null
      if (!agreement) notes.push('the sender transmitted no detections: agreement is not defined')
      job.progress(2, 3, 'encoding images')
      const rec: Reconstruction = {
        packetId: a.id,
        width: res.image.width,
        height: res.image.height,
        image: await pngDataUrl(res.image),
        uncertainty: res.uncertainty ? await pngDataUrl(res.uncertainty) : null,
        caption: res.caption,
        detected,
        transmitted,
        agreement: agreement ? { precision: agreement.precision, recall: agreement.recall, f1: agreement.f1 } : null,
        decodeMs,
        steps: res.steps,
        notes
      }
      job.progress(3, 3, 'done')
      this.keepDecode(a.id, { rec, image: res.image })
      return rec
    })
    try {
      return await done
    } catch (e) {
      this.addEvent('warning', 'decode', `packet ${a.id}: ${describeError(e)}`)
      throw e
    }
  }

  /** Keeps a reconstruction, dropping the oldest beyond DECODE_CACHE_ENTRIES or DECODE_CACHE_BYTES (a large decode
   *  must not stay held by an idle station; one over the byte bound alone is not kept). */
  private keepDecode(id: number, d: CachedDecode): void {
    const bytes = (x: CachedDecode) => x.image.data.length + x.rec.image.length + (x.rec.uncertainty?.length ?? 0)
    this.decodes.delete(id)
    this.decodes.set(id, d)
    let total = 0
    for (const x of this.decodes.values()) total += bytes(x)
    while (this.decodes.size > DECODE_CACHE_ENTRIES || (total > DECODE_CACHE_BYTES && this.decodes.size > 0)) {
      const [oldest, x] = this.decodes.entries().next().value!
      this.decodes.delete(oldest)
      total -= bytes(x)
    }
  }

  /** The original beside the reconstruction and one baseline codec at the packet's bytes (fits cached per codec). */
  private async compare(id: number, codec: BaselineCodecId = DEFAULT_BASELINE): Promise<Comparison> {
    const r = this.record(id)
    const orig = this.ui.getOriginal(r.sha256)
    // The original is scaled to the packet's size: not for a packet over the pixel limit.
    if (orig && r.width !== null && r.height !== null) checkPixelLimit({ width: r.width, height: r.height }, this.limits().maxPixels)
    if (!orig) return { packetId: id, original: null, baseline: null, metrics: null, note: 'no original attached: attach the image file to compare (rehearsal replay)' }
    // A re-attached original is a new key, so nothing fitted to the old one is shown.
    const key = `${id}:${createHash('sha256').update(orig.bytes).digest('hex')}`
    const original = await this.originals.get(key, async () => {
      const image = await decodeToRgb(orig.bytes, r.width ?? undefined, r.height ?? undefined)
      return { image, url: await pngDataUrl(image) }
    })
    const ssim = await parts.loadSsim()
    const m = (x: RgbImage) => ({ psnr: psnr(original.image, x), ssim: ssim ? ssim(original.image, x) : NaN })
    const baseline = await this.baselineFits.get(`${key}:${codec}`, async () => (await fitBaseline(original.image, r.octets, codec, m)).fit)
    const dec = this.decodes.get(id)
    return { packetId: id, original: original.url, metrics: dec ? m(dec.image) : null, baseline, note: null }
  }

  // ---- import and replay ----

  private startImport(a: ArgsOf<'importCapture'>): { jobId: string } {
    const f = this.uploads.resolve(a.file)
    const name = a.name ?? f.name
    const { job, done } = this.jobs.start('import', `import ${name}`, namingUpload(f.file, name, async (job) => {
      this.addEvent('info', 'import', `importing ${name}`)
      let lastPush = 0
      const s = await this.log.importCapture(f.file, {
        signal: job.signal,
        resume: false,
        onProgress: (p) => {
          job.progress(p.bytesDone, p.bytesTotal, `${p.packets} packets, ${p.bad} bad`)
          // Live views get new packets about five times a second during a fast import.
          const now = Date.now()
          if (now - lastPush >= 200) {
            lastPush = now
            this.pushNew()
          }
        }
      })
      this.pushNew()
      job.progress(s.captureBytes, s.captureBytes, `${s.imported} packets`)
      this.reportImport(name, s)
      return s
    }))
    done.catch((e) => this.addEvent(job.signal.aborted ? 'watch' : 'distress', 'import', `${name}: ${job.signal.aborted ? 'cancelled' : describeError(e)}`))
    return { jobId: job.info.id }
  }

  private reportImport(name: string, s: { imported: number; duplicates: number; crcFailed: number; malformed: number; gaps: number; missing: number; interrupted: boolean }) {
    this.addEvent('info', 'import', `${name}: ${s.imported} packets imported, ${s.duplicates} duplicates${s.interrupted ? ' (interrupted)' : ''}`)
    if (s.crcFailed + s.malformed > 0) this.addEvent('warning', 'import', `${name}: ${s.crcFailed} CRC failures, ${s.malformed} malformed packets`)
    if (s.gaps > 0) this.addEvent('warning', 'import', `${name}: ${s.gaps} sequence gap(s), ${s.missing} packet(s) missing`)
  }

  private startReplay(a: ArgsOf<'replayStart'>): { jobId: string } {
    const f = this.uploads.resolve(a.file)
    const name = a.name ?? f.name
    const speed = a.speed ?? 2
    const { job, done } = this.jobs.start(
      'replay',
      `replay ${name}`,
      namingUpload(f.file, name, async (job) => {
        const read = await parts.loadCaptureReader()
        const decode = a.decode ? await parts.loadDecoder() : null
        const total = (await import('node:fs')).statSync(f.file).size
        this.addEvent('info', 'replay', `replaying ${name} at ${speed} packet/s`)
        let n = 0
        let bad = 0
        for await (const item of read(f.file, { signal: job.signal })) {
          while (job.controls.paused && !job.signal.aborted) await new Promise<void>((r) => (job.controls.wake = r))
          if (job.signal.aborted) break
          const res = this.log.ingest(item.bytes, new Date(), item.framed)
          n++
          if (res.status !== 'ok' && res.status !== 'foreign' && res.status !== 'idle') {
            bad++
            this.addEvent('warning', 'replay', `packet ${res.id}: ${item.inspection.error ?? res.status}`)
          }
          if (res.newGaps > 0) this.addEvent('warning', 'replay', `sequence gap before packet ${res.id}`)
          this.pushNew()
          job.progress(item.offset + item.bytes.length, total, `${n} packets, ${bad} bad`)
          if (decode && res.status === 'ok' && !res.duplicate) {
            job.info.detail = `${n} packets, decoding ${res.id}`
            this.jobs.update(job.info.id)
            await this.reconstruct({ id: res.id }).catch(() => {})
          }
          await this.sleepPaced(job)
        }
        this.addEvent('info', 'replay', `${name}: ${n} packets replayed${job.signal.aborted ? ' (stopped)' : ''}`)
        return n
      }),
      { paused: false, speed }
    )
    done.catch((e) => this.addEvent('distress', 'replay', `${name}: ${describeError(e)}`))
    return { jobId: job.info.id }
  }

  private async sleepPaced(job: JobHandle): Promise<void> {
    const ms = 1000 / job.controls.speed
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms)
      job.controls.wake = () => {
        clearTimeout(t)
        resolve()
      }
    })
  }

  private replayControl(a: ArgsOf<'replayControl'>): JobInfo {
    const job = this.jobs.get(a.jobId)
    if (job.info.kind !== 'replay') throw new GscError(`${a.jobId} is not a replay`)
    if (a.action === 'pause') job.controls.paused = true
    if (a.action === 'resume') job.controls.paused = false
    if (a.action === 'speed') {
      if (a.speed === undefined) throw new GscError('replay speed: give a speed in packets per second')
      job.controls.speed = a.speed
    }
    job.info.paused = job.controls.paused
    job.info.speed = job.controls.speed
    job.controls.wake()
    this.jobs.update(job.info.id)
    return { ...job.info }
  }

  // ---- planner ----

  private logEstimatePackets(max: number): LogPacketForEstimate[] {
    const rows = this.log.list({ status: 'ok', orderBy: 'id', desc: true, limit: max }) as StoreSummary[]
    const out: LogPacketForEstimate[] = []
    for (const r of rows) {
      if (!r.channels) continue
      const rec = this.log.get(r.id)
      const bits = rec ? inspectPacket(rec.raw, { maxPixels: this.limits().maxPixels }).bits : undefined
      // Without a breakdown assume the latents take 60% of the packet.
      const latentBits = bits?.latents ?? Math.round(r.octets * 8 * 0.6)
      const dec = this.decodes.get(r.id)?.rec.agreement
      out.push({ id: r.id, c: r.channels, totalBits: r.octets * 8, latentBits, measuredDisagreement: dec ? 1 - dec.f1 : null })
    }
    return out.reverse()
  }

  private calibration(): CalibrationTable {
    return this.bench ? this.bench.table : estimateFromLog(this.logEstimatePackets(200))
  }

  private plan(a: ArgsOf<'plan'>): ResultOf<'plan'> {
    const calibration = this.calibration()
    let images: PlanImage[]
    if (this.bench) images = planImagesFromTable(this.bench.bench, { mode: 'table', count: a.images })
    else images = Array.from({ length: a.images }, (_, k) => {
      const src = calibration.images[k % calibration.images.length]
      return { id: a.images > calibration.images.length ? `${src.id} #${Math.floor(k / calibration.images.length) + 1}` : src.id, candidates: src.candidates }
    })
    const link = a.linkBps && a.passS ? { linkBps: a.linkBps, passS: a.passS } : undefined
    const r = plan({ alpha: a.alpha, beta: a.beta, images, link })
    return {
      calibration,
      result: {
        images: r.images.map((i) => ({ id: i.id, chosenC: i.chosen?.c ?? null, bits: i.chosen?.bits ?? 0, disagreement: i.chosen?.disagreement ?? null, cost: i.chosen?.cost ?? null })),
        totals: {
          imagesRequested: r.totals.imagesRequested,
          imagesSent: r.totals.imagesSent,
          linkBitsUsed: r.totals.linkBitsUsed,
          bitsAvailable: r.link?.bitsAvailableTotal ?? null,
          meanDisagreement: r.totals.meanDisagreementSent,
          objective: r.totals.objective
        },
        passFrontier: r.passFrontier,
        method: r.method
      }
    }
  }

  // ---- models ----

  private async models(verify: boolean): Promise<{ models: ModelInfo[]; error: string | null; dir: string }> {
    const m = await parts.loadManifestModule()
    const dir = path.resolve(this.opts.modelsDir ?? m.defaultModelsDir())
    try {
      const man = m.loadManifest(this.opts.modelsDir)
      const { createReadStream, existsSync } = await import('node:fs')
      const sha = (file: string) =>
        new Promise<string>((res, rej) => {
          const h = createHash('sha256')
          createReadStream(file).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej)
        })
      const models: ModelInfo[] = []
      for (const [id, e] of Object.entries(man.models)) {
        const file = path.join(dir, e.file)
        let verified: boolean | null = null
        if (verify) verified = existsSync(file) ? (await sha(file)) === e.sha256 : false
        models.push({ id, stage: e.stage, file: e.file, sha256: e.sha256, verified, metrics: e.metrics ?? {}, notes: e.notes ?? null })
      }
      return { models, error: null, dir }
    } catch (e) {
      return { models: [], error: describeError(e), dir }
    }
  }

  private handlers: Handlers = {
    systemInfo: async () => {
      const m = await this.models(false)
      return {
        dbFile: path.resolve(this.opts.dbFile),
        eventsFile: `${path.resolve(this.opts.dbFile)} (events table); interface state ${this.ui.file}`,
        version: process.env.npm_package_version ?? '0.1.0',
        modelsDir: m.dir,
        models: m.models,
        modelsError: m.error,
        frontDoor: this.opts.frontDoor,
        engine: { ...this.engineAvailable }
      }
    },
    listPackets: async (a) => {
      const q = this.storeQuery(a)
      const { total, atLeast } = this.log.countMatches(q)
      let rows = (this.log.list({ ...q, limit: a.limit ?? 200, offset: a.offset ?? 0 }) as StoreSummary[]).map((r) => this.summary(r))
      if (a.sort === 'status') rows = rows.sort((x, y) => x.status.localeCompare(y.status) * (a.order === 'desc' ? -1 : 1))
      return atLeast ? { total, totalAtLeast: true, packets: rows } : { total, packets: rows }
    },
    timeline: async (a) => {
      if (a.buckets !== undefined || a.axis !== undefined || a.start !== undefined || a.end !== undefined) return this.timelineView(a)
      const rows = (this.log.list({ from: a.from, to: a.to, apid: a.apid, orderBy: 'id', desc: true, limit: a.limit ?? 5000 }) as StoreSummary[]).reverse()
      return { packets: rows.map((r) => this.summary(r)), gaps: this.gapInfos({ apid: a.apid }).gaps }
    },
    getPacket: async (a) => this.detail(a.id),
    reconstruct: async (a) => this.reconstruct(a),
    compare: async (a) => this.compare(a.id, a.codec),
    attachOriginal: async (a) => {
      const r = this.record(a.id)
      const bytes = Buffer.from(a.data, 'base64')
      try {
        await decodeToRgb(bytes)
      } catch {
        throw new GscError(`${a.name} is not an image sharp can read`)
      }
      this.ui.putOriginal(r.sha256, a.name, bytes)
      this.addEvent('info', 'compare', `original ${a.name} attached to packet ${a.id}`)
      return this.compare(a.id, a.codec)
    },
    uploadBegin: async (a, c) => ({ uploadId: this.uploads.begin(a.name, a.size, c.client) }),
    uploadChunk: async (a, c) => ({ received: this.uploads.chunk(a.uploadId, a.offset, Buffer.from(a.data, 'base64'), c.client) }),
    uploadEnd: async (a, c) => this.uploads.end(a.uploadId, c.client),
    importCapture: async (a) => this.startImport(a),
    replayStart: async (a) => this.startReplay(a),
    replayControl: async (a) => this.replayControl(a),
    listJobs: async () => this.jobs.list(),
    cancelJob: async (a) => this.jobs.cancel(a.jobId),
    plan: async (a) => this.plan(a),
    loadCalibration: async (a) => {
      const parsed = parseBenchResults(a.name, a.json)
      this.bench = { name: a.name, ...parsed }
      this.ui.putCalibration(a.name, a.json)
      this.addEvent('info', 'planner', `calibration ${a.name} loaded (${parsed.table.images.length} images)`)
      return parsed.table
    },
    clearCalibration: async () => {
      this.bench = null
      this.ui.putCalibration('', null)
      return { ok: true as const }
    },
    getSettings: async () => this.settings(),
    setSettings: async (a) => {
      const before = this.ui.getSettings()
      const { imageApids, ...ui } = a
      const c = this.decodeCeiling
      if (ui.maxPixels != null && ui.maxPixels > c.maxPixels)
        throw new GscError(`maxPixels ${ui.maxPixels} is above this station's limit of ${c.maxPixels} pixels (set where it starts: gsc serve --max-pixels); a setting can only lower it`)
      if (ui.maxFlowSteps != null && ui.maxFlowSteps > c.maxFlowSteps)
        throw new GscError(`maxFlowSteps ${ui.maxFlowSteps} is above this station's limit of ${c.maxFlowSteps} flow steps (set where it starts: gsc serve --max-flow-steps); a setting can only lower it`)
      const s = this.ui.setSettings(ui)
      if (before.executionProvider !== s.executionProvider) this.detector = null
      if (imageApids !== undefined && JSON.stringify(imageApids) !== JSON.stringify(this.log.imageApids())) {
        const r = this.log.setImageApids(imageApids)
        this.decodes.clear()
        this.addEvent('info', 'settings', `image APIDs now ${imageApids === 'auto' ? 'automatic' : imageApids.join(', ')}: ${r.packets} packets re-classified`)
        this.lastEmittedId = this.maxId()
      }
      this.addEvent('info', 'settings', `settings changed: ${Object.keys(a).join(', ')}`)
      return this.settings()
    },
    listEvents: async (a) => this.listEvents(a.limit, a.minSeverity),
    logEvent: async (a, c) => this.clientEvent(a, c),
    verifyModels: async () => {
      const m = await this.models(true)
      if (m.error) throw new GscError(m.error)
      const bad = m.models.filter((x) => x.verified === false)
      this.addEvent(bad.length ? 'critical' : 'info', 'models', bad.length ? `hash mismatch: ${bad.map((b) => b.id).join(', ')}` : `${m.models.length} model hashes verified`)
      return m.models
    }
  }
}
