// One sheet: GSC at every C (prepared once, packed per C, decoded), every baseline fitted to each packet's bytes,
// then the panels drawn and written as <out>/<id>.png with its record <out>/<id>.json.
import { existsSync } from 'node:fs'
import { stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { newFitMemo } from '../../baselines/fitToSize'
import { decodeGscPacket } from '../../bitstream/gscPacket'
import { GscError } from '../../util/errors'
import { readImage } from '../../image/rgbImage'
import type { GscBenchCodec } from '../gscCodec'
import { measureImage } from '../imageMetrics'
import { fitOne } from './baselineFit'
import { sheetCells, type BaselinePanel, type GscPanel } from './cells'
import { baselineName } from './labels'
import { renderSheet } from './render'
import { BEST_BASELINE_RULE, MAX_SHEET_WIDTH, SHEET_KIND, SHEET_VERSION, type SheetOptions, type SheetRecord } from './types'

export async function makeSheet(file: string, id: string, opts: SheetOptions & { gsc: GscBenchCodec; channels: number[] }, progress: (d: string) => void): Promise<SheetRecord> {
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
  const gsc: (GscPanel & { packet: Uint8Array })[] = []
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
  const fits = new Map<string, BaselinePanel>()
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

  const originalMetrics = await measureImage(img, img)
  const { perC, cells } = sheetCells({ file, fileBytes, image: img, metrics: originalMetrics }, gsc, opts.baselines, (b, c) => fits.get(`${b}:${c}`)!)

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
