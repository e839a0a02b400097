// The panels of one sheet, one row per C: the original, the decoded GSC packet, and the best baseline fitted to the
// packet's bytes (or a box saying none fits); and the per-C record of every candidate behind them.
import path from 'node:path'
import type { BaselineId } from '../../baselines/codecs'
import type { RgbImage } from '../../image/rgbImage'
import { pickBest } from './baselineFit'
import { baselineName, fmtMetric, metricLines } from './labels'
import type { Cell } from './render'
import type { PanelMetrics, SheetBaseline, SheetC } from './types'

/** One C's GSC result: its decoded image and its row of the sheet record. */
export interface GscPanel {
  c: number
  image: RgbImage
  row: SheetC['gsc']
}

/** A fitted baseline and the image it decodes to (null when it did not reach the size). */
export interface BaselinePanel {
  fit: SheetBaseline
  image: RgbImage | null
}

export function sheetCells(
  source: { file: string; fileBytes: number; image: RgbImage; metrics: PanelMetrics },
  gsc: GscPanel[],
  baselines: BaselineId[],
  fitOf: (codec: BaselineId, c: number) => BaselinePanel
): { perC: SheetC[]; cells: Cell[][] } {
  const img = source.image
  const perC: SheetC[] = []
  const cells: Cell[][] = []
  const originalCell: Cell = {
    kind: 'original',
    c: null,
    codec: null,
    image: img,
    label: [`original ${img.width}×${img.height}`, `${path.basename(source.file)}, ${source.fileBytes} B`, fmtMetric('blockiness', source.metrics.blockiness) ?? '', 'panels: metrics against this image']
  }
  for (const g of gsc) {
    const list = baselines.map((b) => fitOf(b, g.c))
    const bi = pickBest(list.map((x) => x.fit))
    const best = bi >= 0 ? list[bi] : null
    perC.push({ c: g.c, gsc: g.row, baselines: list.map((x) => x.fit), best: best ? best.fit.codec : null })
    const gscCell: Cell = {
      kind: 'gsc',
      c: g.c,
      codec: null,
      image: g.image,
      label: [`GSC C=${g.c}`, `${g.row.bytes} B (${g.row.bpp.toFixed(4)} bpp)`, ...metricLines(g.row.metrics)]
    }
    const candidates = list.filter((x) => x.fit.reached).length
    let baseCell: Cell
    if (best) {
      const f = best.fit
      const coded = f.scale !== null && f.scale < 1 ? `, coded ${f.codedWidth}×${f.codedHeight}` : ''
      baseCell = {
        kind: 'baseline',
        c: g.c,
        codec: f.codec,
        image: best.image,
        label: [`${f.name}: best MS-SSIM of ${candidates}/${list.length} fitted`, `${f.bytes} B ≤ ${g.row.bytes} B${coded}`, ...metricLines(f.metrics)]
      }
    } else {
      const smallest = list.filter((x) => x.fit.bytes !== null).sort((a, b) => a.fit.bytes! - b.fit.bytes!)[0]
      baseCell = {
        kind: 'baseline',
        c: g.c,
        codec: null,
        image: null,
        missing: `no baseline fits in ${g.row.bytes} B` + (smallest ? ` (smallest: ${smallest.fit.name} ${smallest.fit.bytes} B)` : ''),
        label: [`no baseline ≤ ${g.row.bytes} B`, `tried: ${baselines.map(baselineName).join(', ')}`]
      }
    }
    cells.push([originalCell, gscCell, baseCell])
  }
  return { perC, cells }
}
