// Reconstruction: decoding a packet (in the codec's worker thread, so the process serving the interface stays
// responsive), detections on the result, comparison with an attached original and a baseline codec at the
// packet's bytes, and the cache of recent decodes. On a PostgreSQL archive with a live `gsc worker`, a reconstruction
// or uncertainty map is handed to the workers' queue instead (jobs/queueRouting.ts), and decoded here only when no
// worker serves it in time; the event log says which path served each decode.
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import type { ArgsOf, BaselineCodecId, BaselineFit, Comparison, Reconstruction, TextureInfo, TransmittedBox } from '../../shared/api'
import { detectionAgreement } from '../analysis/detections'
import { psnr, ssim } from '../analysis/metrics'
import { decodeGscPacket } from '../bitstream/gscPacket'
import { checkPixelLimit } from '../bitstream/limits'
import { getDetector } from '../codec/sharedDetector'
import { createCodecRunner, type CodecRunner } from '../codec/worker/runner'
import { resultRows, UNCERTAINTY_SAMPLES, type DecodeJobData } from '../jobs/decodeJob'
import { DecodeRouting } from '../jobs/queueRouting'
import type { RgbImage } from '../image/rgbImage'
import { GscError, describeError } from '../util/errors'
import { DEFAULT_BASELINE, PromiseCache, fitBaseline } from './baselineCompare'
import { detectedBox, transmittedBox } from './boxes'
import { decodeKey } from './decodeCache'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'
import { decodeToRgb, pngBuffer, pngDataUrl } from './images'
import { packetRecord } from './packetHandlers'
import { textureOfPacket, textureOption } from './textureRequest'

export class ReconstructionDomain {
  private runner: CodecRunner | null = null
  /** Attached originals at the packet's size, and baseline fits per (packet, original, codec). */
  private originals = new PromiseCache<{ image: RgbImage; url: string }>(8)
  private baselineFits = new PromiseCache<BaselineFit>(48)
  /** The decode workers' queue and presence: only a shared (PostgreSQL) archive has them. */
  readonly routing: DecodeRouting | null

  constructor(private engine: EngineContext) {
    this.routing = engine.log.kind === 'postgres' ? new DecodeRouting(engine.opts.dbFile, engine.opts.decodeWorkers) : null
  }

  readonly handlers: HandlerTable<'reconstruct' | 'compare' | 'attachOriginal'> = {
    reconstruct: async (a) => this.reconstruct(a),
    compare: async (a) => this.compare(a.id, a.codec),
    attachOriginal: async (a) => {
      const r = await packetRecord(this.engine, a.id)
      const bytes = Buffer.from(a.data, 'base64')
      try {
        await decodeToRgb(bytes)
      } catch {
        throw new GscError(`${a.name} is not an image sharp can read`)
      }
      this.engine.ui.putOriginal(r.sha256, a.name, bytes)
      void this.engine.events.add('info', 'compare', `original ${a.name} attached to packet ${a.id}`)
      return this.compare(a.id, a.codec)
    }
  }

  async reconstruct(a: ArgsOf<'reconstruct'>): Promise<Reconstruction> {
    const { engine } = this
    const settings = engine.ui.getSettings()
    const request: DecodeJobData = { kind: a.uncertainty ? 'uncertainty' : 'reconstruction', packetId: a.id, steps: a.steps, seed: a.seed }
    // Set 30's grain left out: part of the request (and its cache keys) only for a packet whose set draws grain.
    if (a.texture === false) {
      const texture = textureOption(a.texture, (await packetRecord(engine, a.id)).header)
      if (texture !== undefined) request.texture = texture
    }
    const key = decodeKey(request, settings.decodeSteps)
    const cached = engine.decodes.find(key)
    if (cached) return cached.rec
    const r = await packetRecord(engine, a.id)
    if (r.status === 'foreign' || r.status === 'idle')
      throw new GscError(`packet ${a.id} is ${r.status === 'idle' ? 'an idle packet' : `a packet of APID ${r.apid}, not an image APID`}, not a GSC image; it cannot be decoded`)
    if (r.status !== 'ok') throw new GscError(`packet ${a.id} failed its checks (${r.error ?? r.status}); it cannot be decoded`)
    const limits = engine.limits()
    // Refused here in one line, before a job starts; the worker checks again before it allocates anything.
    if (r.width !== null && r.height !== null) checkPixelLimit({ width: r.width, height: r.height }, limits.maxPixels)
    const what = requestLabel(request)
    // Results are shared where they have the key `gsc worker` writes: not with this workstation's own decode-steps
    // setting (a chosen step count overrides it), and not on a SQLite log (one workstation, no workers).
    const shared = this.routing && (settings.decodeSteps === null || a.steps !== undefined) ? request : null
    // Why this engine decodes it (said in the event log on a shared archive, where workers might have).
    let inProcessWhy = this.routing && !shared ? "this workstation's decode-steps setting (workers and the shared decode cache use the station default)" : null
    if (shared) {
      const stored = await this.fromShared(shared, r.raw, settings.executionProvider)
      if (stored) return stored.rec
      const routed = await this.viaWorkers(shared, r.raw, settings.executionProvider, limits)
      if ('rec' in routed) return routed.rec
      inProcessWhy = routed.why
    }
    this.runner ??= createCodecRunner()
    const runner = this.runner
    const { done } = engine.jobs.start('decode', `decode packet ${a.id}`, async (job) => {
      const t0 = Date.now()
      job.progress(0, 3, 'regenerating')
      const res = await runner.decode(
        r.raw,
        {
          steps: a.steps,
          // a setting, not a request: set 1's flow uses it, a set without a flow (set 3) ignores it
          defaultFlowSteps: settings.decodeSteps ?? undefined,
          seed: a.seed,
          samples: a.uncertainty ? 3 : undefined,
          texture: request.texture,
          executionProvider: settings.executionProvider,
          modelsDir: engine.opts.modelsDir,
          limits
        },
        { signal: job.signal, onProgress: (p) => job.progress(p.done / Math.max(1, p.total), 3, `${p.stage} ${p.done}/${p.total}`) }
      )
      const decodeMs = Date.now() - t0
      job.progress(1, 3, 'detecting objects')
      const notes = res.samples ? sampleNotes(res.samples.length, res.temperature, res.holdBelowFrequency) : []
      const rec = await this.assemble(a.id, res.image, {
        uncertainty: res.uncertainty ? await pngDataUrl(res.uncertainty) : null, caption: res.caption, transmitted: res.detections,
        hasDetections: res.header.hasDetections, decodeMs, steps: res.steps, notes, texture: res.texture
      }, settings.executionProvider, () => job.progress(2, 3, 'encoding images'))
      if (shared)
        await this.share(shared, { image: res.image, uncertainty: res.uncertainty }, {
          caption: res.caption, steps: res.steps, modelSet: res.modelSet, temperature: res.temperature, holdBelowFrequency: res.holdBelowFrequency, texture: res.texture ?? null, decodeMs, executionProvider: settings.executionProvider
        })
      job.progress(3, 3, 'done')
      engine.decodes.keep(key, { rec, image: res.image })
      return rec
    })
    try {
      const rec = await done
      if (inProcessWhy) void engine.events.add('info', 'decode', `packet ${a.id}: ${what}decoded in-process by this engine in ${(rec.decodeMs / 1000).toFixed(1)} s (${inProcessWhy})`)
      return rec
    } catch (e) {
      void engine.events.add('warning', 'decode', `packet ${a.id}: ${describeError(e)}`)
      throw e
    }
  }

  /**
   * A decode by a live `gsc worker`: enqueued, waited for in the shared decode cache, shown with this engine's
   * detections. Otherwise why not, and this engine decodes it (a cancel by the operator is thrown).
   */
  private async viaWorkers(
    request: DecodeJobData, raw: Uint8Array, provider: Parameters<typeof getDetector>[0], limits: { maxPixels: number; maxFlowSteps: number }
  ): Promise<{ rec: Reconstruction } | { why: string }> {
    const { engine } = this
    const routing = this.routing!
    const id = request.packetId
    const what = requestLabel(request)
    let live: number
    try {
      live = (await routing.liveWorkers()).length
    } catch (e) {
      return { why: `the workers' presence could not be read: ${describeError(e)}` }
    }
    if (live === 0) return { why: 'no live decode worker' }
    const { job, done } = engine.jobs.start('decode', `decode packet ${id}${what && ` (${what.trim()})`} on a gsc worker`, async (job) => {
      job.progress(0, 2, `queued for ${live} live worker${live === 1 ? '' : 's'}`)
      const out = await routing.decode({ ...request, limits }, { signal: job.signal, onWaiting: (d) => job.progress(0, 2, d) })
      // Not served: this job fails with the reason (the operator sees it), and an in-process decode job follows.
      if (!out.served) throw new GscError(`${out.reason} (queue job ${out.jobId})`)
      job.progress(1, 2, 'detecting objects')
      const got = await this.fromShared(request, raw, provider)
      if (!got) throw new GscError(`its result row could not be read back (queue job ${out.jobId})`)
      job.progress(2, 2, 'done')
      return { ...out, ...got }
    })
    try {
      const out = await done
      const note = `decoded on request by ${out.by} (queue job ${out.jobId}; ${(out.waitedMs / 1000).toFixed(1)} s from request to result)`
      out.rec.notes.unshift(note)
      void engine.events.add('info', 'decode', `packet ${id}: ${what}${note}`)
      return { rec: out.rec }
    } catch (e) {
      if (job.signal.aborted) throw e
      const why = `not served by a gsc worker: ${describeError(e)}`
      void engine.events.add('warning', 'decode', `packet ${id}: ${what}${why}; decoding in-process`)
      return { why }
    }
  }

  /** A decode another instance or a worker stored in the shared archive, with this engine's detections on it. */
  private async fromShared(request: DecodeJobData, raw: Uint8Array, provider: Parameters<typeof getDetector>[0]): Promise<{ rec: Reconstruction; by: string } | null> {
    const { engine } = this
    const id = request.packetId
    const rows = await Promise.all(resultRows(request).map(async (row) => ({ ...row, stored: await engine.log.getDecode(id, row.params) })))
    const picture = (p: 'image' | 'uncertainty') => rows.find((x) => x.picture === p)?.stored
    const main = picture('image')
    if (!main?.imagePng || rows.some((x) => !x.stored?.imagePng)) return null
    const info = (main.result ?? {}) as { caption?: string; steps?: number; decodeMs?: number; worker?: string; decodedBy?: string; temperature?: number; holdBelowFrequency?: number }
    const image = await decodeToRgb(Buffer.from(main.imagePng))
    const map = picture('uncertainty')?.imagePng
    const payload = decodeGscPacket(raw, { maxPixels: engine.limits().maxPixels })
    const by = info.worker ? `gsc worker ${info.worker}` : (info.decodedBy ?? 'another engine')
    const rec = await this.assemble(id, image, {
      // Re-encoded as an in-process decode's map is, so every path shows the same data URL for the same pixels.
      uncertainty: map ? await pngDataUrl(await decodeToRgb(Buffer.from(map))) : null,
      caption: info.caption ?? payload.caption, transmitted: payload.detections, hasDetections: payload.header.hasDetections,
      decodeMs: info.decodeMs ?? 0, steps: info.steps ?? 0, texture: textureOfPacket(payload, request.texture),
      notes: [`from the shared archive's decode cache: decoded by ${by} at ${main.createdAt}`, ...(map ? sampleNotes(UNCERTAINTY_SAMPLES, info.temperature ?? 1, info.holdBelowFrequency ?? 0) : [])]
    }, provider)
    // A shared request is one this workstation's decode-steps setting does not change (see reconstruct).
    engine.decodes.keep(decodeKey(request, null), { rec, image })
    return { rec, by }
  }

  /** Stores a decode in the shared archive's decode cache (the rows a worker writes), where every instance and worker reads it. */
  private async share(request: DecodeJobData, pictures: { image: RgbImage; uncertainty?: RgbImage }, info: Record<string, unknown>): Promise<void> {
    try {
      const result = { kind: request.kind, width: pictures.image.width, height: pictures.image.height, ...info, decodedBy: `gsc ${this.engine.opts.frontDoor} on ${hostname()}` }
      for (const row of resultRows(request)) {
        const picture = pictures[row.picture]
        if (!picture) throw new GscError(`the decoder returned no ${row.picture === 'uncertainty' ? 'uncertainty map' : 'image'}`)
        await this.engine.log.putDecode(request.packetId, row.params, { imagePng: await pngBuffer(picture), result })
      }
    } catch (e) {
      void this.engine.events.add('warning', 'decode', `packet ${request.packetId}: ${requestLabel(request) || 'reconstruction '}not stored in the shared archive (${describeError(e)})`)
    }
  }

  /** A reconstruction from a decoded image: this engine's detections on it and their agreement with the transmitted ones. */
  private async assemble(
    id: number,
    image: RgbImage,
    d: {
      uncertainty: string | null; caption: string; transmitted: Parameters<typeof transmittedBox>[0][]; hasDetections: boolean; decodeMs: number; steps: number; notes: string[]
      texture?: TextureInfo
    },
    provider: Parameters<typeof getDetector>[0],
    encoding: () => void = () => {}
  ): Promise<Reconstruction> {
    const notes = [...d.notes]
    let detected: TransmittedBox[] = []
    try {
      const det = await getDetector(provider, this.engine.opts.modelsDir)
      detected = (await det.detect(image)).map((x) => detectedBox(x, image))
    } catch (e) {
      notes.push(`detector unavailable: ${describeError(e)}`)
    }
    const transmitted = d.transmitted.map(transmittedBox)
    const agreement = d.hasDetections || transmitted.length > 0 ? detectionAgreement(transmitted, detected) : null
    if (!agreement) notes.push('the sender transmitted no detections: agreement is not defined')
    encoding()
    return {
      packetId: id,
      width: image.width,
      height: image.height,
      image: await pngDataUrl(image),
      uncertainty: d.uncertainty,
      caption: d.caption,
      detected,
      transmitted,
      agreement: agreement ? { precision: agreement.precision, recall: agreement.recall, f1: agreement.f1 } : null,
      decodeMs: d.decodeMs,
      steps: d.steps,
      notes,
      ...(d.texture ? { texture: d.texture } : {})
    }
  }

  /** The original beside the reconstruction and one baseline codec at the packet's bytes (fits cached per codec). */
  private async compare(id: number, codec: BaselineCodecId = DEFAULT_BASELINE): Promise<Comparison> {
    const r = await packetRecord(this.engine, id)
    const orig = this.engine.ui.getOriginal(r.sha256)
    // The original is scaled to the packet's size: not for a packet over the pixel limit.
    if (orig && r.width !== null && r.height !== null) checkPixelLimit({ width: r.width, height: r.height }, this.engine.limits().maxPixels)
    if (!orig) return { packetId: id, original: null, baseline: null, metrics: null, note: 'no original attached: attach the image file to compare (rehearsal replay)' }
    // A re-attached original is a new key, so nothing fitted to the old one is shown.
    const key = `${id}:${createHash('sha256').update(orig.bytes).digest('hex')}`
    const original = await this.originals.get(key, async () => {
      const image = await decodeToRgb(orig.bytes, r.width ?? undefined, r.height ?? undefined)
      return { image, url: await pngDataUrl(image) }
    })
    const m = (x: RgbImage) => ({ psnr: psnr(original.image, x), ssim: ssim(original.image, x) })
    const baseline = await this.baselineFits.get(`${key}:${codec}`, async () => (await fitBaseline(original.image, r.octets, codec, m)).fit)
    const dec = this.engine.decodes.get(id)
    return { packetId: id, original: original.url, metrics: dec ? m(dec.image) : null, baseline, note: null }
  }

  /** Stops the codec's worker thread. */
  async close(): Promise<void> {
    const r = this.runner
    this.runner = null
    if (r) await r.close().catch(() => {})
    await this.routing?.close()
  }
}

/** What a request asks for beyond a plain reconstruction, as the event log's words ('' for a plain one). */
function requestLabel(r: DecodeJobData): string {
  const chosen = [r.seed !== undefined && `seed ${r.seed}`, r.steps !== undefined && `${r.steps} steps`, r.texture === false && 'no synthesised texture'].filter(Boolean)
  const what = r.kind === 'uncertainty' ? 'uncertainty map' : chosen.length ? 'reconstruction' : ''
  return what && `${what}${chosen.length ? ` (${chosen.join(', ')})` : ''} `
}

/** What the Image view says of an image shown with its uncertainty map. */
function sampleNotes(samples: number, temperature: number, holdBelowFrequency: number): string[] {
  const notes = [`image and uncertainty map from ${samples} samples at temperature ${temperature} (a single decode uses the model's recommended temperature)`]
  if (holdBelowFrequency > 0) notes.push(`DCT frequencies u+v < ${holdBelowFrequency} stay on the prior's estimate in every sample, so the map shows no spread in them`)
  return notes
}
