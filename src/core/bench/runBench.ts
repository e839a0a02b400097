/**
 * The side-by-side benchmark: for every image and C, encode with GSC, decode, measure; then drive every
 * baseline codec to the GSC packet's size and measure the same way. Per image+C results are cached as JSON
 * in <out>/cache so an interrupted run resumes where it stopped (and a finished one re-renders instantly).
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { detectionAgreement } from '../analysis/detections'
import type { Detector, Detection } from '../analysis/detector'
import { BASELINES, BASELINE_IDS, type BaselineId } from '../baselines/codecs'
import { SCALES, SCALES_TRIED, fitToSize, newFitMemo, type FitMemo } from '../baselines/fitToSize'
import { GscError, describeError } from '../util/errors'
import { readImage, type RgbImage } from '../image/rgbImage'
import { openDataset, readGroundTruth } from './datasets'
import type { GscBenchCodec, GscPacked, GscPrepared } from './gscCodec'
import { NO_ANALYSES, analyseOriginal, analyseReconstruction, analysisFingerprint, hasAnalyses, planAnalyses, type AnalysisName, type AnalysisPlan, type OriginalAnalysis } from './analysisMetrics'
import { IMAGE_METRICS, measureImage } from './imageMetrics'
import { RssSampler } from './memory'
import { AGREEMENT_SCORE, BENCH_METHOD_VERSION, MAP_SCORE, MAX_STORED_DETECTIONS } from './measurement'
import type { BaselineMeasurement, DatasetRun, ImageCRecord, OriginalRecord, ReconstructionMetrics, StoredDetection } from './types'

export interface BenchProgress {
  done: number
  total: number
  detail: string
}

export interface RunBenchOptions {
  data: string
  out: string
  channels: number[]
  baselines: BaselineId[]
  limit?: number
  /** Take every N-th image (sorted by name) from the first, before --limit: e.g. KITTI's report frames with 3. */
  every?: number
  /** Scene analyses beside detection: 'auto' (segmentation everywhere, depth where LiDAR exists), a list, or none (absent). */
  analyses?: 'auto' | readonly AnalysisName[]
  gsc: GscBenchCodec
  /** Where the GSC cells (encode and decode of one image at one C) run; default: in this process with `gsc`. */
  cells?: GscCellRunner
  /** null: no detector available (detection metrics are reported as missing). */
  detector: Detector | null
  /** Model fingerprint (hash of the manifest's hashes): cached results from other models are ignored. */
  modelFingerprint: string
  /** What the baselines' measurements depend on (the detector's hash). A cached baseline fit whose budget equals
   *  the new packet's size is reused when only the GSC models changed: its bytes, metrics and detections would be
   *  identical. Absent: never reused across model changes. */
  baselineFingerprint?: string
  signal?: AbortSignal
  onProgress?(p: BenchProgress): void
  onInfo?(line: string): void
}

/** One GSC cell of the bench: an image encoded at one C, and that packet decoded. */
export interface GscCellRef {
  imageId: string
  file: string
  c: number
}

export interface GscCellResult {
  caption: string
  /** The image's preparation (caption, analysis transform, channel ranking), shared by its cells. */
  prepareMs: number
  packed: GscPacked
  decoded: { image: RgbImage; decodeMs: number; steps: number }
}

/** Runs GSC cells: in this process (inProcessCells), or on the decode workers (src/core/jobs/benchCellQueue.ts). */
export interface GscCellRunner {
  /** The cells this dataset's run will ask for, in order, before the first: a runner may start them all at once. */
  start?(cells: GscCellRef[]): Promise<void>
  run(cell: GscCellRef, image: () => Promise<RgbImage>, signal?: AbortSignal): Promise<GscCellResult>
}

/** The cells in this process: an image is prepared once for all its C (the last image's preparation is kept). */
export function inProcessCells(gsc: GscBenchCodec): GscCellRunner {
  let last: { file: string; prepared: Promise<GscPrepared> } | null = null
  return {
    async run(cell, image, signal) {
      if (last?.file !== cell.file) last = { file: cell.file, prepared: image().then((x) => gsc.prepare(x, signal)) }
      const prepared = await last.prepared
      const packed = await prepared.pack(cell.c)
      const decoded = await gsc.decode(packed.packet, signal)
      return { caption: prepared.caption, prepareMs: prepared.prepareMs, packed, decoded }
    }
  }
}

function compact(d: Detection[], minScore: number): StoredDetection[] {
  const r2 = (v: number) => Math.round(v * 100) / 100
  return d
    .filter((x) => x.score >= minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_STORED_DETECTIONS)
    .map((x) => ({ classId: x.classId, score: Math.round(x.score * 1e4) / 1e4, box: [r2(x.box[0]), r2(x.box[1]), r2(x.box[2]), r2(x.box[3])] }))
}

function atOperatingPoint(d: StoredDetection[]): StoredDetection[] {
  return d.filter((x) => x.score >= AGREEMENT_SCORE)
}

function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, JSON.stringify(value))
  renameSync(tmp, file)
}

function readJson<T>(file: string): T | null {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null
  } catch {
    return null
  }
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_')

/** The cache key of a measurement. With no analyses it is the key it was before analyses existed (caches stay valid). */
export function fingerprintOf(modelFingerprint: string, analyses: AnalysisPlan = NO_ANALYSES): string {
  return createHash('sha256')
    .update(
      JSON.stringify({ v: BENCH_METHOD_VERSION, modelFingerprint, AGREEMENT_SCORE, MAP_SCORE, SCALES, SCALES_TRIED, metrics: IMAGE_METRICS.map((m) => m.key), analyses: analysisFingerprint(analyses) })
    )
    .digest('hex')
    .slice(0, 16)
}

/** How the image-level analyses reach measure(): the original's analyses, computed once per image when first needed. */
type OriginalAnalyses = (() => Promise<OriginalAnalysis>) | null

async function measure(original: RgbImage, recon: RgbImage, reference: StoredDetection[] | null, detector: Detector | null, analyses: OriginalAnalyses): Promise<ReconstructionMetrics> {
  const m: ReconstructionMetrics = { ...(await measureImage(original, recon)), agreement: null, detections: null }
  if (analyses) {
    const t = performance.now()
    m.analysis = await analyseReconstruction(await analyses(), recon)
    m.analysisMs = Math.round(performance.now() - t)
  }
  if (detector && reference) {
    const dets = compact(await detector.detect(recon, { scoreThreshold: MAP_SCORE, maxDetections: MAX_STORED_DETECTIONS }), MAP_SCORE)
    const a = detectionAgreement(atOperatingPoint(reference), atOperatingPoint(dets), 0.5)
    m.agreement = { precision: a.precision, recall: a.recall, f1: a.f1 }
    m.detections = dets
  }
  return m
}

export async function runBench(opts: RunBenchOptions): Promise<DatasetRun> {
  const ds = openDataset(opts.data)
  const every = opts.every ?? 1
  const selected = ds.images.filter((_, i) => i % every === 0)
  const images = opts.limit ? selected.slice(0, opts.limit) : selected
  const plan = opts.analyses ? planAnalyses(ds, opts.analyses) : NO_ANALYSES
  const fingerprint = fingerprintOf(opts.modelFingerprint, plan)
  const baselineFingerprint = opts.baselineFingerprint === undefined ? undefined : fingerprintOf(opts.baselineFingerprint, plan)
  let baselinesReused = 0
  const cacheDir = path.join(opts.out, 'cache', safeName(ds.name))
  const sampler = new RssSampler()
  sampler.start()
  const total = images.length * opts.channels.length
  let done = 0
  let computed = 0
  let cached = 0
  const originals: OriginalRecord[] = []
  const records: ImageCRecord[] = []
  const cells = opts.cells ?? inProcessCells(opts.gsc)
  // A cached record whose GSC measurement still holds (only baselines may be missing from it).
  const usableRecord = (prev: ImageCRecord | null) => (prev && prev.fingerprint === fingerprint && (!opts.detector || prev.gsc.agreement !== null) ? prev : null)
  const recFileOf = (imageId: string, c: number) => path.join(cacheDir, safeName(imageId), `c${c}.json`)
  if (cells.start) {
    const todo = images.flatMap((im) => opts.channels.filter((c) => !usableRecord(readJson<ImageCRecord>(recFileOf(im.id, c)))).map((c) => ({ imageId: im.id, file: im.file, c })))
    if (todo.length > 0) await cells.start(todo)
  }
  try {
    for (const im of images) {
      opts.signal?.throwIfAborted()
      const imgDir = path.join(cacheDir, safeName(im.id))
      let img: RgbImage | null = null
      const loadImg = async () => (img ??= await readImage(im.file))
      let origAnalysis: Promise<OriginalAnalysis> | null = null
      const analyses: OriginalAnalyses = hasAnalyses(plan) ? () => (origAnalysis ??= loadImg().then((x) => analyseOriginal(plan, ds, im, x))) : null

      // The original: detections (reference for agreement) and ground truth.
      const origFile = path.join(imgDir, 'original.json')
      let orig = readJson<OriginalRecord>(origFile)
      if (!orig || orig.fingerprint !== fingerprint || (opts.detector && !orig.detections)) {
        const x = await loadImg()
        let detections: StoredDetection[] | null = null
        let detectMs: number | null = null
        if (opts.detector) {
          const t = performance.now()
          detections = compact(await opts.detector.detect(x, { scoreThreshold: MAP_SCORE, maxDetections: MAX_STORED_DETECTIONS }), MAP_SCORE)
          detectMs = performance.now() - t
        }
        orig = {
          fingerprint,
          scene: ds.name,
          image: im.id,
          file: path.relative(process.cwd(), im.file),
          width: x.width,
          height: x.height,
          groundTruth: ds.labelled ? readGroundTruth(ds, im, x.width, x.height) : null,
          detections,
          detectMs,
          ...(analyses ? { analysis: (await analyses()).values } : {})
        }
        writeJsonAtomic(origFile, orig)
      }
      originals.push(orig)

      // Trial encodes are shared by the fits of this image at every C.
      const memos = new Map<BaselineId, FitMemo>()
      const memoOf = (b: BaselineId) => memos.get(b) ?? (memos.set(b, newFitMemo()), memos.get(b)!)
      for (const c of opts.channels) {
        opts.signal?.throwIfAborted()
        const recFile = recFileOf(im.id, c)
        const prev = readJson<ImageCRecord>(recFile)
        const usable = usableRecord(prev)
        const missing = opts.baselines.filter((b) => !usable?.baselines[b] || (opts.detector && usable.baselines[b]!.reached && !usable.baselines[b]!.metrics?.agreement))
        if (usable && missing.length === 0) {
          records.push(usable)
          cached++
          opts.onProgress?.({ done: ++done, total, detail: `${ds.name}/${im.id} C=${c} (cached)` })
          continue
        }
        const x = await loadImg()
        sampler.takePeakMiB()
        let rec: ImageCRecord
        if (usable) rec = usable
        else {
          opts.onProgress?.({ done, total, detail: `${ds.name}/${im.id} C=${c} GSC` })
          const cell = await cells.run({ imageId: im.id, file: im.file, c }, loadImg, opts.signal)
          const p = cell.packed
          const d = cell.decoded
          const bits = p.packet.length * 8
          rec = {
            fingerprint,
            scene: ds.name,
            image: im.id,
            c,
            caption: cell.caption,
            gsc: {
              c,
              bytes: p.packet.length,
              bits,
              bpp: bits / (x.width * x.height),
              quantStep: p.quantStep,
              targetBits: p.targetBits,
              fitsTarget: p.fitsTarget,
              channelIndices: p.channelIndices,
              modelSet: p.modelSet,
              sections: p.sections,
              encodeMs: cell.prepareMs + p.packMs,
              packMs: p.packMs,
              decodeMs: d.decodeMs,
              steps: d.steps,
              ...(await measure(x, d.image, orig.detections, opts.detector, analyses))
            },
            baselines: {},
            baselineFingerprint,
            peakRssMiB: 0
          }
          if (baselineFingerprint !== undefined && prev?.baselineFingerprint === baselineFingerprint) {
            for (const b of opts.baselines) {
              const old = prev.baselines[b]
              if (old && old.targetBytes === rec.gsc.bytes && (!opts.detector || !old.reached || old.metrics?.agreement)) {
                rec.baselines[b] = old
                baselinesReused++
              }
            }
          }
        }
        const todo = missing.filter((b) => !rec.baselines[b])
        // Two codecs at a time: the command-line encoders run as separate processes while this one measures.
        const queue = [...todo]
        const worker = async () => {
          for (let b = queue.shift(); b; b = queue.shift()) {
            opts.signal?.throwIfAborted()
            opts.onProgress?.({ done, total, detail: `${ds.name}/${im.id} C=${c} ${b} @${rec.gsc.bytes} B` })
            rec.baselines[b] = await runBaseline(b, x, rec.gsc.bytes, orig!.detections, opts.detector, analyses, opts.signal, memoOf(b))
          }
        }
        await Promise.all([worker(), worker()])
        // keep a stable key order in the cache files
        rec.baselines = Object.fromEntries(BASELINE_IDS.filter((b) => rec.baselines[b]).map((b) => [b, rec.baselines[b]]))
        rec.peakRssMiB = Math.max(usable?.peakRssMiB ?? 0, sampler.takePeakMiB())
        writeJsonAtomic(recFile, rec)
        records.push(rec)
        computed++
        opts.onProgress?.({ done: ++done, total, detail: `${ds.name}/${im.id} C=${c}` })
      }
    }
  } finally {
    sampler.stop()
  }
  return {
    dataset: { name: ds.name, root: ds.root, layout: ds.layout, labelled: ds.labelled, imagesTotal: ds.images.length, imagesUsed: images.length, every },
    analyses: plan,
    originals,
    records,
    computed,
    cached,
    baselinesReused
  }
}

async function runBaseline(
  id: BaselineId,
  img: RgbImage,
  targetBytes: number,
  reference: StoredDetection[] | null,
  detector: Detector | null,
  analyses: OriginalAnalyses,
  signal?: AbortSignal,
  memo?: FitMemo
): Promise<BaselineMeasurement> {
  const t0 = performance.now()
  const base = { codec: id, targetBytes }
  try {
    const r = await fitToSize(BASELINES[id], img, targetBytes, signal, memo)
    const searchMs = performance.now() - t0
    return {
      ...base,
      reached: r.reached,
      bytes: r.bytes,
      smallestBytes: r.smallestBytes,
      bpp: r.reached ? (r.bytes * 8) / (img.width * img.height) : null,
      scale: r.scale,
      codedWidth: r.codedWidth,
      codedHeight: r.codedHeight,
      knob: r.knob,
      encodes: r.encodes,
      encodeMs: r.encodeMs,
      decodeMs: r.decodeMs,
      searchMs,
      metrics: r.image ? await measure(img, r.image, reference, detector, analyses) : null
    }
  } catch (e) {
    if (signal?.aborted) throw e
    // A codec that fails (e.g. missing binary) is reported, not dropped.
    if (!(e instanceof GscError)) throw e
    return {
      ...base,
      reached: false,
      bytes: 0,
      smallestBytes: 0,
      bpp: null,
      scale: null,
      codedWidth: null,
      codedHeight: null,
      knob: null,
      encodes: 0,
      encodeMs: null,
      decodeMs: null,
      searchMs: performance.now() - t0,
      metrics: null,
      error: describeError(e)
    }
  }
}
