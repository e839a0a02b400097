// The plots of a bench run: for each dataset, one per metric against bits per pixel, GSC and every baseline.
import { IMAGE_METRICS } from './imageMetrics'
import type { PlotSpec } from './plots'
import type { DatasetSummary } from './types'

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
