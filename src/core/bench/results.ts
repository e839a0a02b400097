// Assembles results.json, report.md and the plots from the dataset runs, and writes them to the output folder.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASELINES, type BaselineId } from '../baselines/codecs'
import { buildCalibration, type CalibrationTable } from '../planner/calibration'
import { IMAGE_METRICS } from './imageMetrics'
import { gitCommit, machineInfo, modelHashes, type MachineInfo } from './machine'
import { maxRssMiB } from './memory'
import { renderSvg, svgToPng, type PlotSpec } from './plots'
import { renderReport } from './report'
import { AGREEMENT_SCORE, MAP_SCORE, type DatasetRun } from './runBench'
import { summarizeDataset, type DatasetSummary } from './summarize'

export interface BenchResults {
  formatVersion: 1
  command: string
  createdAt: string
  machine: MachineInfo
  git: { commit: string | null; dirty: boolean | null }
  models: ReturnType<typeof modelHashes>
  detector: string
  config: {
    channels: number[]
    baselines: BaselineId[]
    baselineCodecs: Record<string, { label: string; container: string; knob: string }>
    agreementScore: number
    mapScore: number
    limit: number | null
  }
  summaries: DatasetSummary[]
  /** Every measured image and C (detections on reconstructions are left in the cache files to keep this small). */
  datasets: (Omit<DatasetRun, 'records' | 'originals'> & { originals: unknown[]; records: unknown[] })[]
  /** Planner input: bits and detection disagreement per image and C, and per scene means (gsc plan --table). */
  calibration: CalibrationTable
  timing: { wallS: number; computed: number; cached: number; maxRssMiB: number }
}

function stripDetections(run: DatasetRun) {
  const strip = <T extends { detections?: unknown } | null>(m: T) => (m ? { ...m, detections: undefined } : m)
  return {
    ...run,
    originals: run.originals.map((o) => ({ ...o, detections: undefined, detectionsAtOperatingPoint: o.detections?.filter((d) => d.score >= AGREEMENT_SCORE).length ?? null })),
    records: run.records.map((r) => ({
      ...r,
      gsc: strip(r.gsc),
      baselines: Object.fromEntries(Object.entries(r.baselines).map(([k, b]) => [k, b ? { ...b, metrics: strip(b.metrics) } : b]))
    }))
  }
}

export function assembleResults(args: {
  command: string
  runs: DatasetRun[]
  channels: number[]
  baselines: BaselineId[]
  detector: string
  haveDetector: boolean
  limit: number | null
  wallS: number
}): BenchResults {
  const summaries = args.runs.map((r) => summarizeDataset(r, args.channels, args.baselines, args.haveDetector))
  const calibration = buildCalibration(
    args.runs.flatMap((run) =>
      run.records.map((r) => ({ image: r.image, scene: r.scene, c: r.c, bits: r.gsc.bits, disagreement: r.gsc.agreement ? 1 - r.gsc.agreement.f1 : null }))
    )
  )
  return {
    formatVersion: 1,
    command: args.command,
    createdAt: new Date().toISOString(),
    machine: machineInfo(),
    git: gitCommit(),
    models: modelHashes(),
    detector: args.detector,
    config: {
      channels: args.channels,
      baselines: args.baselines,
      baselineCodecs: Object.fromEntries(args.baselines.map((b) => [b, { label: BASELINES[b].label, container: BASELINES[b].container, knob: BASELINES[b].knobName }])),
      agreementScore: AGREEMENT_SCORE,
      mapScore: MAP_SCORE,
      limit: args.limit
    },
    summaries,
    datasets: args.runs.map(stripDetections),
    calibration,
    timing: {
      wallS: args.wallS,
      computed: args.runs.reduce((s, r) => s + r.computed, 0),
      cached: args.runs.reduce((s, r) => s + r.cached, 0),
      maxRssMiB: maxRssMiB()
    }
  }
}

/** The plots, one per metric against bpp: every IMAGE_METRICS entry with a plot, then detection F1. */
export const PLOTTED = [
  ...IMAGE_METRICS.flatMap((m) => (m.plot ? [{ key: m.key, label: m.plot.axis, file: m.plot.file }] : [])),
  { key: 'f1' as const, label: 'detection F1 (vs detections on the original)', file: 'f1' }
]

export function plotSpecs(d: DatasetSummary): { name: string; spec: PlotSpec }[] {
  const metrics = PLOTTED
  const codecs = d.perC[0]?.baselines.map((b) => b.codec) ?? []
  return metrics.map((m) => ({
    name: `${d.name}-${m.file}`,
    spec: {
      title: `${d.name}: ${m.label.split(' (')[0]} vs bits per pixel (${d.images} images)`,
      xLabel: 'bits per pixel (mean over images)',
      yLabel: m.label,
      series: [
        {
          name: 'GSC',
          points: d.perC.filter((c) => c.gsc[m.key] !== null).map((c) => ({ x: c.gsc.meanBpp!, y: c.gsc[m.key]!, label: `C=${c.c}` }))
        },
        ...codecs.map((id) => ({
          name: id,
          points: d.perC.flatMap((c) => {
            const b = c.baselines.find((x) => x.codec === id)!
            return b.n > 0 && b[m.key] !== null && b.meanBpp !== null ? [{ x: b.meanBpp, y: b[m.key]!, partial: !b.complete }] : []
          })
        }))
      ],
      note: 'hollow marker: the codec reached\nthe size on only some images\n(mean over those)'
    }
  }))
}

export async function writeResults(out: string, r: BenchResults): Promise<string[]> {
  mkdirSync(out, { recursive: true })
  const written: string[] = []
  const put = (name: string, data: string | Buffer) => {
    writeFileSync(path.join(out, name), data)
    written.push(path.join(out, name))
  }
  put('results.json', JSON.stringify(r, null, 1) + '\n')
  for (const d of r.summaries)
    for (const p of plotSpecs(d)) {
      const svg = renderSvg(p.spec)
      put(`${p.name}.svg`, svg)
      put(`${p.name}.png`, await svgToPng(svg))
    }
  put('report.md', renderReport(r))
  return written
}
