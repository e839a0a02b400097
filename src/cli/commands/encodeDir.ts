// gsc encode-dir: every image of a folder -> one capture file (concatenated packets, increasing sequence counts).
import { createWriteStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { SEQUENCE_MODULO } from '../../core/bitstream/ccsds'
import { encodeImage } from '../../core/codec/encoder'
import { GscError, describeError } from '../../core/util/errors'
import { readImage } from '../../core/image/rgbImage'
import { numberOpt, requirePositional, requireString, type CommandSpec } from '../framework'
import { ENCODE_OPTIONS, ENCODE_USAGE_OPTIONS, encodeOptionsFrom } from './codecOptions'

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?)$/i

interface EncodeDirResult {
  input: string
  output: string
  images: number
  packets: number
  failed: { file: string; error: string }[]
  totalBits: number
  meanBpp: number
  perImage: { file: string; sequenceCount: number; width: number; height: number; channels: number; quantStep: number; bits: number; bpp: number; captionBits: number; latentBits: number }[]
}

const encodeDir: CommandSpec<EncodeDirResult> = {
  name: 'encode-dir',
  summary: 'encode a folder of images into one capture file',
  usage: `gsc encode-dir <dir> -o <capture.bin> [--first-seq N] ${ENCODE_USAGE_OPTIONS}`,
  options: { ...ENCODE_OPTIONS, 'first-seq': { type: 'string' } },
  async run(args, ctx) {
    const dir = requirePositional(args, 0, 'folder of images')
    const output = requireString(args, 'output', 'capture file to write')
    const opts = encodeOptionsFrom(args)
    const firstSeq = numberOpt(args, 'first-seq', 0, { int: true, min: 0, max: SEQUENCE_MODULO - 1 })!
    let names: string[]
    try {
      names = (await readdir(dir)).filter((n) => IMAGE_EXT.test(n)).sort()
    } catch {
      throw new GscError(`cannot read folder ${dir}`)
    }
    if (names.length === 0) throw new GscError(`no PNG, JPEG, WebP or TIFF images in ${dir}`)
    const out = createWriteStream(output)
    const done = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve)
      out.on('error', (e) => reject(new GscError(`cannot write ${output}: ${e.message}`)))
    })
    const result: EncodeDirResult = { input: path.resolve(dir), output: path.resolve(output), images: names.length, packets: 0, failed: [], totalBits: 0, meanBpp: 0, perImage: [] }
    const bar = ctx.progress('encode-dir', names.length)
    let seq = firstSeq
    let bppSum = 0
    try {
      for (let i = 0; i < names.length; i++) {
        if (ctx.signal.aborted) throw new GscError('encode-dir cancelled', 'ECANCELLED')
        bar.update(i, names[i])
        try {
          const img = await readImage(path.join(dir, names[i]))
          const r = await encodeImage(img, { ...opts, sequenceCount: seq, signal: ctx.signal })
          if (!out.write(r.packet)) await new Promise<void>((res) => out.once('drain', () => res()))
          result.perImage.push({ file: names[i], sequenceCount: seq, width: r.width, height: r.height, channels: r.channels, quantStep: r.quantStep, bits: r.bits.total, bpp: r.bits.bpp, captionBits: r.bits.caption, latentBits: r.bits.latents })
          result.packets++
          result.totalBits += r.bits.total
          bppSum += r.bits.bpp
          seq = (seq + 1) % SEQUENCE_MODULO
        } catch (e) {
          if ((e as GscError).code === 'ECANCELLED' || (e as GscError).code === 'ENOMODEL' || (e as GscError).code === 'EMODELHASH') throw e
          result.failed.push({ file: names[i], error: describeError(e) })
        }
      }
      bar.done(`${result.packets} packets`)
    } finally {
      out.end()
      await done
    }
    result.meanBpp = result.packets ? bppSum / result.packets : 0
    return result
  },
  format: (r) =>
    [
      `${r.output}: ${r.packets} packets from ${r.images} images, ${r.totalBits} bits, mean ${r.meanBpp.toFixed(5)} bpp`,
      ...r.failed.map((f) => `  skipped ${f.file}: ${f.error}`)
    ].join('\n')
}

export default encodeDir
