/**
 * Comparison sheets: the pictures a person looks at before believing a metric (issue 16, item 1).
 *
 * For one image: the original, then for each C the GSC reconstruction (the default models, the bench's own
 * encode and decode path) beside the best baseline fitted to the same bytes, each with a label giving the method,
 * its bytes and the metrics of that panel against the original (ΔE00, blockiness, LPIPS, MS-SSIM; the JSON has
 * every metric `gsc bench` measures).
 *
 * The rule for the baseline panel (BEST_BASELINE_RULE): every requested baseline is fitted to the GSC packet's
 * size by the bench's fit-to-size rule (src/core/baselines/fitToSize.ts: downscale + quality search, the file
 * not above the packet's bytes); among those that reached that size, the one with the highest MS-SSIM against
 * the original is shown (ties to the earlier codec in the requested list).
 *
 * Plain Node: no CLI concerns. Writes <out>/<id>.png, <out>/<id>.json and rebuilds <out>/index.md from every
 * sheet JSON in <out>.
 */
import sharp, { type OverlayOptions } from 'sharp'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { BASELINES, type BaselineId } from '../baselines/codecs'
import { fitToSize, newFitMemo, type FitMemo } from '../baselines/fitToSize'
import { decodeGscPacket } from '../bitstream/gscPacket'
import { BASELINE_CODECS } from '../../shared/schemas'
import { GscError, describeError } from '../util/errors'
import { readImage, resizeImage, type RgbImage } from '../util/image'
import { realGscCodec, type GscBenchCodec } from './gscCodec'
import { IMAGE_METRICS, measureImage, type ImageMetricValues } from './imageMetrics'

export const SHEET_KIND = 'gsc-comparison-sheet'
export const SHEET_VERSION = 1
export const DEFAULT_SHEET_CHANNELS = [1, 4, 16]
/** Sheets wider than this (in pixels) are scaled down as a whole; text stays at its size. */
export const MAX_SHEET_WIDTH = 2400

export const BEST_BASELINE_RULE =
  "baseline panel = of the requested baselines, each fitted to the GSC packet's bytes by the bench's fit-to-size rule " +
  '(downscale + quality search, file not above the packet), the one with the highest MS-SSIM against the original; ' +
  'codecs that cannot get that small are not candidates'

/** The metrics written under each panel, in this order (all of IMAGE_METRICS are in the JSON). */
export const LABEL_METRICS = ['ciede2000', 'blockiness', 'lpips', 'msssim'] as const

export type PanelMetrics = ImageMetricValues

export interface SheetBaseline {
  codec: BaselineId
  name: string
  /** The fitted file is not above the GSC packet's bytes. */
  reached: boolean
  /** The chosen file's bytes; when not reached, the smallest this codec can make of this image. */
  bytes: number | null
  bpp: number | null
  scale: number | null
  codedWidth: number | null
  codedHeight: number | null
  knob: { name: string; value: number } | null
  metrics: PanelMetrics | null
  /** Why the codec could not run at all (e.g. its command-line tool is missing). */
  error: string | null
  fitMs: number
}

export interface SheetC {
  c: number
  gsc: {
    bytes: number
    bpp: number
    quantStep: number
    fitsTarget: boolean
    channelIndices: number[]
    steps: number
    packMs: number
    decodeMs: number
    metrics: PanelMetrics
  }
  baselines: SheetBaseline[]
  /** The codec shown beside GSC (BEST_BASELINE_RULE); null when none reached the packet's bytes. */
  best: BaselineId | null
}

export interface SheetPanelPlacement {
  label: string[]
  kind: 'original' | 'gsc' | 'baseline'
  c: number | null
  codec: BaselineId | null
  x: number
  y: number
  width: number
  height: number
}

export interface SheetRecord {
  kind: typeof SHEET_KIND
  version: number
  id: string
  file: string
  width: number
  height: number
  fileBytes: number
  caption: string
  modelId: number
  channels: number[]
  baselinesRequested: BaselineId[]
  rule: string
  original: { metrics: PanelMetrics }
  perC: SheetC[]
  sheet: { png: string; width: number; height: number; scale: number; layout: 'row' | 'grid'; panels: SheetPanelPlacement[] }
  timingMs: { gsc: number; baselines: number; render: number; total: number }
}

export interface SheetOptions {
  /** Image files; each gives <out>/<id>.png and .json, id = the file name without extension (deduplicated). */
  images: string[]
  out: string
  channels?: number[]
  baselines: BaselineId[]
  maxWidth?: number
  /** Default: the bench's GSC driver with the default models. */
  gsc?: GscBenchCodec
  /** Recorded in index.md. */
  command?: string
  signal?: AbortSignal
  onProgress?(p: { image: string; done: number; total: number; detail: string }): void
}

export interface SheetsResult {
  out: string
  index: string
  sheets: { id: string; png: string; json: string; width: number; height: number; seconds: number }[]
}

const baselineName = (id: BaselineId) => BASELINE_CODECS.find((c) => c.id === id)?.name ?? id
const metricDef = (key: string) => IMAGE_METRICS.find((m) => m.key === key)

function fmtMetric(key: string, v: number | undefined): string | null {
  const m = metricDef(key)
  if (!m || v === undefined || !Number.isFinite(v)) return null
  return `${m.label} ${v.toFixed(m.digits)}`
}

/** Two metrics per line: ΔE00 · blockiness, LPIPS · MS-SSIM. */
function metricLines(metrics: PanelMetrics | null): string[] {
  if (!metrics) return []
  const parts = LABEL_METRICS.map((k) => fmtMetric(k, (metrics as Record<string, number>)[k])).filter((s): s is string => s !== null)
  const lines: string[] = []
  for (let i = 0; i < parts.length; i += 2) lines.push(parts.slice(i, i + 2).join(' · '))
  return lines
}

/** Index of the best reached baseline by BEST_BASELINE_RULE, or -1. */
export function pickBest(fits: readonly Pick<SheetBaseline, 'reached' | 'metrics'>[]): number {
  let best = -1
  for (let i = 0; i < fits.length; i++) {
    const m = fits[i].metrics
    if (!fits[i].reached || !m || !Number.isFinite(m.msssim)) continue
    if (best < 0 || m.msssim > fits[best].metrics!.msssim) best = i
  }
  return best
}

function uniqueIds(files: string[]): string[] {
  const seen = new Map<string, number>()
  return files.map((f) => {
    const base = path.parse(f).name.replace(/[^A-Za-z0-9._-]/g, '_') || 'image'
    const n = (seen.get(base) ?? 0) + 1
    seen.set(base, n)
    return n === 1 ? base : `${base}-${n}`
  })
}

async function fitOne(id: BaselineId, img: RgbImage, targetBytes: number, memo: FitMemo, signal?: AbortSignal): Promise<{ fit: SheetBaseline; image: RgbImage | null }> {
  const t0 = performance.now()
  const codec = BASELINES[id]
  const empty = { codec: id, name: baselineName(id), bpp: null, scale: null, codedWidth: null, codedHeight: null, knob: null, metrics: null }
  try {
    const r = await fitToSize(codec, img, targetBytes, signal, memo)
    const image = r.reached ? r.image : null
    const fit: SheetBaseline = {
      ...empty,
      reached: r.reached && image !== null,
      bytes: r.bytes,
      bpp: r.reached ? (r.bytes * 8) / (img.width * img.height) : null,
      scale: r.scale,
      codedWidth: r.codedWidth,
      codedHeight: r.codedHeight,
      knob: r.reached && r.knob !== null ? { name: codec.knobName, value: r.knob } : null,
      metrics: image ? await measureImage(img, image) : null,
      error: null,
      fitMs: Math.round(performance.now() - t0)
    }
    return { fit, image }
  } catch (e) {
    if (signal?.aborted || !(e instanceof GscError)) throw e
    // A codec that cannot run (missing tool) is recorded, as the bench does, not dropped.
    return { fit: { ...empty, reached: false, bytes: null, error: describeError(e), fitMs: Math.round(performance.now() - t0) }, image: null }
  }
}

// ---- rendering ----

const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
const FONT_SIZE = 13
const LINE_H = 17
const TITLE_SIZE = 15
const GUTTER = 12
const MARGIN = 12
const LABEL_PAD = 6
const MIN_CELL_W = 250
const LABEL_LINES = 5
/** Rough advance of DejaVu Sans at FONT_SIZE, for wrapping the header. */
const CHAR_W = 0.62 * FONT_SIZE

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function wrap(text: string, width: number): string[] {
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

interface Cell {
  kind: SheetPanelPlacement['kind']
  c: number | null
  codec: BaselineId | null
  image: RgbImage | null
  /** Shown instead of the image when there is none. */
  missing?: string
  label: string[]
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

async function renderSheet(title: string, header: string, cells: Cell[][], src: { width: number; height: number }, maxWidth: number) {
  // The header wraps to the width of the sheet, which depends on the layout: settle it in two passes.
  let lay = sheetLayout(src.width, src.height, cells.length, maxWidth)
  let headerLines = wrap(header, lay.width - 2 * MARGIN)
  lay = sheetLayout(src.width, src.height, cells.length, maxWidth, headerLines.length)
  headerLines = wrap(header, lay.width - 2 * MARGIN)
  const grid = lay.layout === 'row' ? [[cells[0][0], ...cells.flatMap((r) => r.slice(1))]] : cells
  const cellH = lay.imgH + LABEL_PAD + LABEL_LINES * LINE_H
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${lay.width}" height="${lay.height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + TITLE_SIZE}" font-family="${FONT}" font-size="${TITLE_SIZE}" font-weight="bold" fill="#111">${xmlEscape(title)}</text>`,
    ...headerLines.map((l, i) => `<text x="${MARGIN}" y="${MARGIN + TITLE_SIZE + 6 + (i + 1) * LINE_H - 4}" font-family="${FONT}" font-size="${FONT_SIZE}" fill="#444">${xmlEscape(l)}</text>`)
  ]
  const composites: OverlayOptions[] = []
  const placements: SheetPanelPlacement[] = []
  const colour = { original: '#111', gsc: '#0b4f9c', baseline: '#8a3b00' } as const
  for (let r = 0; r < grid.length; r++) {
    for (let k = 0; k < grid[r].length; k++) {
      const cell = grid[r][k]
      const x0 = MARGIN + k * (lay.cellW + GUTTER)
      const y0 = lay.headerH + r * (cellH + GUTTER)
      const x = x0 + Math.floor((lay.cellW - lay.imgW) / 2)
      placements.push({ kind: cell.kind, c: cell.c, codec: cell.codec, label: cell.label, x, y: y0, width: lay.imgW, height: lay.imgH })
      if (cell.image) {
        const im = cell.image.width === lay.imgW && cell.image.height === lay.imgH ? cell.image : await resizeImage(cell.image, lay.imgW, lay.imgH, 'lanczos3')
        composites.push({ input: Buffer.from(im.data.buffer, im.data.byteOffset, im.data.byteLength), raw: { width: im.width, height: im.height, channels: 3 }, left: x, top: y0 })
      } else {
        svg.push(`<rect x="${x}" y="${y0}" width="${lay.imgW}" height="${lay.imgH}" fill="#e6e6e6" stroke="#bbb"/>`)
        const lines = wrap(cell.missing ?? 'no image', lay.imgW - 12)
        lines.forEach((l, i) =>
          svg.push(`<text x="${x + 6}" y="${y0 + 4 + (i + 1) * LINE_H}" font-family="${FONT}" font-size="${FONT_SIZE}" fill="#555">${xmlEscape(l)}</text>`)
        )
      }
      cell.label.slice(0, LABEL_LINES).forEach((l, i) => {
        const weight = i === 0 ? ' font-weight="bold"' : ''
        svg.push(
          `<text x="${x0}" y="${y0 + lay.imgH + LABEL_PAD + (i + 1) * LINE_H - 4}" font-family="${FONT}" font-size="${FONT_SIZE}"${weight} fill="${i === 0 ? colour[cell.kind] : '#222'}">${xmlEscape(l)}</text>`
        )
      })
    }
  }
  svg.push('</svg>')
  const png = await sharp(Buffer.from(svg.join('\n')))
    .composite(composites)
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer()
  return { png, lay, placements }
}

// ---- one image ----

async function makeSheet(file: string, id: string, opts: SheetOptions & { gsc: GscBenchCodec; channels: number[] }, progress: (d: string) => void): Promise<SheetRecord> {
  const t0 = performance.now()
  const { signal } = opts
  if (!existsSync(file)) throw new GscError(`image not found: ${file}`)
  const fileBytes = (await stat(file)).size
  const img = await readImage(file)
  const px = img.width * img.height

  // GSC at every C: prepared once (caption, g_a, ranking), packed per C, each packet decoded.
  progress('GSC prepare')
  const prepared = await opts.gsc.prepare(img, signal)
  let modelId = -1
  const gsc: { c: number; packet: Uint8Array; image: RgbImage; row: SheetC['gsc'] }[] = []
  for (const c of opts.channels) {
    signal?.throwIfAborted()
    progress(`GSC C=${c}`)
    const p = await prepared.pack(c)
    const d = await opts.gsc.decode(p.packet, signal)
    modelId = decodeGscPacket(p.packet).header.modelId
    gsc.push({
      c,
      packet: p.packet,
      image: d.image,
      row: {
        bytes: p.packet.length,
        bpp: (p.packet.length * 8) / px,
        quantStep: p.quantStep,
        fitsTarget: p.fitsTarget,
        channelIndices: p.channelIndices,
        steps: d.steps,
        packMs: Math.round(p.packMs),
        decodeMs: Math.round(d.decodeMs),
        metrics: await measureImage(img, d.image)
      }
    })
  }
  const tGsc = performance.now()

  // Baselines: every codec fitted to each packet's bytes; trial encodes shared across C (as the bench does);
  // two codecs at a time, since the command-line encoders run as separate processes.
  const fits = new Map<string, { fit: SheetBaseline; image: RgbImage | null }>()
  const queue = [...opts.baselines]
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      const memo = newFitMemo()
      for (const g of gsc) {
        signal?.throwIfAborted()
        progress(`${b} @${g.packet.length} B`)
        fits.set(`${b}:${g.c}`, await fitOne(b, img, g.packet.length, memo, signal))
      }
    }
  }
  await Promise.all([worker(), worker()])
  const tBase = performance.now()

  const perC: SheetC[] = []
  const cells: Cell[][] = []
  const originalMetrics = await measureImage(img, img)
  const originalCell: Cell = {
    kind: 'original',
    c: null,
    codec: null,
    image: img,
    label: [`original ${img.width}×${img.height}`, `${path.basename(file)}, ${fileBytes} B`, fmtMetric('blockiness', originalMetrics.blockiness) ?? '', 'panels: metrics against this image']
  }
  for (const g of gsc) {
    const list = opts.baselines.map((b) => fits.get(`${b}:${g.c}`)!)
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
        label: [`no baseline ≤ ${g.row.bytes} B`, `tried: ${opts.baselines.map(baselineName).join(', ')}`]
      }
    }
    cells.push([originalCell, gscCell, baseCell])
  }

  progress('render')
  const caption = prepared.caption
  const title = `${id}: ${img.width}×${img.height}, GSC model id ${modelId}, C = ${opts.channels.join(', ')}`
  const header = `${caption ? `Caption sent: "${caption}" · ` : ''}Each GSC panel is the decoded packet; beside it the ${BEST_BASELINE_RULE} (candidates: ${opts.baselines.map(baselineName).join(', ')}). Metrics against the original: ΔE00 (colour, lower better), blockiness (16-px grid, 1 = none), LPIPS (lower better), MS-SSIM (higher better).`
  const maxWidth = opts.maxWidth ?? MAX_SHEET_WIDTH
  const { png, lay, placements } = await renderSheet(title, header, cells, img, maxWidth)
  const pngFile = path.join(opts.out, `${id}.png`)
  await writeFile(pngFile, png)
  const tEnd = performance.now()
  const record: SheetRecord = {
    kind: SHEET_KIND,
    version: SHEET_VERSION,
    id,
    file,
    width: img.width,
    height: img.height,
    fileBytes,
    caption,
    modelId,
    channels: opts.channels,
    baselinesRequested: opts.baselines,
    rule: BEST_BASELINE_RULE,
    original: { metrics: originalMetrics },
    perC,
    sheet: { png: `${id}.png`, width: lay.width, height: lay.height, scale: lay.scale, layout: lay.layout, panels: placements },
    timingMs: { gsc: Math.round(tGsc - t0), baselines: Math.round(tBase - tGsc), render: Math.round(tEnd - tBase), total: Math.round(tEnd - t0) }
  }
  await writeFile(path.join(opts.out, `${id}.json`), JSON.stringify(record, null, 2) + '\n')
  return record
}

// ---- index ----

function readSheets(out: string): SheetRecord[] {
  const recs: SheetRecord[] = []
  for (const f of readdirSync(out).filter((n) => n.endsWith('.json')).sort()) {
    try {
      const j = JSON.parse(readFileSync(path.join(out, f), 'utf8')) as SheetRecord
      if (j && j.kind === SHEET_KIND) recs.push(j)
    } catch {
      // not a sheet
    }
  }
  return recs
}

export function indexMarkdown(recs: SheetRecord[], command?: string): string {
  const f = (key: string, v: number | undefined) => {
    const m = metricDef(key)
    return m && v !== undefined && Number.isFinite(v) ? v.toFixed(m.digits) : '–'
  }
  const lines = [
    '# Comparison sheets',
    '',
    'Each sheet shows the original, then for each C the GSC reconstruction (the packet encoded with the default models',
    'and decoded) beside the best baseline at the same bytes. Under each panel: the method, its bytes, and ΔE00,',
    'blockiness, LPIPS and MS-SSIM of that panel against the original. Every number is in the sheet\'s JSON.',
    '',
    `Rule: ${BEST_BASELINE_RULE}.`,
    '',
    ...(command ? ['Made with:', '', '```', command, '```', ''] : []),
    '| sheet | size | C | GSC bytes | best baseline (bytes) | MS-SSIM GSC / base | ΔE00 GSC / base | blockiness GSC / base | LPIPS GSC / base |',
    '|---|---|---|---|---|---|---|---|---|'
  ]
  for (const r of recs) {
    for (const c of r.perC) {
      const b = c.baselines.find((x) => x.codec === c.best)
      const bm = b?.metrics as Record<string, number> | undefined
      const gm = c.gsc.metrics as Record<string, number>
      const pair = (k: string) => `${f(k, gm[k])} / ${f(k, bm?.[k])}`
      lines.push(
        `| [${r.id}](${r.sheet.png}) | ${r.width}×${r.height} | ${c.c} | ${c.gsc.bytes} | ${b ? `${b.name} (${b.bytes})` : 'none fits'} | ${pair('msssim')} | ${pair('ciede2000')} | ${pair('blockiness')} | ${pair('lpips')} |`
      )
    }
  }
  lines.push('')
  for (const r of recs) lines.push(`## ${r.id}`, '', `![${r.id}](${r.sheet.png})`, '')
  return lines.join('\n')
}

export async function makeSheets(opts: SheetOptions): Promise<SheetsResult> {
  const channels = opts.channels ?? DEFAULT_SHEET_CHANNELS
  for (const c of channels) if (!Number.isInteger(c) || c < 1 || c > 64) throw new GscError(`channels must be integers 1..64, got ${c}`)
  for (const f of opts.images) if (!existsSync(f)) throw new GscError(`image not found: ${f}`)
  await mkdir(opts.out, { recursive: true })
  const gsc = opts.gsc ?? realGscCodec()
  const ids = uniqueIds(opts.images)
  const sheets: SheetsResult['sheets'] = []
  for (let i = 0; i < opts.images.length; i++) {
    opts.signal?.throwIfAborted()
    const rec = await makeSheet(opts.images[i], ids[i], { ...opts, gsc, channels }, (detail) =>
      opts.onProgress?.({ image: ids[i], done: i, total: opts.images.length, detail })
    )
    sheets.push({ id: rec.id, png: path.join(opts.out, rec.sheet.png), json: path.join(opts.out, `${rec.id}.json`), width: rec.sheet.width, height: rec.sheet.height, seconds: rec.timingMs.total / 1000 })
  }
  const index = path.join(opts.out, 'index.md')
  await writeFile(index, indexMarkdown(readSheets(opts.out), opts.command))
  return { out: opts.out, index, sheets }
}
