// The sheet's geometry: one row when it fits the width, else one row per C scaled down as a whole; the text sizes
// and the header's word wrap that the geometry depends on.
import { MAX_SHEET_WIDTH } from './types'

export const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
export const FONT_SIZE = 13
export const LINE_H = 17
export const TITLE_SIZE = 15
export const GUTTER = 12
export const MARGIN = 12
export const LABEL_PAD = 6
export const MIN_CELL_W = 250
export const LABEL_LINES = 5
/** Rough advance of DejaVu Sans at FONT_SIZE, for wrapping the header. */
export const CHAR_W = 0.62 * FONT_SIZE

export function wrap(text: string, width: number): string[] {
  const max = Math.max(20, Math.floor(width / CHAR_W))
  const lines: string[] = []
  let line = ''
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > max) {
      lines.push(line)
      line = w
    } else line = line ? `${line} ${w}` : w
  }
  if (line) lines.push(line)
  return lines
}

export interface SheetLayout {
  layout: 'row' | 'grid'
  scale: number
  cols: number
  rows: number
  cellW: number
  imgW: number
  imgH: number
  headerH: number
  width: number
  height: number
}

/**
 * One row (original, then GSC and baseline per C) when it fits in maxWidth at full size; otherwise one row per C
 * (original, GSC, baseline), scaled down as a whole if even that is wider than maxWidth.
 */
export function sheetLayout(width: number, height: number, nC: number, maxWidth = MAX_SHEET_WIDTH, headerLines = 3): SheetLayout {
  const across = (cols: number, w: number) => 2 * MARGIN + cols * Math.max(w, MIN_CELL_W) + (cols - 1) * GUTTER
  const rowCols = 1 + 2 * nC
  let layout: 'row' | 'grid' = 'row'
  let cols = rowCols
  let rows = 1
  let scale = 1
  if (across(rowCols, width) > maxWidth) {
    layout = 'grid'
    cols = 3
    rows = nC
    const room = (maxWidth - 2 * MARGIN - (cols - 1) * GUTTER) / cols
    scale = Math.min(1, room / width)
  }
  const imgW = Math.max(1, Math.round(width * scale))
  const imgH = Math.max(1, Math.round(height * scale))
  const cellW = Math.max(imgW, MIN_CELL_W)
  const headerH = MARGIN + TITLE_SIZE + 6 + headerLines * LINE_H + 6
  const cellH = imgH + LABEL_PAD + LABEL_LINES * LINE_H
  return {
    layout,
    scale,
    cols,
    rows,
    cellW,
    imgW,
    imgH,
    headerH,
    width: across(cols, cellW),
    height: headerH + rows * cellH + (rows - 1) * GUTTER + MARGIN
  }
}
