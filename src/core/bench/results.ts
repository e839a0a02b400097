// Assembles results.json, report.md and the plots from the dataset runs, and writes them to the output folder.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASELINES, type BaselineId } from '../baselines/codecs'
import { buildCalibration } from '../planner/calibration'
import { gitCommit, machineInfo, modelHashes } from './machine'
import { AGREEMENT_SCORE, MAP_SCORE } from './measurement'
import { maxRssMiB } from './memory'
import { plotSpecs } from './plotSpecs'
import { renderSvg, svgToPng } from './plots'
import { renderReport } from './report'
import { summarizeDataset } from './summarize'
import type { BenchResults, DatasetRun } from './types'

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
      run.records.map((r) => ({
        image: r.image,
        scene: r.scene,
        c: r.c,
        bits: r.gsc.bits,
        disagreement: r.gsc.agreement ? 1 - r.gsc.agreement.f1 : null,
        segmentation: r.gsc.analysis?.segAgreement !== undefined ? 1 - r.gsc.analysis.segAgreement : null,
        depth: r.gsc.analysis?.depthAgreeDelta1 !== undefined ? 1 - r.gsc.analysis.depthAgreeDelta1 : null
      }))
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
