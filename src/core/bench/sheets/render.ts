// Draws a sheet: title, wrapped header, and each panel's image (or a grey box saying why there is none) with its
// label, as SVG composited with the images by sharp into one PNG.
import sharp, { type OverlayOptions } from 'sharp'
import type { BaselineId } from '../../baselines/codecs'
import { resizeImage, type RgbImage } from '../../image/rgbImage'
import { FONT, FONT_SIZE, GUTTER, LABEL_LINES, LABEL_PAD, LINE_H, MARGIN, TITLE_SIZE, sheetLayout, wrap } from './layout'
import type { SheetPanelPlacement } from './types'

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export interface Cell {
  kind: SheetPanelPlacement['kind']
  c: number | null
  codec: BaselineId | null
  image: RgbImage | null
  /** Shown instead of the image when there is none. */
  missing?: string
  label: string[]
}

export async function renderSheet(title: string, header: string, cells: Cell[][], src: { width: number; height: number }, maxWidth: number) {
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
