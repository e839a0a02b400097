// The text under the panels and in the index: codec names and metric values as the sheet prints them.
import type { BaselineId } from '../../baselines/codecs'
import { BASELINE_CODECS } from '../../../shared/schemas'
import { IMAGE_METRICS } from '../imageMetrics'
import { LABEL_METRICS, type PanelMetrics } from './types'

export const baselineName = (id: BaselineId) => BASELINE_CODECS.find((c) => c.id === id)?.name ?? id
export const metricDef = (key: string) => IMAGE_METRICS.find((m) => m.key === key)

export function fmtMetric(key: string, v: number | undefined): string | null {
  const m = metricDef(key)
  if (!m || v === undefined || !Number.isFinite(v)) return null
  return `${m.label} ${v.toFixed(m.digits)}`
}

/** Two metrics per line: ΔE00 · blockiness, LPIPS · MS-SSIM. */
export function metricLines(metrics: PanelMetrics | null): string[] {
  if (!metrics) return []
  const parts = LABEL_METRICS.map((k) => fmtMetric(k, (metrics as Record<string, number>)[k])).filter((s): s is string => s !== null)
  const lines: string[] = []
  for (let i = 0; i < parts.length; i += 2) lines.push(parts.slice(i, i + 2).join(' · '))
  return lines
}
