// The plots of a bench run: for each dataset, one per metric against bits per pixel, GSC and every baseline.
import { ANALYSIS_METRICS, type AnalysisKey } from './analysisMetrics'
import { IMAGE_METRICS } from './imageMetrics'
import type { PlotSpec } from './plots'
import type { DatasetSummary } from './types'

/** The plots, one per metric against bpp: every IMAGE_METRICS entry with a plot, then detection F1. */
export const PLOTTED = [
  ...IMAGE_METRICS.flatMap((m) => (m.plot ? [{ key: m.key, label: m.plot.axis, file: m.plot.file }] : [])),
  { key: 'f1' as const, label: 'detection F1 (vs detections on the original)', file: 'f1' }
]

/** Analysis metrics plotted where a dataset has them (the paper's task curves against bpp). */
const ANALYSIS_PLOTS: { key: AnalysisKey; file: string }[] = [
  { key: 'segAgreement', file: 'seg-agreement' },
  { key: 'segMiou', file: 'seg-miou' },
  { key: 'depthDelta1', file: 'depth-delta1' },
  { key: 'depthAbsRel', file: 'depth-absrel' },
  { key: 'depthAgreeDelta1', file: 'depth-agreement' }
]

/** Every plot of one dataset: PLOTTED, then the analysis metrics it measured. */
export function plottedFor(d: DatasetSummary): { key: (typeof PLOTTED)[number]['key'] | AnalysisKey; label: string; file: string }[] {
  const analyses = ANALYSIS_PLOTS.filter((p) => d.perC.some((c) => c.gsc[p.key] !== null && c.gsc[p.key] !== undefined)).map((p) => {
    const m = ANALYSIS_METRICS.find((x) => x.key === p.key)!
    return { key: p.key, file: p.file, label: `${m.label} (${m.better} is better)` }
  })
  return [...PLOTTED, ...analyses]
}

export function plotSpecs(d: DatasetSummary): { name: string; spec: PlotSpec }[] {
  const metrics = plottedFor(d)
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
          points: d.perC.filter((c) => c.gsc[m.key] !== null && c.gsc[m.key] !== undefined).map((c) => ({ x: c.gsc.meanBpp!, y: c.gsc[m.key]!, label: `C=${c.c}` }))
        },
        ...codecs.map((id) => ({
          name: id,
          points: d.perC.flatMap((c) => {
            const b = c.baselines.find((x) => x.codec === id)!
            const y = b[m.key]
            return b.n > 0 && y !== null && y !== undefined && b.meanBpp !== null ? [{ x: b.meanBpp, y, partial: !b.complete }] : []
          })
        }))
      ],
      note: 'hollow marker: the codec reached\nthe size on only some images\n(mean over those)'
    }
  }))
}
