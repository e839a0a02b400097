// `gsc baseline`: the Image view's baseline panel on the command line: baseline codecs fitted to one
// packet's bytes by the bench's rule, beside the original the packet was made from.
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { decodeGscPacket } from '../../core/bitstream/gscPacket'
import { parseBaselineList } from '../../core/baselines/codecs'
import { fitBaseline } from '../../core/service/baselineCompare'
import { decodeToRgb } from '../../core/service/images'
import { psnr, ssim } from '../../core/analysis/metrics'
import { writePng } from '../../core/image/rgbImage'
import type { BaselineFit } from '../../shared/api'
import { requirePositional, requireString, stringOpt, type CommandSpec } from '../framework'

interface BaselineOutput {
  packet: string
  original: string
  targetBytes: number
  width: number
  height: number
  fits: (Omit<BaselineFit, 'image'> & { output: string | null })[]
}

const baselineCommand: CommandSpec<BaselineOutput> = {
  name: 'baseline',
  summary: "fit baseline codecs to a packet's bytes, as the Image view's baseline panel does",
  usage:
    'gsc baseline <packet> --original <image> [--codec all|avif,jpeg2000,hevc,jxl,webp,jpeg] [--out <dir>] [--json]\n' +
    "  The original is resized to the packet's width x height; each codec is fitted to the packet's size in octets\n" +
    '  by the same rule as gsc bench (downscale + quality search, best PSNR not above the target). A codec that cannot\n' +
    '  get that small says so and writes no image. --out writes <codec>.png for each codec that fitted.',
  options: {
    original: { type: 'string' },
    codec: { type: 'string' },
    out: { type: 'string', short: 'o' }
  },
  async run(args, ctx) {
    const file = requirePositional(args, 0, '<packet>')
    const originalFile = requireString(args, 'original', 'the image the packet was made from')
    const codecs = parseBaselineList(stringOpt(args, 'codec') ?? 'all')
    const out = stringOpt(args, 'out')
    const bytes = new Uint8Array(await readFile(file))
    const { header } = decodeGscPacket(bytes)
    const original = await decodeToRgb(await readFile(originalFile), header.width, header.height)
    if (out) await mkdir(out, { recursive: true })
    const bar = ctx.progress('fitting', codecs.length)
    const fits: BaselineOutput['fits'] = []
    for (const codec of codecs) {
      ctx.signal.throwIfAborted()
      bar.update(fits.length, codec)
      const { fit, decoded } = await fitBaseline(original, bytes.length, codec, (x) => ({ psnr: psnr(original, x), ssim: ssim(original, x) }), ctx.signal)
      let output: string | null = null
      if (out && decoded) await writePng(decoded, (output = path.join(out, `${codec}.png`)))
      const { image: _image, ...rest } = fit
      fits.push({ ...rest, output })
    }
    bar.done()
    return { packet: file, original: originalFile, targetBytes: bytes.length, width: header.width, height: header.height, fits }
  },
  format(r) {
    return [
      `${r.packet}: ${r.targetBytes} octets, ${r.width}x${r.height}`,
      ...r.fits.map((f) => `  ${f.summary}${f.metrics ? ` · PSNR ${f.metrics.psnr.toFixed(2)} dB, SSIM ${f.metrics.ssim.toFixed(3)}` : ''}${f.output ? ` -> ${f.output}` : ''}`)
    ].join('\n')
  }
}

export default baselineCommand
