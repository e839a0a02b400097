// Rows sent with COPY ... FROM STDIN (FORMAT binary): each value goes as the server stores it (a big-endian integer,
// UTF-8 text, raw bytes), so the server parses no text and the client builds no array literals. Rows are encoded into
// chunks of about 1 MiB and streamed with back-pressure, so a batch of large spans is never held twice in memory.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
const CHUNK = 1024 * 1024
const TWO_32 = 2 ** 32

/** Writes binary COPY tuples into chunks; call row(n) and then one writer per field, in the COPY's column order. */
export class BinaryCopyWriter {
  private buf = Buffer.allocUnsafe(CHUNK)
  // Integers go through a DataView (big-endian by default): cheaper than Buffer's writeInt*BE and their checks.
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
  private at = 0
  private readonly done: Buffer[] = []

  constructor() {
    SIGNATURE.copy(this.buf, 0)
    this.view.setInt32(11, 0) // flags
    this.view.setInt32(15, 0) // header extension length
    this.at = 19
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return
    if (this.at > 0) this.done.push(this.buf.subarray(0, this.at))
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n))
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
    this.at = 0
  }

  private int32(v: number): void {
    this.view.setInt32(this.at, v)
    this.at += 4
  }

  /** Starts a tuple of `fields` values; the largest fixed part of one is 8 octets plus its 4-octet length. */
  row(fields: number): void {
    this.room(2)
    this.view.setInt16(this.at, fields)
    this.at += 2
  }

  private nullValue(): void {
    this.room(4)
    this.int32(-1)
  }

  int2(v: number | null): void {
    if (v === null) return this.nullValue()
    if (v < -32768 || v > 32767) throw new RangeError(`out of range for a smallint: ${v}`) // as Buffer.writeInt16BE would
    this.room(6)
    this.int32(2)
    this.view.setInt16(this.at, v)
    this.at += 2
  }

  int4(v: number | null): void {
    if (v === null) return this.nullValue()
    if (v < -2147483648 || v > 2147483647) throw new RangeError(`out of range for an integer: ${v}`) // as Buffer.writeInt32BE would
    this.room(8)
    this.int32(4)
    this.int32(v)
  }

  /** Any safe integer (ids, milliseconds, offsets), as two 32-bit halves: no BigInt on the hot path. */
  int8(v: number | null): void {
    if (v === null) return this.nullValue()
    if (!Number.isSafeInteger(v)) throw new RangeError(`not an integer for a bigint column: ${v}`)
    this.room(12)
    const hi = Math.floor(v / TWO_32)
    this.int32(8)
    this.int32(hi)
    this.view.setUint32(this.at, v - hi * TWO_32)
    this.at += 4
  }

  bytes(v: Uint8Array | null): void {
    if (v === null) return this.nullValue()
    this.room(4 + v.length)
    this.int32(v.length)
    this.buf.set(v, this.at) // TypedArray.set: cheaper than Buffer.copy's checks for ~200-octet values
    this.at += v.length
  }

  /** A bytea value held as a latin1 string (one char per octet, as crypto.hash gives it). */
  latin1Bytes(v: string): void {
    this.room(4 + v.length)
    this.int32(v.length)
    this.at += this.buf.write(v, this.at, v.length, 'latin1')
  }

  text(v: string | null): void {
    if (v === null) return this.nullValue()
    const n = Buffer.byteLength(v, 'utf8')
    this.room(4 + n)
    this.int32(n)
    this.at += this.buf.write(v, this.at, 'utf8')
  }

  /** Chunks complete so far (the caller sends them and may keep writing rows). */
  take(): Buffer[] {
    return this.done.splice(0)
  }

  /** The trailer and whatever is left. */
  finish(): Buffer[] {
    this.room(2)
    this.view.setInt16(this.at, -1)
    this.at += 2
    this.done.push(this.buf.subarray(0, this.at))
    this.buf = Buffer.alloc(0)
    this.at = 0
    return this.done.splice(0)
  }
}

/**
 * Runs `COPY <target> FROM STDIN (FORMAT binary)` on c (inside the caller's transaction) with the rows `encode`
 * writes, calling encode(w, k) for k = 0..count-1; chunks are sent as they fill. Resolves to the rows copied.
 */
export async function copyRows(c: pg.ClientBase, target: string, count: number, encode: (w: BinaryCopyWriter, k: number) => void): Promise<number> {
  const w = new BinaryCopyWriter()
  function* chunks(): Generator<Buffer> {
    for (let k = 0; k < count; k++) {
      encode(w, k)
      yield* w.take()
    }
    yield* w.finish()
  }
  const stream = c.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT binary)`))
  await pipeline(Readable.from(chunks(), { objectMode: false }), stream)
  return stream.rowCount
}
