// Agreement of EdgeTPU-DeepLab labels with the shipped Cityscapes ESPNetv2 on the frames that make_inputs.ts wrote
// (informational: a different model is expected to differ). ESPNetv2 runs through the engine (segmentImage); the
// DeepLab labels (DIR/<frame>.<source>.labels at the model input size, from parity.ts or uint8_reference.py) are brought back to the
// frame's own size from their content box by nearest neighbour, as the engine does. One confusion matrix over all
// frames, ESPNetv2 as reference, as docs/bench/analyses.md measures agreement; per-class IoU of the large classes.
// With --sheet, a PNG of some frames: photo, ESPNetv2 labels, then each DeepLab source, in the Cityscapes palette.
//   npx tsx training/segmentation/deeplab_edgetpu/agreement.ts DIR IMAGE_DIR --source onnx-qlinear [--source ...]
//     [--sheet OUT.png --sheet-frames 000003,000039,000066]
import sharp, { type OverlayOptions } from 'sharp'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { labelsToImageSize, segmentImage } from '../../../src/core/analysis/segmentation'
import { CITYSCAPES_CLASSES, classColours } from '../../../src/core/analysis/segmentationClasses'
import { ConfusionMatrix } from '../../../src/core/analysis/segmentationMetrics'
import { readImage, type RgbImage } from '../../../src/core/image/rgbImage'
import { readFrames } from './frames'

const SHOWN = ['road', 'sidewalk', 'building', 'vegetation', 'sky', 'car'] as const
const PANEL_WIDTH = 414

function colourise(labels: Uint8Array, width: number, height: number): Promise<Buffer> {
  const colours = classColours('city')
  const rgb = Buffer.alloc(3 * labels.length)
  for (let i = 0; i < labels.length; i++) {
    const c = colours[labels[i]]
    rgb[3 * i] = c[0]
    rgb[3 * i + 1] = c[1]
    rgb[3 * i + 2] = c[2]
  }
  const h = Math.round((height * PANEL_WIDTH) / width)
  return sharp(rgb, { raw: { width, height, channels: 3 } }).resize(PANEL_WIDTH, h, { kernel: 'nearest' }).png().toBuffer()
}

async function sheet(out: string, rows: { img: RgbImage; name: string; maps: Uint8Array[] }[], columns: string[]): Promise<void> {
  const header = 24
  const seen = new Set<number>()
  const layers: OverlayOptions[] = []
  let y = header
  for (const r of rows) {
    const h = Math.round((r.img.height * PANEL_WIDTH) / r.img.width)
    const photo = await sharp(Buffer.from(r.img.data), { raw: { width: r.img.width, height: r.img.height, channels: 3 } }).resize(PANEL_WIDTH, h).png().toBuffer()
    layers.push({ input: photo, left: 0, top: y })
    for (let k = 0; k < r.maps.length; k++) {
      for (const v of r.maps[k]) seen.add(v)
      layers.push({ input: await colourise(r.maps[k], r.img.width, r.img.height), left: (k + 1) * (PANEL_WIDTH + 4), top: y })
    }
    y += h + 4
  }
  const width = (columns.length + 1) * (PANEL_WIDTH + 4)
  const colours = classColours('city')
  const present = [...seen].sort((a, b) => a - b)
  const perLine = 8
  const legend = 22 * Math.ceil(present.length / perLine) + 8
  const cell = width / perLine
  const texts = [`<text x="6" y="17" font-family="sans-serif" font-size="14">photo (frame name below)</text>`,
    ...columns.map((c, k) => `<text x="${(k + 1) * (PANEL_WIDTH + 4) + 6}" y="17" font-family="sans-serif" font-size="14">${c}</text>`),
    ...rows.map((r, i) => `<text x="6" y="${header + (i + 1) * (Math.round((r.img.height * PANEL_WIDTH) / r.img.width) + 4) - 8}" font-family="sans-serif" font-size="12" fill="white">${r.name}</text>`),
    ...present.map((c, i) => {
      const x = (i % perLine) * cell + 6
      const ty = y + Math.floor(i / perLine) * 22 + 6
      const [cr, cg, cb] = colours[c]
      return `<rect x="${x}" y="${ty}" width="14" height="14" fill="rgb(${cr},${cg},${cb})"/><text x="${x + 20}" y="${ty + 12}" font-family="sans-serif" font-size="13">${CITYSCAPES_CLASSES[c]}</text>`
    })]
  const total = y + legend
  layers.push({ input: Buffer.from(`<svg width="${width}" height="${total}" xmlns="http://www.w3.org/2000/svg">${texts.join('')}</svg>`), left: 0, top: 0 })
  await sharp({ create: { width, height: total, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(layers).png().toFile(out)
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const [dir, imageDir] = argv
  const sources: string[] = []
  let sheetOut: string | undefined
  let sheetFrames: string[] = []
  for (let i = 2; i < argv.length; i += 2) {
    if (argv[i] === '--source') sources.push(argv[i + 1])
    else if (argv[i] === '--sheet') sheetOut = argv[i + 1]
    else if (argv[i] === '--sheet-frames') sheetFrames = argv[i + 1].split(',')
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!dir || !imageDir || sources.length === 0) throw new Error('usage: agreement.ts DIR IMAGE_DIR --source NAME ... [--sheet OUT.png --sheet-frames A,B,C]')
  const frames = readFrames(dir)
  const names = Object.keys(frames).sort()
  const cms = sources.map(() => new ConfusionMatrix(CITYSCAPES_CLASSES.length))
  const rows: { img: RgbImage; name: string; maps: Uint8Array[] }[] = []
  for (const name of names) {
    const f = frames[name]
    const img = await readImage(join(imageDir, `${name}.png`))
    if (img.width !== f.width || img.height !== f.height) throw new Error(`${name}: image is ${img.width}x${img.height}, frames.json says ${f.width}x${f.height}`)
    const espnet = (await segmentImage(img, { dataset: 'city' })).labels
    const maps: Uint8Array[] = [espnet]
    sources.forEach((s, k) => {
      const file = join(dir, `${name}.${s}.labels`)
      if (!existsSync(file)) throw new Error(`${file} is missing`)
      const labels = labelsToImageSize(new Uint8Array(readFileSync(file)), f.inputWidth, f.content, f.width, f.height)
      cms[k].add(espnet, labels)
      maps.push(labels)
    })
    if (sheetFrames.includes(name)) rows.push({ img, name, maps })
  }
  console.log(`${names.length} frames (${names[0]} .. ${names[names.length - 1]}) at their own size; ESPNetv2-city labels (engine, 1024x512) as reference.`)
  console.log('')
  console.log(`| DeepLab labels | pixel agreement | mIoU agreement | ${SHOWN.map((c) => `IoU ${c}`).join(' | ')} |`)
  console.log(`|---|---:|---:|${SHOWN.map(() => '---:').join('|')}|`)
  sources.forEach((s, k) => {
    const r = cms[k].result()
    const iou = SHOWN.map((c) => r.perClass[CITYSCAPES_CLASSES.indexOf(c)].toFixed(3))
    console.log(`| ${s} | ${r.pixelAccuracy.toFixed(4)} | ${r.miou.toFixed(3)} | ${iou.join(' | ')} |`)
  })
  if (sheetOut) {
    if (rows.length === 0) throw new Error('--sheet needs --sheet-frames naming frames of DIR')
    await sheet(sheetOut, rows, ['ESPNetv2-city (shipped)', ...sources.map((s) => `DeepLab ${s}`)])
    console.log(`\nsheet: ${sheetOut}`)
  }
}

main().catch((err) => {
  console.error(`agreement: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
