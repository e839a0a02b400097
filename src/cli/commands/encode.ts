// gsc encode: one image -> one GSC packet file.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { encodeImage } from '../../core/codec/encoder'
import type { EncodeResult } from '../../core/codec/types'
import { readImage } from '../../core/image/rgbImage'
import { requirePositional, requireString, type CommandSpec } from '../framework'
import { ENCODE_OPTIONS, ENCODE_USAGE_OPTIONS, encodeOptionsFrom } from './codecOptions'

type EncodeSummary = Omit<EncodeResult, 'packet' | 'senderDetections'> & {
  input: string
  output: string
  octets: number
  senderDetections?: { classId: number; className: string; score: number; box: number[] }[]
}

export function summarize(r: EncodeResult, input: string, output: string): EncodeSummary {
  const { packet, senderDetections, ...rest } = r
  return {
    input,
    output,
    octets: packet.length,
    ...rest,
    senderDetections: senderDetections?.map((d) => ({ classId: d.classId, className: d.className, score: Math.round(d.score * 1000) / 1000, box: d.box.map((v) => Math.round(v * 10) / 10) }))
  }
}

const encode: CommandSpec<EncodeSummary> = {
  name: 'encode',
  summary: 'encode an image into one GSC packet',
  usage: `gsc encode <image> -o <packet.bin> ${ENCODE_USAGE_OPTIONS}`,
  options: ENCODE_OPTIONS,
  async run(args, ctx) {
    const input = requirePositional(args, 0, 'input image (PNG, JPEG, WebP or TIFF)')
    const output = requireString(args, 'output', 'packet file to write')
    const opts = encodeOptionsFrom(args)
    const img = await readImage(input)
    const bar = ctx.progress('encode', undefined)
    const r = await encodeImage(img, { ...opts, signal: ctx.signal, onProgress: (p) => bar.update(p.done, p.stage) })
    bar.done()
    await writeFile(output, r.packet)
    return summarize(r, path.resolve(input), path.resolve(output))
  },
  format(r) {
    const b = r.bits
    const lines = [
      `${r.output}: ${r.octets} octets = ${b.total} bits, ${b.bpp.toFixed(5)} bpp for ${r.width}x${r.height}`,
      `  header+framing ${b.header}  caption ${b.caption}  latents ${b.latents}  detections ${b.detections}`,
      `  model set ${r.modelSet}, C=${r.channels} channels [${r.channelIndices.join(', ')}], quant step ${r.quantStep}${r.colourStep !== undefined ? ` (colour thumbnail ${+r.colourStep.toFixed(3)})` : ''}${r.roundingTolerance > 0.5 ? ` (mosaic rounded within ${r.roundingTolerance} steps${r.snapAnchored ? ', thumbnails alike' : ''})` : ''}${r.fitsTarget ? '' : ` (over the ${r.targetBits}-bit target even at the coarsest step)`}, seed ${r.seed}, steps hint ${r.steps}`,
      `  caption (${r.captionSource}): ${r.caption || '(none)'}`
    ]
    const s = r.sharpening
    if (s)
      lines.push(
        `  sharpening: ${s.sent ? 'kept (model set 32)' : "left out: set 28's packet sent"}; detection F1 against the original's ${s.sharpenedF1.toFixed(3)} sharpened, ${s.plainF1.toFixed(3)} not`
      )
    if (r.candidates) {
      lines.push(`  auto (alpha ${r.alpha}, beta ${r.beta}):`)
      for (const c of r.candidates) lines.push(`    C=${String(c.channels).padStart(2)}  ${String(c.bits.total).padStart(6)} bits  F1 ${c.f1.toFixed(3)}  score ${c.score.toFixed(4)}${c.channels === r.channels ? '  <- chosen' : ''}`)
    }
    return lines.join('\n')
  }
}

export default encode
