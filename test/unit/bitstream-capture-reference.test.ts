// The capture reader's full framing result on mixed captures, compared with a reference recorded from the reader
// before its per-packet cost was cut (issue 18): any change to an item (offset, bytes, framed flag, any inspection
// field, or which fields exist) fails here. The captures are built from a seeded PRNG and the wire format alone (no
// entropy coder: decode is off, so payloads are random octets), so codec changes cannot move the reference.
// Re-record only for an intended framing change: GSC_RECORD_CAPTURE_FRAMING=1 npx vitest run test/unit/bitstream-capture-reference.test.ts
import { afterAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { IDLE_APID, writePrimaryHeader } from '../../src/core/bitstream/ccsds'
import { MAX_BAD_SPAN, readCapture, type CaptureItem } from '../../src/core/bitstream/capture'
import { crc32 } from '../../src/core/bitstream/crc32'
import { writeHeader } from '../../src/core/bitstream/gscHeader'
import { inspectPacket } from '../../src/core/bitstream/inspect'
import type { GscHeader } from '../../src/core/bitstream/types'
import { prng } from '../fixtures/bitstreamFixtures'

const REFERENCE = path.join(__dirname, '../fixtures/capture-framing-reference.json')
const RECORD = process.env.GSC_RECORD_CAPTURE_FRAMING === '1'
const dir = mkdtempSync(path.join(tmpdir(), 'gsc-capture-ref-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

type Rnd = () => number
const int = (rnd: Rnd, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
const randomBytes = (rnd: Rnd, n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256))

/** A CCSDS packet with the given header fields and data field, framed by writePrimaryHeader. */
function ccsds(apid: number, seq: number, data: Uint8Array, fields: { type?: number; secondary?: number; flags?: number } = {}): Uint8Array {
  const out = new Uint8Array(6 + data.length)
  writePrimaryHeader(out, { version: 0, type: fields.type ?? 0, secondaryHeaderFlag: fields.secondary ?? 0, apid, sequenceFlags: fields.flags ?? 3, sequenceCount: seq, dataFieldOctets: data.length })
  out.set(data, 6)
  return out
}

function setCrc(p: Uint8Array): Uint8Array {
  new DataView(p.buffer, p.byteOffset).setUint32(p.length - 4, crc32(p, 0, p.length - 4), false)
  return p
}

/** A CRC-valid GSC packet: primary header, a real GSC header, random payload octets (not decodable; decode is off). */
function gsc(rnd: Rnd, apid: number, seq: number, payloadOctets: number): Uint8Array {
  const C = int(rnd, 0, 6)
  const header: GscHeader = {
    formatVersion: 1, width: int(rnd, 1, 4096), height: int(rnd, 1, 4096), modelId: int(rnd, 0, 3), latentChannels: rnd() < 0.8 ? 320 : int(rnd, 8, 1024),
    channelIndices: [], quantStep: [0.5, 1, 1.5, 2, 0.015625][int(rnd, 0, 4)], steps: int(rnd, 0, 400), seed: int(rnd, 0, 0xffffffff),
    captionMode: (['none', 'static', 'utf8'] as const)[int(rnd, 0, 2)], hasDetections: rnd() < 0.3
  }
  const channels = new Set<number>()
  while (channels.size < Math.min(C, header.latentChannels)) channels.add(int(rnd, 0, header.latentChannels - 1))
  header.channelIndices = [...channels].sort((a, b) => a - b)
  const h = writeHeader(header)
  const data = new Uint8Array(h.length + payloadOctets + 4)
  data.set(h, 0)
  data.set(randomBytes(rnd, payloadOctets), h.length)
  return setCrc(ccsds(apid, seq, data))
}

/** Mostly small packets, some of a few kilobytes, a few near the 64 KiB cap (so packets straddle the reader's chunks). */
function payloadSize(rnd: Rnd): number {
  const r = rnd()
  return r < 0.8 ? int(rnd, 0, 400) : r < 0.97 ? int(rnd, 400, 8000) : int(rnd, 30000, 65400)
}

/** One segment of a mixed capture, of the kind drawn by weight. */
function segment(rnd: Rnd, k: number, weights: Record<string, number>): Uint8Array {
  const kinds = Object.keys(weights)
  let r = rnd() * kinds.reduce((s, x) => s + weights[x], 0)
  let kind = kinds[0]
  for (const x of kinds) if ((r -= weights[x]) < 0) { kind = x; break }
  const seq = k & 0x3fff
  switch (kind) {
    case 'gsc':
      return gsc(rnd, [3, 100, 5][k % 3], seq, payloadSize(rnd))
    case 'badCrc': { // a flipped payload, header or CRC octet
      const p = gsc(rnd, 3, seq, payloadSize(rnd))
      p[int(rnd, 7, p.length - 1)] ^= 1 << int(rnd, 0, 7)
      return p
    }
    case 'badFormatOctet': { // format octet corrupted, CRC left as it was
      const p = gsc(rnd, 3, seq, int(rnd, 0, 300))
      p[6] = [0, 2, 16, 200][int(rnd, 0, 3)]
      return p
    }
    case 'newerVersion': { // a CRC-valid packet of format version 2..15
      const p = gsc(rnd, 3, seq, int(rnd, 0, 300))
      p[6] = int(rnd, 2, 15)
      return setCrc(p)
    }
    case 'badHeader': { // CRC-valid, GSC header fields random
      const p = ccsds(3, seq, randomBytes(rnd, int(rnd, 6, 300)))
      p[6] = 1
      return setCrc(p)
    }
    case 'foreign': { // another APID: random, zero-filled or counting data
      const n = int(rnd, 1, rnd() < 0.9 ? 600 : 20000)
      const fill = int(rnd, 0, 2)
      const data = fill === 0 ? randomBytes(rnd, n) : fill === 1 ? new Uint8Array(n) : Uint8Array.from({ length: n }, (_, i) => i & 0xff)
      return ccsds(int(rnd, 200, 300), seq, data)
    }
    case 'idle':
      return ccsds(IDLE_APID, seq, new Uint8Array(int(rnd, 1, 1000)).fill([0x00, 0x55, 0xff][int(rnd, 0, 2)]))
    case 'notTelemetry': { // telecommand, secondary header flag or segmented, CRC-valid GSC shape otherwise
      const p = gsc(rnd, 3, seq, int(rnd, 0, 200))
      const which = int(rnd, 0, 2)
      if (which === 0) p[0] |= 0x10
      else if (which === 1) p[0] |= 0x08
      else p[2] = (p[2] & 0x3f) | (int(rnd, 0, 2) << 6)
      return setCrc(p)
    }
    case 'garbage':
      return randomBytes(rnd, int(rnd, 1, rnd() < 0.9 ? 400 : 5000))
    case 'zeros':
      return new Uint8Array(int(rnd, 1, 3000))
    case 'tinyChain': { // back-to-back 7-octet packets: header chains that confirm themselves
      const n = int(rnd, 1, 12)
      const out = new Uint8Array(7 * n)
      for (let i = 0; i < n; i++) out.set([0x00, int(rnd, 0, 255), 0xc0, i, 0x00, 0x00, int(rnd, 0, 255)], 7 * i)
      return out
    }
    case 'lengthLie': { // a GSC packet whose length field is off by a little
      const p = gsc(rnd, 3, seq, int(rnd, 20, 400))
      const len = ((p[4] << 8) | p[5]) + int(rnd, -8, 8)
      p[4] = (len >> 8) & 0xff
      p[5] = len & 0xff
      return rnd() < 0.5 ? setCrc(p) : p
    }
  }
  throw new Error(`no segment kind ${kind}`)
}

interface CaptureCase {
  name: string
  bytes: Uint8Array
  startOffsets: number[]
}

function buildCase(name: string, seed: number, segments: number, weights: Record<string, number>, tail: (rnd: Rnd) => Uint8Array[]): CaptureCase {
  const rnd = prng(seed)
  const parts: Uint8Array[] = []
  for (let k = 0; k < segments; k++) parts.push(segment(rnd, k, weights))
  parts.push(...tail(rnd))
  const bytes = Buffer.concat(parts)
  const boundary = parts.slice(0, segments >> 1).reduce((s, p) => s + p.length, 0)
  return { name, bytes, startOffsets: [0, boundary, int(rnd, 1, bytes.length - 1)] }
}

const MOSTLY_GSC = { gsc: 70, badCrc: 4, badFormatOctet: 2, newerVersion: 1, badHeader: 1, foreign: 10, idle: 6, notTelemetry: 2, garbage: 3, zeros: 1, tinyChain: 1, lengthLie: 2 }
const HOSTILE = { gsc: 30, badCrc: 8, badFormatOctet: 4, newerVersion: 2, badHeader: 3, foreign: 20, idle: 8, notTelemetry: 4, garbage: 12, zeros: 4, tinyChain: 4, lengthLie: 5 }

function cases(): CaptureCase[] {
  return [
    // ends in a GSC packet cut off by the end of the file
    buildCase('mostly-gsc', 11, 700, MOSTLY_GSC, (rnd) => [gsc(rnd, 3, 1, 500).subarray(0, 300)]),
    // ends in three stray octets
    buildCase('hostile', 12, 700, HOSTILE, (rnd) => [randomBytes(rnd, 3)]),
    // more than one bad span's worth of garbage before packets; ends in a primary header cut short
    buildCase('long-garbage', 13, 40, MOSTLY_GSC, (rnd) => [randomBytes(rnd, MAX_BAD_SPAN + 4321), gsc(rnd, 3, 2, 100), ccsds(250, 7, new Uint8Array(40)).subarray(0, 5)])
  ]
}

const sha = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex').slice(0, 20)

/** One line per item: readable columns, then a digest of everything (offset, bytes, framed, inspection with its keys). */
function describeItem(it: CaptureItem): string {
  const full = JSON.stringify({ offset: it.offset, bytes: sha(it.bytes), framed: it.framed, keys: Object.keys(it.inspection), inspection: it.inspection })
  return `${it.offset} ${it.bytes.length} ${it.framed ? 'framed' : 'unframed'} ${it.inspection.ok ? 'ok' : 'bad'} ${sha(full)} ${it.inspection.error ?? ''}`
}

async function framing(c: CaptureCase, startOffset: number): Promise<string[]> {
  const file = path.join(dir, `${c.name}.bin`)
  if (!existsSync(file)) writeFileSync(file, c.bytes)
  const lines: string[] = []
  let at = startOffset
  for await (const it of readCapture(file, { startOffset })) {
    // Items tile the file, and each owns exactly its octets (a copy, not a view into the reader's window).
    expect(it.offset).toBe(at)
    expect(it.bytes.byteOffset).toBe(0)
    expect(it.bytes.buffer.byteLength).toBe(it.bytes.length)
    expect(Buffer.from(it.bytes).equals(Buffer.from(c.bytes.subarray(it.offset, it.offset + it.bytes.length)))).toBe(true)
    at += it.bytes.length
    lines.push(describeItem(it))
  }
  expect(at).toBe(c.bytes.length)
  return lines
}

describe('readCapture framing reference', () => {
  it('frames mixed captures (GSC, foreign, idle, bad CRC, garbage, truncated tails) exactly as recorded', async () => {
    const result: Record<string, string[]> = {}
    for (const c of cases()) for (const s of c.startOffsets) result[`${c.name}@${s}`] = await framing(c, s)
    if (RECORD) writeFileSync(REFERENCE, JSON.stringify(result, null, 1) + '\n')
    const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as Record<string, string[]>
    expect(Object.keys(result)).toEqual(Object.keys(reference))
    for (const k of Object.keys(reference)) expect(result[k], k).toEqual(reference[k])
    // The captures hold every kind of item the reference is meant to pin down.
    const all = Object.values(reference).flat()
    for (const needle of [' framed ok ', 'CRC mismatch', 'unframed bytes (', 'truncated', 'unknown GSC format version', ' unframed bad ']) expect(all.some((l) => l.includes(needle)), needle).toBe(true)
  })

  it('inspects a packet it has framed and CRC-checked as inspectPacket does without decoding, key for key', () => {
    const rnd = prng(21)
    for (let i = 0; i < 3000; i++) {
      // a real header, a header with random bits, or a newer format version; every CRC valid
      const p = i % 3 === 0 ? gsc(rnd, 3, i & 0x3fff, int(rnd, 0, 300)) : ccsds(3, i & 0x3fff, randomBytes(rnd, int(rnd, 10, 120)))
      if (i % 3 === 1) p[6] = 1
      if (i % 3 === 2) p[6] = int(rnd, 1, 15)
      setCrc(p)
      const expected = inspectPacket(p, { decode: false })
      const got = inspectPacket(p, { decode: false, checkedCrc: crc32(p, 0, p.length - 4) })
      expect(got).toStrictEqual(expected)
      expect(Object.keys(got)).toEqual(Object.keys(expected))
    }
  })
})
