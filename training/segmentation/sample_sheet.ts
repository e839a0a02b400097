// A sample sheet of segmentation masks through the engine (segmentImage, the shipped ONNX model): for each frame,
// the photo beside the photo with its class colours blended at 55 %, and a legend of the classes that appear.
// Usage: npx tsx training/segmentation/sample_sheet.ts [--panel-width=N] <out.jpg> <city|pascal> <image>...
import sharp, { type OverlayOptions } from 'sharp'
import { basename } from 'node:path'
import { segmentImage } from '../../src/core/analysis/segmentation'
import { classColours, classNames, type SegmentationDataset } from '../../src/core/analysis/segmentationClasses'
import { readImage } from '../../src/core/image/rgbImage'

const OPACITY = 0.55
const LEGEND_ROW = 22

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const widthFlag = args[0]?.match(/^--panel-width=(\d+)$/)
  if (widthFlag) args.shift()
  const PANEL_WIDTH = widthFlag ? Number(widthFlag[1]) : 620
  const [out, dataset, ...images] = args as [string, SegmentationDataset, ...string[]]
  if (!out || (dataset !== 'city' && dataset !== 'pascal') || images.length === 0) throw new Error('usage: sample_sheet.ts <out.jpg> <city|pascal> <image>...')
  const colours = classColours(dataset)
  const seen = new Set<number>()
  const rows: { photo: Buffer; overlay: Buffer; height: number; name: string }[] = []
  for (const path of images) {
    const img = await readImage(path)
    const map = await segmentImage(img, { dataset })
    const blend = new Uint8Array(img.data.length)
    for (let i = 0; i < map.labels.length; i++) {
      const c = colours[map.labels[i]]
      seen.add(map.labels[i])
      for (let k = 0; k < 3; k++) blend[3 * i + k] = Math.round((1 - OPACITY) * img.data[3 * i + k] + OPACITY * c[k])
    }
    const height = Math.round((img.height * PANEL_WIDTH) / img.width)
    const raw = { raw: { width: img.width, height: img.height, channels: 3 as const } }
    const photo = await sharp(Buffer.from(img.data), raw).resize(PANEL_WIDTH, height).png().toBuffer()
    // labels are resized with the nearest kernel so that class edges stay crisp
    const overlay = await sharp(Buffer.from(blend), raw).resize(PANEL_WIDTH, height, { kernel: 'nearest' }).png().toBuffer()
    rows.push({ photo, overlay, height, name: basename(path) })
  }
  const names = classNames(dataset)
  const present = [...seen].sort((a, b) => a - b)
  const perLine = 6
  const legendHeight = LEGEND_ROW * Math.ceil(present.length / perLine) + 8
  const width = 2 * PANEL_WIDTH + 6
  const height = rows.reduce((s, r) => s + r.height + 4, 0) + legendHeight
  const layers: OverlayOptions[] = []
  let y = 0
  for (const r of rows) {
    layers.push({ input: r.photo, left: 0, top: y }, { input: r.overlay, left: PANEL_WIDTH + 6, top: y })
    y += r.height + 4
  }
  const cell = width / perLine
  const svg = present
    .map((c, i) => {
      const x = (i % perLine) * cell + 6
      const ty = Math.floor(i / perLine) * LEGEND_ROW + 6
      const [r, g, b] = colours[c]
      return `<rect x="${x}" y="${ty}" width="16" height="16" fill="rgb(${r},${g},${b})" stroke="#888"/><text x="${x + 22}" y="${ty + 13}" font-family="sans-serif" font-size="14" fill="#111">${escapeXml(names[c])}</text>`
    })
    .join('')
  layers.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${legendHeight}">${svg}</svg>`), left: 0, top: y })
  await sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(layers)
    .jpeg({ quality: 90 })
    .toFile(out)
  process.stdout.write(`${out}: ${rows.map((r) => r.name).join(', ')}; ${present.length} classes in the legend\n`)
}

main().catch((e) => {
  process.stderr.write(`sample_sheet: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
