// `gsc bench`: GSC against baseline codecs at equal bits, with results.json, report.md and plots.
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { CommandSpec } from '../framework'
import { UsageError, numberOpt, requireString, stringOpt } from '../framework'
import { parseBaselineList, BASELINES } from '../../core/baselines/codecs'
import { inProcessCells, runBench, type GscCellRunner } from '../../core/bench/runBench'
import { openQueuedCells, type QueuedCells } from '../../core/jobs/benchCellQueue'
import { isPostgresUrl } from '../../core/store/archive'
import { redactUrl } from '../../core/store/postgres/connection'
import { ANALYSIS_NAMES, type AnalysisName } from '../../core/bench/analysisMetrics'
import type { DatasetRun } from '../../core/bench/types'
import { gscCodecFingerprint, realGscCodec } from '../../core/bench/gscCodec'
import { modelHashes } from '../../core/bench/machine'
import { assembleResults, writeResults } from '../../core/bench/results'
import { getDetector } from '../../core/codec/sharedDetector'
import type { Detector } from '../../core/analysis/detector'
import { describeError } from '../../core/util/errors'
import { channelList } from './channelList'
import { LUMA_RULE_HELP, lumaRuleOf } from './codecOptions'

interface BenchOutput {
  out: string
  files: string[]
  goal: { dataset: string; c: number; f1: string; msssim: string; met: boolean }[]
  computed: number
  cached: number
  wallS: number
  /** --workers: GSC cells delivered by the decode workers (by worker) and run in this process instead; null without it. */
  workers: { queue: string; byWorkers: number; inProcess: number; perWorker: Record<string, number> } | null
}

/** --analyses: 'auto', 'none' (undefined: no analyses) or a comma list of analysis names. */
export function parseAnalyses(text: string): 'auto' | AnalysisName[] | undefined {
  if (text === 'auto') return 'auto'
  if (text === 'none') return undefined
  const names = text.split(',').map((x) => x.trim()).filter(Boolean)
  const bad = names.find((n) => !(ANALYSIS_NAMES as readonly string[]).includes(n))
  if (bad !== undefined || names.length === 0) throw new UsageError(`--analyses must be auto, none or a list of ${ANALYSIS_NAMES.join(', ')}; got '${text}'`)
  return names as AnalysisName[]
}

const bench: CommandSpec<BenchOutput> = {
  name: 'bench',
  summary: 'benchmark GSC against baseline codecs at equal bits',
  usage:
    'gsc bench --data <folder> [--data <folder> ...] --out <dir> [--channels 1,2,4,8,16] [--baselines all|avif,jpeg2000,hevc,jxl,webp,jpeg|none] [--limit N] [--every N] [--analyses auto|none|segmentation,depth] [--steps S] [--model-set N] [--luma-rule search|search-from-c4|search-from-c8|fixed] [--workers postgres://...] [--json]\n' +
    '  --every N: every N-th image in file-name order from the first (before --limit), e.g. KITTI\'s report frames with 3.\n' +
    '  --analyses: scene analyses beside detection (default auto: segmentation agreement on every dataset, with mIoU against coco128 semseg_masks where they exist; depth against LiDAR where the dataset has depth_velodyne). none: image metrics and detection only.\n' +
    '  --model-set N: encode with model set N (default: the manifest\'s default set; gsc models lists them).\n' +
    LUMA_RULE_HELP + '\n' +
    '  --workers <postgres://...>: the GSC cells (encode + decode of one image at one C) run as jobs on that archive\'s decode queue, taken by its gsc workers; baselines and measurements stay here. The report is the same. With no live worker the cells run in this process (one warning line).\n' +
    '  <folder>: plain images (e.g. kodak), COCO/YOLO layout (images/<split> + labels/<split>) or KITTI (image_2 + label_2).\n' +
    '  Writes <dir>/results.json, report.md, <dataset>-{msssim,psnr,f1,ciede2000,blockiness,lpips}.{svg,png} and one plot per analysis metric measured (seg-agreement, seg-miou, depth-delta1, depth-absrel, depth-agreement); per image+C results are cached in <dir>/cache (resumable).',
  options: {
    data: { type: 'string', multiple: true },
    out: { type: 'string' },
    channels: { type: 'string' },
    baselines: { type: 'string' },
    limit: { type: 'string' },
    every: { type: 'string' },
    analyses: { type: 'string' },
    steps: { type: 'string' },
    'model-set': { type: 'string' },
    'luma-rule': { type: 'string' },
    workers: { type: 'string' }
  },
  async run(args, ctx) {
    const data = (args.values.data as string[] | undefined) ?? []
    if (data.length === 0) throw new UsageError('missing --data (a folder of images)')
    const out = requireString(args, 'out', 'output folder')
    const channels = channelList(stringOpt(args, 'channels') ?? '1,2,4,8,16')
    let baselines
    try {
      baselines = parseBaselineList(stringOpt(args, 'baselines') ?? 'all')
    } catch (e) {
      throw new UsageError(describeError(e))
    }
    const limit = numberOpt(args, 'limit', undefined, { int: true, min: 1 })
    const steps = numberOpt(args, 'steps', undefined, { int: true, min: 1 })
    const every = numberOpt(args, 'every', undefined, { int: true, min: 1 })
    const analyses = parseAnalyses(stringOpt(args, 'analyses') ?? 'auto')
    const workersUrl = stringOpt(args, 'workers')
    if (workersUrl !== undefined && !isPostgresUrl(workersUrl))
      throw new UsageError(`--workers must be the decode workers' archive, a postgres:// or postgresql:// URL; got '${workersUrl}'`)
    for (const b of baselines) {
      const why = await BASELINES[b].unavailable()
      if (why) ctx.info(`warning: baseline ${b} unavailable: ${why} (it will be reported as failed)`)
    }
    let detector: Detector | null = null
    let detectorNote: string
    try {
      detector = await getDetector('cpu')
      detectorNote = 'resources/models/detector.onnx (NanoDet, COCO-80)'
    } catch (e) {
      detectorNote = `unavailable (${describeError(e)}): detection metrics are missing`
      ctx.info(`warning: detector ${detectorNote}`)
    }
    const hashes = modelHashes()
    // Cached measurements are valid only for the same model files decoded the same way.
    const modelSet = numberOpt(args, 'model-set', undefined, { int: true, min: 1 })
    const lumaRule = lumaRuleOf(args)
    const gsc = realGscCodec({ steps, modelSet, lumaRule })
    const modelFingerprint = gscCodecFingerprint({ steps, modelSet, lumaRule })
    // Baseline fits depend only on the image, the byte budget and the detector (plus the codec tools).
    const detectorHash = detector && !('error' in hashes) ? hashes.detector?.sha256 : undefined
    const baselineFingerprint = detectorHash ? createHash('sha256').update(`detector ${detectorHash}`).digest('hex') : undefined
    let cells: GscCellRunner = inProcessCells(gsc)
    let queued: QueuedCells | null = null
    if (workersUrl !== undefined) {
      const q = await openQueuedCells(workersUrl, { modelSet, steps, lumaRule, modelFingerprint, local: cells, onInfo: ctx.info })
      if ('noLiveWorker' in q) ctx.info(`warning: no live gsc worker on ${q.noLiveWorker}: the GSC cells run in this process`)
      else cells = queued = q
    }
    const t0 = performance.now()
    const runs: DatasetRun[] = []
    try {
      for (const d of data) {
        const bar = ctx.progress(`bench ${d}`, undefined)
        const run = await runBench({
          data: d,
          out,
          channels,
          baselines,
          limit,
          every,
          analyses,
          gsc,
          cells,
          detector,
          modelFingerprint,
          baselineFingerprint,
          signal: ctx.signal,
          onProgress: (p) => bar.update(p.done, `${p.done}/${p.total} ${p.detail}`),
          onInfo: ctx.info
        })
        bar.done(`${run.computed} measured, ${run.cached} cached` + (run.baselinesReused ? `, ${run.baselinesReused} baseline fits reused (same budget, same detector)` : ''))
        runs.push(run)
      }
    } finally {
      await queued?.close()
    }
    const wallS = (performance.now() - t0) / 1000
    const envPrefix = process.env.GSC_MODELS_DIR ? `GSC_MODELS_DIR=${process.env.GSC_MODELS_DIR} ` : ''
    const argv = process.argv.slice(process.argv.indexOf('bench') + 1).filter((a) => a !== '--json').map((a) => (isPostgresUrl(a) ? redactUrl(a) : a))
    const command = `${envPrefix}npx gsc bench ${argv.join(' ')}`
    const results = assembleResults({ command, runs, channels, baselines, detector: detectorNote, haveDetector: detector !== null, limit: limit ?? null, wallS })
    const files = await writeResults(out, results)
    return {
      out,
      files,
      goal: results.summaries.flatMap((s) => s.perC.map((c) => ({ dataset: s.name, c: c.c, f1: c.goal.f1, msssim: c.goal.msssim, met: c.goal.met }))),
      computed: results.timing.computed,
      cached: results.timing.cached,
      wallS,
      workers: queued ? { queue: queued.where, byWorkers: queued.stats.byWorkers, inProcess: queued.stats.inProcess, perWorker: queued.stats.workers } : null
    }
  },
  format(r) {
    const lines = [`wrote ${r.files.length} files to ${r.out} (${r.computed} image x C measured, ${r.cached} cached, ${r.wallS.toFixed(0)} s)`]
    if (r.workers)
      lines.push(
        `GSC cells: ${r.workers.byWorkers} by gsc workers on ${r.workers.queue} (${Object.entries(r.workers.perWorker).map(([w, n]) => `${w}: ${n}`).join(', ') || 'none'}), ${r.workers.inProcess} in this process`
      )
    for (const g of r.goal) lines.push(`${g.dataset} C=${g.c}: F1 ${g.f1}, MS-SSIM ${g.msssim} -> ${g.met ? 'MET' : 'NOT MET'}`)
    return lines.join('\n')
  }
}

export default bench
