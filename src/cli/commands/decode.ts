// gsc decode: a packet (-o image.png) or a capture (-o directory, one PNG per good packet).
import { createHash } from 'node:crypto'
import { mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { readCapture } from '../../core/bitstream/capture'
import { MAX_HOLD_BELOW, decodePacket, type DecodeResult } from '../../core/codec/decoder'
import { GscError, describeError } from '../../core/util/errors'
import { writePng } from '../../core/image/rgbImage'
import { UsageError, numberOpt, requirePositional, requireString, type CommandSpec } from '../framework'
import { LIMIT_OPTIONS, LIMIT_USAGE, decodeLimitsFrom, executionProvider } from './codecOptions'

interface DecodedSummary {
  output: string
  /** The model set that decoded the packet (its header's modelId). */
  modelSet: number
  samples?: string[]
  uncertainty?: string
  uncertaintyStats?: DecodeResult['uncertaintyStats']
  apid: number
  sequenceCount: number
  width: number
  height: number
  channels: number[]
  quantStep: number
  steps: number
  temperature: number
  holdBelowFrequency: number
  seeds: number[]
  caption: string
  detections: DecodeResult['detections']
  bits: DecodeResult['bits']
  /** Set 30: the grain the packet asks for and whether it was drawn (--no-texture). */
  texture?: DecodeResult['texture']
  timingsMs: Record<string, number>
}

interface DecodeCommandResult {
  input: string
  mode: 'packet' | 'capture'
  decoded: DecodedSummary[]
  rejected: { offset: number; octets: number; error: string }[]
  /** Packets whose bytes repeat an earlier one in the capture: not decoded again, named by the first copy. */
  duplicates: { offset: number; octets: number; sameAs: number; output: string | null }[]
}

/** Writes the image (and samples + uncertainty map beside it) to `base`.png. */
async function writeOutputs(r: DecodeResult, file: string): Promise<DecodedSummary> {
  await writePng(r.image, file)
  const stem = file.replace(/\.png$/i, '')
  const out: DecodedSummary = {
    output: file,
    modelSet: r.modelSet,
    apid: r.primary.apid,
    sequenceCount: r.primary.sequenceCount,
    width: r.image.width,
    height: r.image.height,
    channels: r.header.channelIndices,
    quantStep: r.header.quantStep,
    steps: r.steps,
    temperature: r.temperature,
    holdBelowFrequency: r.holdBelowFrequency,
    seeds: r.seeds,
    caption: r.caption,
    detections: r.detections,
    bits: r.bits,
    ...(r.texture ? { texture: r.texture } : {}),
    timingsMs: r.timingsMs
  }
  if (r.samples && r.uncertainty) {
    out.samples = [file]
    for (let k = 1; k < r.samples.length; k++) {
      const f = `${stem}.sample${k}.png`
      await writePng(r.samples[k], f)
      out.samples.push(f)
    }
    out.uncertainty = `${stem}.uncertainty.png`
    await writePng(r.uncertainty, out.uncertainty)
    out.uncertaintyStats = r.uncertaintyStats
  }
  return out
}

export function packetFileName(apid: number, sequenceCount: number): string {
  return `apid${String(apid).padStart(4, '0')}-seq${String(sequenceCount).padStart(5, '0')}.png`
}

const decode: CommandSpec<DecodeCommandResult> = {
  name: 'decode',
  summary: 'decode a packet or capture into images',
  usage:
    'gsc decode <packet|capture> -o <image.png|dir> [--steps N] [--seed S] [--temperature T] [--hold-below F] [--samples K] [--no-texture] [--max-pixels N] [--max-flow-steps N] [--ep cpu|cuda] [--json]\n' +
    '  -o *.png: the input must be one packet; any packet error is reported and no image is written.\n' +
    '  -o dir:   one PNG per good packet, named apidAAAA-seqSSSSS.png; bad packets are reported and skipped.\n' +
    '  Each packet decodes with the model set its header names (gsc models lists the installed ones); a packet\n' +
    '  whose set is not installed is refused, never decoded with another set.\n' +
    '  --steps, --temperature and --hold-below drive model set 1\'s flow only (a set-3 packet refuses them).\n' +
    '  --temperature T (0..2): scale of the starting noise; default the generator\'s recommended value (gsc models).\n' +
    '  --steps 0: no flow, the prior\'s conditional-mean estimate only (fast, blurry, same for every seed).\n' +
    '  --hold-below F (0..31): channels of DCT frequency u+v < F stay on the prior\'s estimate during the flow;\n' +
    '    default the generator\'s recommended value (gsc models); 0: the flow moves every channel not transmitted.\n' +
    '  --samples K (>= 2): K reconstructions (seeds seed..seed+K-1) and <name>.uncertainty.png (per-pixel spread);\n' +
    '    they are drawn at temperature 1 unless --temperature is given.\n' +
    '  --no-texture: model set 30 draws grain where its packet says the original had fine texture (invented detail,\n' +
    '    seeded); this leaves it out and writes only what the packet determines. Other sets draw none.\n' +
    LIMIT_USAGE,
  options: {
    output: { type: 'string', short: 'o' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    samples: { type: 'string' },
    temperature: { type: 'string' },
    'hold-below': { type: 'string' },
    'no-texture': { type: 'boolean', default: false },
    ep: { type: 'string' },
    ...LIMIT_OPTIONS
  },
  async run(args, ctx) {
    const input = requirePositional(args, 0, 'packet or capture file')
    const output = requireString(args, 'output', 'image.png for one packet, or a directory for a capture')
    const opts = {
      steps: numberOpt(args, 'steps', undefined, { int: true, min: 0, max: 4096 }),
      seed: numberOpt(args, 'seed', undefined, { int: true, min: 0, max: 0xffffffff }),
      samples: numberOpt(args, 'samples', 1, { int: true, min: 1, max: 16 }),
      temperature: numberOpt(args, 'temperature', undefined, { min: 0, max: 2 }),
      holdBelowFrequency: numberOpt(args, 'hold-below', undefined, { int: true, min: 0, max: MAX_HOLD_BELOW }),
      texture: !args.values['no-texture'],
      executionProvider: executionProvider(args),
      limits: decodeLimitsFrom(args),
      signal: ctx.signal
    }
    let size: number
    try {
      size = (await stat(input)).size
    } catch {
      throw new GscError(`cannot read ${input}`)
    }
    if (size === 0) throw new GscError(`empty file: ${input}`)
    const result: DecodeCommandResult = { input: path.resolve(input), mode: 'packet', decoded: [], rejected: [], duplicates: [] }
    if (/\.png$/i.test(output)) {
      if (size > 65542) throw new UsageError(`${input} is ${size} octets, larger than one packet; decode a capture into a directory (-o dir)`)
      const bytes = new Uint8Array(await readFile(input))
      const bar = ctx.progress('decode', undefined)
      const r = await decodePacket(bytes, { ...opts, onProgress: (p) => bar.update(p.done, p.stage) })
      bar.done()
      result.decoded.push(await writeOutputs(r, path.resolve(output)))
      return result
    }
    result.mode = 'capture'
    const dir = path.resolve(output)
    await mkdir(dir, { recursive: true })
    const bar = ctx.progress('decode', size)
    const used = new Set<string>()
    // Same bytes, same image (the decoder is deterministic): a repeat is reported, not decoded again.
    const seen = new Map<string, { offset: number; output: string | null; error: string | null }>()
    for await (const item of readCapture(input, { signal: ctx.signal })) {
      bar.update(item.offset + item.bytes.length, `${result.decoded.length} ok, ${result.rejected.length} rejected`)
      if (!item.inspection.ok) {
        result.rejected.push({ offset: item.offset, octets: item.bytes.length, error: item.inspection.error ?? 'bad packet' })
        continue
      }
      const hash = createHash('sha256').update(item.bytes).digest('hex')
      const first = seen.get(hash)
      if (first) {
        if (first.error !== null) result.rejected.push({ offset: item.offset, octets: item.bytes.length, error: first.error })
        else result.duplicates.push({ offset: item.offset, octets: item.bytes.length, sameAs: first.offset, output: first.output })
        continue
      }
      seen.set(hash, { offset: item.offset, output: null, error: null })
      try {
        const r = await decodePacket(item.bytes, opts)
        let name = packetFileName(r.primary.apid, r.primary.sequenceCount)
        if (used.has(name)) name = name.replace(/\.png$/, `-at${item.offset}.png`)
        used.add(name)
        result.decoded.push(await writeOutputs(r, path.join(dir, name)))
        seen.get(hash)!.output = path.join(dir, name)
      } catch (e) {
        if ((e as GscError).code === 'ECANCELLED') throw e
        // Broken installed models stop the run; a packet of a set that is not installed (ENOMODELSET) is rejected
        // like a bad packet, and the packets of installed sets still decode.
        if ((e as GscError).code === 'ENOMODEL' || (e as GscError).code === 'EMODELHASH') throw e
        result.rejected.push({ offset: item.offset, octets: item.bytes.length, error: describeError(e) })
        seen.get(hash)!.error = describeError(e)
      }
    }
    bar.done()
    if (result.decoded.length === 0 && result.rejected.length > 0)
      throw new GscError(`no packet of ${input} could be decoded (${result.rejected.length} rejected; first: ${result.rejected[0].error})`)
    return result
  },
  format(r) {
    const lines = r.decoded.map(
      (d) =>
        `${d.output}: ${d.width}x${d.height} from APID ${d.apid} seq ${d.sequenceCount}, ${d.bits.total} bits (${d.bits.bpp.toFixed(5)} bpp), model set ${d.modelSet}, C=${d.channels.length}, ${d.steps} steps, seed ${d.seeds.join(',')}` +
        (d.texture ? `, texture grain ${d.texture.strength > 0 ? `${+d.texture.strength.toFixed(3)} (${d.texture.drawn ? 'drawn: invented detail, --no-texture leaves it out' : 'not drawn'})` : 'none'}` : '') +
        (d.uncertainty ? `\n  uncertainty map: ${d.uncertainty} (mean spread ${d.uncertaintyStats?.meanStd.toFixed(1)} levels)` : '')
    )
    for (const b of r.rejected) lines.push(`rejected packet at offset ${b.offset} (${b.octets} octets): ${b.error}`)
    for (const d of r.duplicates) lines.push(`duplicate packet at offset ${d.offset}: same bytes as offset ${d.sameAs}${d.output ? ` (${d.output})` : ''}, not decoded again`)
    if (r.mode === 'capture') lines.push(`${r.decoded.length} decoded, ${r.duplicates.length} duplicates, ${r.rejected.length} rejected`)
    return lines.join('\n')
  }
}

export default decode
