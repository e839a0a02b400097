// Streaming reader for capture files (concatenated space packets) with resynchronisation.
// Memory stays bounded by a window of a few hundred kilobytes whatever the file size.
import { open, type FileHandle } from 'node:fs/promises'
import { GscError } from '../util/errors'
import { crc32 } from './crc32'
import { MAX_DATA_FIELD_OCTETS, PRIMARY_HEADER_OCTETS } from './ccsds'
import { CRC_OCTETS, MIN_PACKET_OCTETS } from './gscPacket'
import { inspectPacket } from './inspect'
import type { PacketInspection } from './types'

export interface CaptureItem {
  offset: number
  bytes: Uint8Array
  inspection: PacketInspection
  /**
   * true: one CCSDS packet framed by its primary header (a valid GSC packet, a packet whose GSC checks fail, or a
   * packet of another APID: foreign or idle traffic, which the store tells apart by APID); false: bytes that frame
   * as nothing (an unframed span, or a packet cut off by the end of the file).
   */
  framed: boolean
}

export interface ReadCaptureOptions {
  startOffset?: number
  signal?: AbortSignal
  /** Fully decode every packet in its inspection (slow: caption and latents). Default false:
   *  items carry framing, CRC status and the GSC header. */
  decode?: boolean
  /** With decode: the station's pixel limit for decoding payloads (inspectPacket; default 2048 x 2048). */
  maxPixels?: number
}

const MAX_PACKET = PRIMARY_HEADER_OCTETS + MAX_DATA_FIELD_OCTETS
const MAX_PLAUSIBLE_VERSION = 15
const CHUNK = 256 * 1024
/** Unframeable spans longer than this are reported in pieces, so memory stays flat. */
export const MAX_BAD_SPAN = 1024 * 1024
/**
 * Framing of packets that are not valid GSC packets (foreign traffic, idle packets, GSC packets whose CRC fails):
 * an unsegmented telemetry packet's primary header (version 0, type 0, sequence flags 11: 6 bits random bytes pass
 * one time in 64). In step (at the start, or right after a framed packet) such a header frames its packet when the
 * packet fits in the file and no valid GSC packet starts inside it, nor a header followed by CHAIN_ALTERNATIVE more
 * whose chain never meets the chain of this one (another framing of the same bytes). After bytes that framed as
 * nothing, a header is believed only when confirmed: this many further headers follow it back to back, or the chain
 * reaches the end of the file exactly or a valid GSC packet first.
 */
export const CHAIN_RESYNC = 3
/** Headers that must follow a header inside an in-step packet before it counts as another framing of those bytes
 *  (more than CHAIN_RESYNC: data fields full of zeros pass header checks far more often than random bytes). */
export const CHAIN_ALTERNATIVE = 6

/** A sliding window over the file addressed by absolute offsets (amortised O(1) per octet). */
class Window {
  private buf = new Uint8Array(4 * CHUNK)
  private base: number // absolute offset of buf[0]
  private lo = 0 // buf index of the first octet still needed
  private len = 0 // valid octets in buf
  eof = false
  constructor(
    private readonly fh: FileHandle,
    private pos: number
  ) {
    this.base = pos
  }
  get start(): number {
    return this.base + this.lo
  }
  get end(): number {
    return this.base + this.len
  }
  /** Makes octets up to absolute offset `upto` available if the file has them. */
  async fill(upto: number): Promise<void> {
    while (!this.eof && this.end < upto) {
      const keep = this.len - this.lo
      const want = Math.max(CHUNK, upto - this.end)
      if (keep + want > this.buf.length || this.lo > 0) {
        // Compact (and grow if needed) before reading more.
        const n = keep + want > this.buf.length ? new Uint8Array(keep + want) : this.buf
        if (n === this.buf) n.copyWithin(0, this.lo, this.len)
        else n.set(this.buf.subarray(this.lo, this.len), 0)
        this.buf = n
        this.base += this.lo
        this.len = keep
        this.lo = 0
      }
      const { bytesRead } = await this.fh.read(this.buf, this.len, Math.min(want, this.buf.length - this.len), this.pos)
      if (bytesRead === 0) {
        this.eof = true
        break
      }
      this.pos += bytesRead
      this.len += bytesRead
    }
  }
  /** Forgets everything before absolute offset `abs`. */
  drop(abs: number): void {
    const i = abs - this.base
    if (i > this.lo) this.lo = Math.min(i, this.len)
  }
  at(abs: number): number {
    return this.buf[abs - this.base]
  }
  /** A copy of n octets from abs (its own buffer: the window's is reused). */
  copy(abs: number, n: number): Uint8Array {
    return this.buf.slice(abs - this.base, abs - this.base + n)
  }
  /** CRC-32 of the octets [abs, end). */
  crc(abs: number, end: number): number {
    return crc32(this.buf, abs - this.base, end - this.base)
  }
  /** The big-endian 32-bit word at abs. */
  u32(abs: number): number {
    const i = abs - this.base
    const b = this.buf
    return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0
  }
}

/** Octets of a plausible GSC packet starting at abs (framing fields + format octet), else 0. */
function plausibleLength(w: Window, abs: number): number {
  if (abs + PRIMARY_HEADER_OCTETS + 1 > w.end) return 0
  const b0 = w.at(abs)
  if ((b0 & 0xf8) !== 0) return 0 // version 0, type 0 (telemetry), no secondary header
  if ((w.at(abs + 2) & 0xc0) !== 0xc0) return 0 // unsegmented
  const n = PRIMARY_HEADER_OCTETS + ((w.at(abs + 4) << 8) | w.at(abs + 5)) + 1
  if (n < MIN_PACKET_OCTETS) return 0
  // Any plausible format version (1..15), so a packet of a newer version is framed and reported as
  // "unknown GSC format version" instead of being swallowed as garbage.
  const v = w.at(abs + PRIMARY_HEADER_OCTETS)
  if (v < 1 || v > MAX_PLAUSIBLE_VERSION) return 0
  return n
}

/** Octets of an unsegmented CCSDS telemetry packet whose primary header would start at abs, else 0. */
function ccsdsLength(w: Window, abs: number): number {
  if (abs + PRIMARY_HEADER_OCTETS > w.end) return 0
  if ((w.at(abs) & 0xf0) !== 0 || (w.at(abs + 2) & 0xc0) !== 0xc0) return 0
  return PRIMARY_HEADER_OCTETS + ((w.at(abs + 4) << 8) | w.at(abs + 5)) + 1
}

/**
 * Whether the header at abs is confirmed by CHAIN_RESYNC following headers (see above); 'more' when the window must
 * grow. A chain that meets `merges` (runs into a packet end of the framing being checked, or past where that framing can
 * be followed) is no alternative to it.
 */
function chainSync(w: Window, abs: number, merges?: ChainEnds, need = CHAIN_RESYNC): boolean | 'more' {
  const n = ccsdsLength(w, abs)
  if (n === 0) return false
  let p = abs + n
  for (let k = 0; ; k++) {
    if (!w.eof && p + MAX_PACKET > w.end) return 'more'
    if (p > w.end || merges?.meets(p)) return false // runs past the end of the file, or into the framing checked
    if (p === w.end || k === need || validLength(w, p) > 0) return true
    const m = ccsdsLength(w, p)
    if (m === 0) return false
    p += m
  }
}

async function confirmed(w: Window, abs: number, merges?: ChainEnds, need = CHAIN_RESYNC): Promise<boolean> {
  if (ccsdsLength(w, abs) === 0) return false
  let r = chainSync(w, abs, merges, need)
  while (r === 'more') {
    await w.fill(w.end + MAX_PACKET)
    r = chainSync(w, abs, merges, need)
  }
  return r
}

/** The ends of the packet at abs and of the packets its header chain frames after it, followed as far as asked. */
class ChainEnds {
  private readonly ends = new Set<number>()
  private last: number
  private stopped = false
  constructor(
    private readonly w: Window,
    abs: number
  ) {
    this.last = abs
  }
  /**
   * Whether a chain reaching p cannot be told apart from this one: p is one of its ends, or the chain stops (bytes that
   * frame as nothing) before p, so nothing says the two framings differ. The window holds every octet before p.
   */
  meets(p: number): boolean {
    while (!this.stopped && this.last < p) {
      const m = ccsdsLength(this.w, this.last)
      if (m === 0) this.stopped = true
      else this.ends.add((this.last += m))
    }
    return this.ends.has(p) || (this.stopped && p > this.last)
  }
}

/**
 * Whether a valid GSC packet (or, with `alternatives`, a confirmed header whose chain never meets this packet's own
 * chain: another framing of the same bytes) starts strictly inside (abs, abs + n).
 */
async function swallows(w: Window, abs: number, n: number, alternatives: boolean): Promise<boolean> {
  let ends: ChainEnds | undefined
  for (let q = abs + 1; q < abs + n; q++) {
    if (!w.eof && q + MAX_PACKET > w.end) await w.fill(q + MAX_PACKET)
    if (validLength(w, q) > 0) return true
    if (alternatives && ccsdsLength(w, q) > 0) {
      ends ??= new ChainEnds(w, abs)
      if (await confirmed(w, q, ends, CHAIN_ALTERNATIVE)) return true
    }
  }
  return false
}

/** Octets of the packet framed at abs (in step, or confirmed when resynchronising), else 0. Window filled to abs + MAX_PACKET. */
async function framedLength(w: Window, abs: number, inStep: boolean): Promise<number> {
  const n = ccsdsLength(w, abs)
  if (n === 0 || abs + n > w.end) return 0 // no header, or cut off by the end of the file
  if (!inStep && !(await confirmed(w, abs))) return 0
  return (await swallows(w, abs, n, inStep)) ? 0 : n
}

/** Length of a valid packet (plausible and CRC correct) at abs, else 0. Needs the window filled. */
function validLength(w: Window, abs: number): number {
  const n = plausibleLength(w, abs)
  if (n === 0 || abs + n > w.end) return 0
  return w.crc(abs, abs + n - CRC_OCTETS) === w.u32(abs + n - CRC_OCTETS) ? n : 0
}

export async function* readCapture(path: string, opts: ReadCaptureOptions = {}): AsyncGenerator<CaptureItem> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new GscError(code === 'ENOENT' ? `no such file: ${path}` : code === 'EISDIR' ? `${path} is a directory, not a capture file` : `cannot read ${path}: ${code ?? String(e)}`, code ?? 'EIO')
  }
  try {
    const w = new Window(fh, opts.startOffset ?? 0)
    let at = w.start
    // In step: at the start (of the file, or of a resumed import, which begins at a committed boundary) or right after a
    // framed packet. Out of step after bytes that framed as nothing, where a framing needs a longer chain to be believed.
    let inStep = true
    const decode = opts.decode ?? false
    const inspectOpts = { decode, maxPixels: opts.maxPixels }
    for (;;) {
      if (opts.signal?.aborted) throw new GscError('capture reading aborted', 'EABORT')
      w.drop(at)
      // Awaited only when the window must grow (once per chunk, not per packet).
      if (!w.eof && w.end < at + MAX_PACKET) await w.fill(at + MAX_PACKET)
      if (at >= w.end) return
      const n = validLength(w, at)
      if (n > 0) {
        const bytes = w.copy(at, n)
        // validLength checked framing and CRC: without decoding, the inspection need not check them again.
        const inspection = inspectPacket(bytes, decode ? inspectOpts : { decode: false, checkedCrc: w.u32(at + n - CRC_OCTETS) })
        yield { offset: at, bytes, inspection, framed: true }
        at += n
        inStep = true
        continue
      }
      // A well-framed CCSDS packet that is not a valid GSC packet: foreign traffic, or a GSC packet whose CRC fails.
      const f = await framedLength(w, at, inStep)
      if (f > 0) {
        const bytes = w.copy(at, f)
        yield { offset: at, bytes, inspection: inspectPacket(bytes, inspectOpts), framed: true }
        at += f
        inStep = true
        continue
      }
      // Bytes that frame as nothing: find the next offset where a valid GSC packet or a confirmed packet starts.
      let q = at + 1
      let found = false
      for (;;) {
        if (q - at >= MAX_BAD_SPAN) break
        if (!w.eof && q + MAX_PACKET > w.end) await w.fill(q + MAX_PACKET)
        if (q >= w.end) break
        if (validLength(w, q) > 0 || (ccsdsLength(w, q) > 0 && (await framedLength(w, q, false)) > 0)) {
          found = true
          break
        }
        q++
      }
      // A GSC-shaped packet that fails its CRC (and swallows no valid packet) is reported by itself, framed.
      const framed = plausibleLength(w, at)
      const end = framed > 0 && at + framed <= q ? at + framed : q
      const bytes = w.copy(at, end - at)
      const inspection = inspectPacket(bytes, inspectOpts)
      if (inspection.ok) {
        // Cannot happen (validLength failed), but never report a bad span as good.
        inspection.ok = false
        inspection.error = 'unframed bytes'
      }
      // A span that frames as exactly one CCSDS packet with a failed CRC (its format octet corrupted, say)
      // stays a CRC failure with the CRC error; it is not "unframed".
      if (end === q && framed === 0 && inspection.crcOk !== false) {
        // No plausible header here: whatever the first octets would mean as a header is noise.
        inspection.error = `unframed bytes (${end - at} octets, no valid packet header)`
        delete inspection.primary
        delete inspection.header
      }
      yield { offset: at, bytes, inspection, framed: (framed > 0 && end === at + framed) || inspection.crcOk !== undefined }
      at = end
      inStep = end < q || found
    }
  } finally {
    await fh.close()
  }
}
