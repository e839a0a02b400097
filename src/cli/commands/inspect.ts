// `gsc inspect <packet|capture>`: every packet's header fields, CRC status and bits breakdown.
import { stat } from 'node:fs/promises'
import type { CommandSpec } from '../framework'
import { requirePositional } from '../framework'
import { readCapture } from '../../core/bitstream/capture'
import type { BitsBreakdown, GscHeader, PrimaryHeader } from '../../core/bitstream/gscPacket'
import type { ColourSummary } from '../../core/bitstream/types'
import { GscError, describeError } from '../../core/util/errors'
import { DEFAULT_MAX_PIXELS } from '../../core/bitstream/limits'
import { LIMIT_OPTIONS, decodeLimitsFrom } from './codecOptions'
import { colourPlanesText } from '../../shared/colourPlanes'

interface PacketEntry {
  index: number
  offset: number
  octets: number
  ok: boolean
  error?: string
  primary?: PrimaryHeader
  header?: GscHeader
  crcOk?: boolean
  crcStored?: string
  crcComputed?: string
  caption?: string
  detections?: number
  bits?: BitsBreakdown
  colour?: ColourSummary
}

interface InspectReport {
  file: string
  octets: number
  error?: string
  packets: PacketEntry[]
  totals: { packets: number; ok: number; bad: number; crcFailures: number; octets: number; badOctets: number; bits: Omit<BitsBreakdown, 'total'> & { total: number } }
}

const round = (v: number) => Math.round(v * 10) / 10
const hex = (v: number | undefined) => (v === undefined ? undefined : '0x' + v.toString(16).padStart(8, '0'))

function emptyTotals(): InspectReport['totals'] {
  return { packets: 0, ok: 0, bad: 0, crcFailures: 0, octets: 0, badOctets: 0, bits: { header: 0, caption: 0, latents: 0, detections: 0, total: 0 } }
}

function formatReport(r: InspectReport): string {
  const lines: string[] = []
  for (const p of r.packets) {
    const where = `#${p.index} @${p.offset} ${p.octets} B`
    if (!p.ok) {
      const id = p.primary ? ` apid ${p.primary.apid} seq ${p.primary.sequenceCount}` : ''
      lines.push(`${where}${id} BAD: ${p.error}`)
      continue
    }
    const h = p.header!
    const b = p.bits
    lines.push(
      `${where} apid ${p.primary!.apid} seq ${p.primary!.sequenceCount} CRC ${p.crcStored} ok | v${h.formatVersion} ${h.width}x${h.height} model ${h.modelId} ` +
        `C=${h.channelIndices.length}/${h.latentChannels} [${h.channelIndices.join(',')}] q=${h.quantStep} steps=${h.steps} seed=${h.seed} caption=${h.captionMode} det=${h.hasDetections ? p.detections ?? '?' : 'no'}` +
        (b ? ` | bits: header ${b.header}, caption ${b.caption}, latents ${b.latents}, detections ${b.detections}, total ${b.total}` : '') +
        (p.colour ? ` | colour: ${colourPlanesText(p.colour)}` : '') +
        (p.colour?.textureStrength !== undefined ? `, texture grain ${p.colour.textureStrength > 0 ? round(p.colour.textureStrength) : 'none'}` : '') +
        (p.caption ? `\n    "${p.caption}"` : '')
    )
  }
  const t = r.totals
  lines.push(`${r.file}: ${t.packets} item(s), ${t.ok} good, ${t.bad} bad (${t.crcFailures} CRC failures), ${r.octets} octets; good packets' bits: header ${t.bits.header}, caption ${t.bits.caption}, latents ${t.bits.latents}, detections ${t.bits.detections}, total ${t.bits.total}`)
  if (r.error) lines.push(`error: ${r.error}`)
  return lines.join('\n')
}

const inspect: CommandSpec<InspectReport> = {
  name: 'inspect',
  summary: 'print every packet header field and CRC status of a packet or capture',
  usage:
    'gsc inspect <packet|capture> [--quick] [--max-pixels N] [--json]\n\n  --quick  framing, CRC and header only (skip decoding caption and latents)\n' +
    `  --max-pixels N  decode no payload of a packet announcing more than N pixels (default ${DEFAULT_MAX_PIXELS}, docs/bitstream.md 4.1)`,
  options: { quick: { type: 'boolean', default: false }, 'max-pixels': LIMIT_OPTIONS['max-pixels'] },
  async run(args, ctx) {
    const file = requirePositional(args, 0, 'packet or capture file (gsc inspect <file>)')
    const report: InspectReport = { file, octets: 0, packets: [], totals: emptyTotals() }
    const fail = (msg: string): never => {
      report.error = msg
      // The document is still printed (stdout) before the one-line error (stderr).
      process.stdout.write((ctx.json ? JSON.stringify(report) : formatReport(report)) + '\n')
      throw new GscError(msg)
    }
    let size = 0
    try {
      const s = await stat(file)
      if (s.isDirectory()) fail(`${file} is a directory, not a packet or capture file`)
      size = s.size
    } catch (e) {
      if (e instanceof GscError) throw e
      const code = (e as NodeJS.ErrnoException).code
      fail(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${describeError(e)}`)
    }
    report.octets = size
    if (size === 0) fail(`empty file: ${file}`)
    const progress = ctx.progress('inspecting', size)
    const t = report.totals
    const { maxPixels } = decodeLimitsFrom(args)
    for await (const item of readCapture(file, { decode: !args.values.quick, maxPixels, signal: ctx.signal })) {
      const i = item.inspection
      const entry: PacketEntry = {
        index: report.packets.length,
        offset: item.offset,
        octets: item.bytes.length,
        ok: i.ok,
        error: i.error,
        primary: i.primary,
        header: i.header,
        crcOk: i.crcOk,
        crcStored: hex(i.crcStored),
        crcComputed: hex(i.crcComputed),
        caption: i.caption,
        detections: i.detections,
        bits: i.bits,
        ...(i.colour ? { colour: i.colour } : {})
      }
      report.packets.push(entry)
      t.packets++
      if (i.ok) {
        t.ok++
        t.octets += item.bytes.length
        if (i.bits) for (const k of ['header', 'caption', 'latents', 'detections', 'total'] as const) t.bits[k] += i.bits[k]
      } else {
        t.bad++
        t.badOctets += item.bytes.length
        if (i.crcOk === false) t.crcFailures++
      }
      progress.update(item.offset + item.bytes.length)
    }
    progress.done()
    if (t.ok === 0) fail(`no valid GSC packet in ${file} (${t.bad} bad item(s): ${report.packets[0]?.error ?? 'unreadable'})`)
    return report
  },
  format: formatReport
}

export default inspect
