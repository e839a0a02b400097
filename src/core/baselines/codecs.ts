// The baseline codecs: one quality knob each (index 0 = smallest file), encode to bytes, decode to RGB.
import sharp from 'sharp'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { readImage, type RgbImage } from '../image/rgbImage'
import { GscError } from '../util/errors'
import { runTool, toolMissing, withTempDir } from './tools'

export type BaselineId = 'avif' | 'jpeg2000' | 'hevc' | 'jxl' | 'webp' | 'jpeg'
export const BASELINE_IDS: BaselineId[] = ['avif', 'jpeg2000', 'hevc', 'jxl', 'webp', 'jpeg']

export interface BaselineCodec {
  id: BaselineId
  /** What exactly runs, for the report. */
  label: string
  /** File format whose bytes are counted (container included). */
  container: string
  /** Quality knob values, ordered so that a larger index gives a larger file (roughly monotone). */
  knobs: number[]
  knobName: string
  /** Smallest accepted width/height multiple (HEVC in HEIF wants even sizes). */
  sizeMultiple: number
  encode(img: RgbImage, knob: number): Promise<Uint8Array>
  decode(bytes: Uint8Array): Promise<RgbImage>
  /** null when usable, else why not (missing binary). */
  unavailable(): Promise<string | null>
}

function raw(img: RgbImage) {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
/** n values from a to b geometrically spaced (a, b > 0). */
const geometric = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a * Math.pow(b / a, i / (n - 1)))

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

/** Input files for the command-line encoders: uncompressed PNG (fast to write), made once per picture. */
const pngInputs = new WeakMap<RgbImage, Promise<Buffer>>()
function pngInput(img: RgbImage): Promise<Buffer> {
  let p = pngInputs.get(img)
  if (!p) {
    p = raw(img).png({ compressionLevel: 0 }).toBuffer()
    pngInputs.set(img, p)
  }
  return p
}

const avif: BaselineCodec = {
  id: 'avif',
  label: 'AVIF (libaom via sharp/libheif, 4:2:0, effort 4)',
  container: 'AVIF (HEIF container)',
  knobs: range(1, 100),
  knobName: 'quality',
  sizeMultiple: 1,
  encode: async (img, q) => u8(await raw(img).avif({ quality: q, effort: 4, chromaSubsampling: '4:2:0' }).toBuffer()),
  decode: (b) => readImage(b),
  unavailable: async () => null
}

const webp: BaselineCodec = {
  id: 'webp',
  label: 'WebP (libwebp via sharp, lossy, effort 6)',
  container: 'WebP (RIFF)',
  knobs: range(1, 100),
  knobName: 'quality',
  sizeMultiple: 1,
  encode: async (img, q) => u8(await raw(img).webp({ quality: q, effort: 6 }).toBuffer()),
  decode: (b) => readImage(b),
  unavailable: async () => null
}

const jpeg: BaselineCodec = {
  id: 'jpeg',
  label: 'JPEG (mozjpeg via sharp, optimised Huffman, 4:2:0)',
  container: 'JFIF',
  knobs: range(1, 100),
  knobName: 'quality',
  sizeMultiple: 1,
  encode: async (img, q) => u8(await raw(img).jpeg({ quality: q, mozjpeg: true, chromaSubsampling: '4:2:0' }).toBuffer()),
  decode: (b) => readImage(b),
  unavailable: async () => null
}

type ToolArgs = (src: string, out: string) => string[]

/** Runs a command-line encoder on the image (as PNG) in a temp dir and returns the file it wrote. */
function encodeWithTool(img: RgbImage, outExt: string, tool: string, args: ToolArgs): Promise<Uint8Array> {
  return withTempDir(async (dir) => {
    const src = path.join(dir, 'in.png')
    const out = path.join(dir, `out.${outExt}`)
    await writeFile(src, await pngInput(img))
    await runTool(tool, args(src, out))
    return u8(await readFile(out))
  })
}

/** Runs a command-line decoder on the coded bytes in a temp dir and reads back the PNG it wrote. */
function decodeWithTool(bytes: Uint8Array, inExt: string, tool: string, args: ToolArgs): Promise<RgbImage> {
  return withTempDir(async (dir) => {
    const src = path.join(dir, `in.${inExt}`)
    const out = path.join(dir, 'out.png')
    await writeFile(src, bytes)
    await runTool(tool, args(src, out))
    return readImage(out)
  })
}

/** Resolution levels must not exceed log2(smallest side) + 1 for tiny downscaled images. */
function j2kLevels(img: RgbImage): number {
  return Math.max(1, Math.min(6, Math.floor(Math.log2(Math.min(img.width, img.height))) + 1))
}

const jpeg2000: BaselineCodec = {
  id: 'jpeg2000',
  label: 'JPEG 2000 (OpenJPEG opj_compress -r, raw .j2k codestream)',
  container: 'J2K codestream (no JP2 box wrapper)',
  // compression ratios from 20000:1 down to 2:1; larger index = lower ratio = larger file
  knobs: geometric(20000, 2, 60),
  knobName: 'compression ratio',
  sizeMultiple: 1,
  encode: (img, ratio) => encodeWithTool(img, 'j2k', 'opj_compress', (src, out) => ['-i', src, '-o', out, '-r', ratio.toFixed(3), '-n', String(j2kLevels(img))]),
  decode: (bytes) => decodeWithTool(bytes, 'j2k', 'opj_decompress', (src, out) => ['-i', src, '-o', out]),
  unavailable: async () => (await toolMissing('opj_compress')) ?? (await toolMissing('opj_decompress'))
}

const hevc: BaselineCodec = {
  id: 'hevc',
  label: 'HEVC in HEIF (libheif heif-enc with x265, 4:2:0)',
  container: 'HEIF (.heic)',
  knobs: range(0, 100),
  knobName: 'quality',
  sizeMultiple: 2,
  encode: (img, q) => encodeWithTool(img, 'heic', 'heif-enc', (src, out) => ['-q', String(q), '-o', out, src]),
  // libheif 1.15 names its decoder heif-convert (newer releases: heif-dec)
  decode: (bytes) => decodeWithTool(bytes, 'heic', 'heif-convert', (src, out) => [src, out]),
  unavailable: async () => (await toolMissing('heif-enc')) ?? (await toolMissing('heif-convert'))
}

const jxl: BaselineCodec = {
  id: 'jxl',
  label: 'JPEG XL (libjxl cjxl -d, effort 7)',
  container: 'JPEG XL codestream',
  // butteraugli distance 25 (smallest) down to 0.3; larger index = smaller distance = larger file
  knobs: geometric(25, 0.3, 50),
  knobName: 'distance',
  sizeMultiple: 1,
  encode: (img, d) => encodeWithTool(img, 'jxl', 'cjxl', (src, out) => [src, out, '-d', d.toFixed(3), '-e', '7', '--quiet']),
  decode: (bytes) => decodeWithTool(bytes, 'jxl', 'djxl', (src, out) => [src, out, '--quiet']),
  unavailable: async () => (await toolMissing('cjxl')) ?? (await toolMissing('djxl'))
}

export const BASELINES: Record<BaselineId, BaselineCodec> = { avif, jpeg2000, hevc, jxl, webp, jpeg }

export function parseBaselineList(spec: string): BaselineId[] {
  if (spec === 'all') return [...BASELINE_IDS]
  if (spec === 'none' || spec === '') return []
  const ids = spec.split(',').map((s) => s.trim().toLowerCase())
  for (const id of ids) if (!(BASELINE_IDS as string[]).includes(id)) throw new GscError(`unknown baseline '${id}' (have: ${BASELINE_IDS.join(', ')}, all)`)
  return ids as BaselineId[]
}
