// Scene analyses for the Image view (issue 20): semantic segmentation and monocular depth of the reconstruction the
// view shows and of the attached original, with the agreement of the one with the other (the same figures
// `gsc bench` reports). Each image's analysis is kept by the image's hash, and each answer by packet, model and both
// hashes, so switching overlays back and forth computes nothing twice.
import { createHash } from 'node:crypto'
import type { DepthView, SegmentationModelId, SegmentationView } from '../../shared/api'
import { depthAgreement, depthMap, type DepthMap } from '../analysis/depth'
import { segmentImage, segmentationAgreement, type SegmentationMap } from '../analysis/segmentation'
import type { RgbImage } from '../image/rgbImage'
import { GscError, describeError, isGscError } from '../util/errors'
import { depthForDisplay, packMap, presentClasses } from './analysisDisplay'
import { PromiseCache } from './baselineCompare'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'
import { decodeToRgb } from './images'
import { packetRecord } from './packetHandlers'

const SEGMENTATION_MODEL_NAMES: Record<SegmentationModelId, string> = { city: 'ESPNetv2 (Cityscapes)', pascal: 'ESPNetv2 (PASCAL VOC)' }
const DEPTH_MODEL_NAME = 'mobile PyDNet (KITTI, self-supervised)'
const NO_ORIGINAL = 'no original attached: attach the image file to compare (rehearsal replay)'

interface AnalysedImages {
  rec: RgbImage
  recKey: string
  orig: RgbImage | null
  origKey: string | null
}

/** A model that cannot run (missing file, hash mismatch, not in the manifest) says which analysis it stopped. */
async function running<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    throw new GscError(`${what} could not run: ${describeError(e)}`, isGscError(e) ? e.code : 'EMODEL')
  }
}

export class AnalysisDomain {
  private hashes = new WeakMap<RgbImage, string>()
  private originals = new PromiseCache<RgbImage>(8)
  private segmentations = new PromiseCache<SegmentationMap>(16)
  private depths = new PromiseCache<DepthMap>(16)
  private segmentationViews = new PromiseCache<SegmentationView>(16)
  private depthViews = new PromiseCache<DepthView>(16)

  /** `reconstruct` decodes a packet into the engine's decode cache (the reconstruction domain's own call). */
  constructor(private engine: EngineContext, private reconstruct: (id: number) => Promise<unknown>) {}

  readonly handlers: HandlerTable<'imageSegmentation' | 'imageDepth'> = {
    imageSegmentation: async (a) => this.segmentation(a.id, a.model ?? 'city'),
    imageDepth: async (a) => this.depth(a.id)
  }

  private hashOf(img: RgbImage): string {
    let h = this.hashes.get(img)
    if (!h) {
      h = createHash('sha256').update(img.data).update(`${img.width}x${img.height}`).digest('hex').slice(0, 32)
      this.hashes.set(img, h)
    }
    return h
  }

  /** The reconstruction the view shows (decoded first if the engine holds none) and the attached original at its size. */
  private async images(id: number): Promise<AnalysedImages> {
    const { engine } = this
    if (!engine.decodes.get(id)) await this.reconstruct(id)
    const dec = engine.decodes.get(id)
    if (!dec) throw new GscError(`packet ${id}: its reconstruction is too large to keep in the decode cache, so it cannot be analysed`)
    const rec = dec.image
    const attached = engine.ui.getOriginal((await packetRecord(engine, id)).sha256)
    if (!attached) return { rec, recKey: this.hashOf(rec), orig: null, origKey: null }
    const bytesKey = createHash('sha256').update(attached.bytes).digest('hex').slice(0, 32)
    const orig = await this.originals.get(`${bytesKey}:${rec.width}x${rec.height}`, () => decodeToRgb(attached.bytes, rec.width, rec.height))
    return { rec, recKey: this.hashOf(rec), orig, origKey: this.hashOf(orig) }
  }

  private runOptions() {
    return { executionProvider: this.engine.ui.getSettings().executionProvider, dir: this.engine.opts.modelsDir }
  }

  private segment(img: RgbImage, key: string, model: SegmentationModelId): Promise<SegmentationMap> {
    return this.segmentations.get(`${model}:${key}`, () => running(`segmentation with ${SEGMENTATION_MODEL_NAMES[model]}`, () => segmentImage(img, { ...this.runOptions(), dataset: model })))
  }

  private depthOf(img: RgbImage, key: string): Promise<DepthMap> {
    return this.depths.get(key, () => running(`depth with ${DEPTH_MODEL_NAME}`, () => depthMap(img, this.runOptions())))
  }

  async segmentation(id: number, model: SegmentationModelId): Promise<SegmentationView> {
    const im = await this.images(id)
    return this.segmentationViews.get(`${id}:${model}:${im.recKey}:${im.origKey}`, async () => {
      const t0 = performance.now()
      const rec = await this.segment(im.rec, im.recKey, model)
      const orig = im.orig ? await this.segment(im.orig, im.origKey!, model) : null
      const agreement = orig ? segmentationAgreement(orig, rec) : null
      const c = rec.content
      return {
        packetId: id,
        model,
        modelName: SEGMENTATION_MODEL_NAMES[model],
        evaluation: `model input ${rec.inputWidth}×${rec.inputHeight}, the image letterboxed into it at ${c.width}×${c.height}; labels brought back to ${rec.width}×${rec.height} (nearest)`,
        classes: presentClasses(rec, orig, agreement),
        reconstruction: packMap(rec.labels, rec.width, rec.height),
        original: orig ? packMap(orig.labels, orig.width, orig.height) : null,
        agreement: agreement ? { miou: agreement.miou, pixelAccuracy: agreement.pixelAccuracy } : null,
        note: orig ? null : NO_ORIGINAL,
        ms: Math.round(performance.now() - t0)
      }
    })
  }

  async depth(id: number): Promise<DepthView> {
    const im = await this.images(id)
    return this.depthViews.get(`${id}:${im.recKey}:${im.origKey}`, async () => {
      const t0 = performance.now()
      const rec = await this.depthOf(im.rec, im.recKey)
      const orig = im.orig ? await this.depthOf(im.orig, im.origKey!) : null
      const shown = depthForDisplay(rec, orig)
      const a = orig ? depthAgreement(orig, rec) : null
      return {
        packetId: id,
        modelName: DEPTH_MODEL_NAME,
        scaling: shown.scaling,
        reconstruction: packMap(shown.reconstruction, rec.width, rec.height),
        original: shown.original && orig ? packMap(shown.original, orig.width, orig.height) : null,
        agreement: a ? { delta1: a.delta1, absRel: a.absRel, rmse: a.rmse } : null,
        note: orig ? null : NO_ORIGINAL,
        ms: Math.round(performance.now() - t0)
      }
    })
  }
}
