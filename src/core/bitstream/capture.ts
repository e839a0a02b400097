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
}

export interface ReadCaptureOptions {
  startOffset?: number
  signal?: AbortSignal
  /** Fully decode every packet in its inspection (slow: caption and latents). Default false:
   *  items carry framing, CRC status and the GSC header. */
  decode?: boolean
}

const MAX_PACKET = PRIMARY_HEADER_OCTETS + MAX_DATA_FIELD_OCTETS
const MAX_PLAUSIBLE_VERSION = 15
const CHUNK = 256 * 1024
/** Unframeable spans longer than this are reported in pieces, so memory stays flat. */
export const MAX_BAD_SPAN = 1024 * 1024

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
  view(abs: number, n: number): Uint8Array {
    return this.buf.subarray(abs - this.base, abs - this.base + n)
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

/** Length of a valid packet (plausible and CRC correct) at abs, else 0. Needs the window filled. */
function validLength(w: Window, abs: number): number {
  const n = plausibleLength(w, abs)
  if (n === 0 || abs + n > w.end) return 0
  const p = w.view(abs, n)
  const stored = ((p[n - 4] << 24) | (p[n - 3] << 16) | (p[n - 2] << 8) | p[n - 1]) >>> 0
  return crc32(p, 0, n - CRC_OCTETS) === stored ? n : 0
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
    for (;;) {
      if (opts.signal?.aborted) throw new GscError('capture reading aborted', 'EABORT')
      w.drop(at)
      await w.fill(at + MAX_PACKET)
      if (at >= w.end) return
      const n = validLength(w, at)
      if (n > 0) {
        const bytes = w.view(at, n).slice()
        yield { offset: at, bytes, inspection: inspectPacket(bytes, { decode: opts.decode ?? false }) }
        at += n
        continue
      }
      // Bad span: find the next offset where a valid packet starts (or the end of file).
      let q = at + 1
      for (;;) {
        if (q - at >= MAX_BAD_SPAN) break
        if (!w.eof && q + MAX_PACKET > w.end) await w.fill(q + MAX_PACKET)
        if (q >= w.end) break
        if (validLength(w, q) > 0) break
        q++
      }
      // A framed packet that fails its CRC (and swallows no valid packet) is reported by itself.
      const framed = plausibleLength(w, at)
      const end = framed > 0 && at + framed <= q ? at + framed : q
      const bytes = w.view(at, end - at).slice()
      const inspection = inspectPacket(bytes, { decode: opts.decode ?? false })
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
      yield { offset: at, bytes, inspection }
      at = end
    }
  } finally {
    await fh.close()
  }
}
