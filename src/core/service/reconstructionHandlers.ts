// Reconstruction: decoding a packet (in the codec's worker thread, so the process serving the interface stays
// responsive), detections on the result, comparison with an attached original and a baseline codec at the
// packet's bytes, and the cache of recent decodes.
import { createHash } from 'node:crypto'
import type { ArgsOf, BaselineCodecId, BaselineFit, Comparison, Reconstruction, TransmittedBox } from '../../shared/api'
import { detectionAgreement } from '../analysis/detections'
import { psnr, ssim } from '../analysis/metrics'
import { checkPixelLimit } from '../bitstream/limits'
import { getDetector } from '../codec/sharedDetector'
import { createCodecRunner, type CodecRunner } from '../codec/worker/runner'
import type { RgbImage } from '../image/rgbImage'
import { GscError, describeError } from '../util/errors'
import { DEFAULT_BASELINE, PromiseCache, fitBaseline } from './baselineCompare'
import { detectedBox, transmittedBox } from './boxes'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'
import { decodeToRgb, pngDataUrl } from './images'
import { packetRecord } from './packetHandlers'

export class ReconstructionDomain {
  private runner: CodecRunner | null = null
  /** Attached originals at the packet's size, and baseline fits per (packet, original, codec). */
  private originals = new PromiseCache<{ image: RgbImage; url: string }>(8)
  private baselineFits = new PromiseCache<BaselineFit>(48)

  constructor(private engine: EngineContext) {}

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
    const cached = engine.decodes.get(a.id)
    if (cached && a.steps === undefined && a.seed === undefined && (!a.uncertainty || cached.rec.uncertainty)) return cached.rec
    const r = await packetRecord(engine, a.id)
    if (r.status === 'foreign' || r.status === 'idle')
      throw new GscError(`packet ${a.id} is ${r.status === 'idle' ? 'an idle packet' : `a packet of APID ${r.apid}, not an image APID`}, not a GSC image; it cannot be decoded`)
    if (r.status !== 'ok') throw new GscError(`packet ${a.id} failed its checks (${r.error ?? r.status}); it cannot be decoded`)
    const settings = engine.ui.getSettings()
    const limits = engine.limits()
    // Refused here in one line, before a job starts; the worker checks again before it allocates anything.
    if (r.width !== null && r.height !== null) checkPixelLimit({ width: r.width, height: r.height }, limits.maxPixels)
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
          executionProvider: settings.executionProvider,
          modelsDir: engine.opts.modelsDir,
          limits
        },
        { signal: job.signal, onProgress: (p) => job.progress(p.done / Math.max(1, p.total), 3, `${p.stage} ${p.done}/${p.total}`) }
      )
      const decodeMs = Date.now() - t0
      job.progress(1, 3, 'detecting objects')
      const notes: string[] = []
      if (res.samples) notes.push(`image and uncertainty map from ${res.samples.length} samples at temperature ${res.temperature} (a single decode uses the model's recommended temperature)`)
      if (res.samples && res.holdBelowFrequency > 0)
        notes.push(`DCT frequencies u+v < ${res.holdBelowFrequency} stay on the prior's estimate in every sample, so the map shows no spread in them`)
      let detected: TransmittedBox[] = []
      try {
        const det = await getDetector(settings.executionProvider, engine.opts.modelsDir)
        detected = (await det.detect(res.image)).map((d) => detectedBox(d, res.image))
      } catch (e) {
        notes.push(`detector unavailable: ${describeError(e)}`)
      }
      const transmitted = res.detections.map(transmittedBox)
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
      engine.decodes.keep(a.id, { rec, image: res.image })
      return rec
    })
    try {
      return await done
    } catch (e) {
      void engine.events.add('warning', 'decode', `packet ${a.id}: ${describeError(e)}`)
      throw e
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
  }
}
