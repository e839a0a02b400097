// Random mutations of valid packets: each must decode to exactly the original payload (only when the
// mutation changed nothing) or throw a GscError — never another exception, never a different payload.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { decodeGscPacket, encodeGscPacket, type DecodedGscPacket } from '../../src/core/bitstream/gscPacket'
import { inspectPacket } from '../../src/core/bitstream/inspect'
import { readCapture } from '../../src/core/bitstream/capture'
import { crc32 } from '../../src/core/bitstream/crc32'
import { GscError } from '../../src/core/util/errors'
import { payload, prng } from '../fixtures/bitstreamFixtures'

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

function samePayload(a: DecodedGscPacket, b: DecodedGscPacket): boolean {
  return JSON.stringify({ ...a, latents: Array.from(a.latents) }) === JSON.stringify({ ...b, latents: Array.from(b.latents) })
}

const bases = [
  encodeGscPacket(payload({ seed: 1 }), { apid: 1, sequenceCount: 0 }),
  encodeGscPacket(payload({ seed: 2, mode: 'utf8', channels: 2, width: 320, height: 240 }), { apid: 2047, sequenceCount: 16383 }),
  encodeGscPacket(payload({ seed: 3, mode: 'none', detections: false, width: 64, height: 48 }), { apid: 7, sequenceCount: 9 }),
  encodeGscPacket(payload({ seed: 4, channels: 0, caption: 'Indoor scene, dim; a couch in the centre' }), { apid: 100, sequenceCount: 1 })
]

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const kind = Math.floor(rnd() * 6)
  const b = src.slice()
  const pos = () => Math.floor(rnd() * b.length)
  switch (kind) {
    case 0: {
      // 1-4 bit flips
      const n = 1 + Math.floor(rnd() * 4)
      for (let i = 0; i < n; i++) b[pos()] ^= 1 << Math.floor(rnd() * 8)
      return b
    }
    case 1:
      return b.slice(0, Math.floor(rnd() * b.length)) // truncation
    case 2: {
      const at = Math.floor(rnd() * (b.length + 1))
      const ins = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))
      return Uint8Array.from([...b.slice(0, at), ...ins, ...b.slice(at)]) // insertion
    }
    case 3: {
      // length field edit (sometimes consistent with a truncation/extension)
      const delta = Math.floor(rnd() * 21) - 10 || 1
      const len = ((b[4] << 8) | b[5]) + delta
      b[4] = (len >> 8) & 255
      b[5] = len & 255
      return b
    }
    case 4: {
      // byte overwrite run
      const at = pos()
      const n = 1 + Math.floor(rnd() * 6)
      for (let i = at; i < Math.min(b.length, at + n); i++) b[i] = Math.floor(rnd() * 256)
      return b
    }
    default: {
      // deletion
      const at = pos()
      return Uint8Array.from([...b.slice(0, at), ...b.slice(at + 1 + Math.floor(rnd() * 4))])
    }
  }
}

describe('packet fuzzing', () => {
  it('30,000 random mutations: exact original or GscError', () => {
    const rnd = prng(20240601)
    const originals = bases.map((b) => decodeGscPacket(b))
    let errors = 0
    let noops = 0
    for (let i = 0; i < 30000; i++) {
      const k = i % bases.length
      const m = mutate(bases[k], rnd)
      let decoded: DecodedGscPacket | undefined
      try {
        decoded = decodeGscPacket(m)
      } catch (e) {
        if (!(e instanceof GscError)) throw new Error(`case ${i}: non-GscError ${String(e)}`)
        expect((e as Error).message).not.toContain('\n')
        errors++
      }
      const insp = inspectPacket(m)
      expect(insp.ok).toBe(decoded !== undefined)
      if (decoded) {
        expect(sameBytes(m, bases[k]), `case ${i}: a changed packet decoded`).toBe(true)
        expect(samePayload(decoded, originals[k])).toBe(true)
        noops++
      }
    }
    expect(errors + noops).toBe(30000)
    expect(errors).toBeGreaterThan(29000)
  })

  it('5,000 mutations with the CRC recomputed: the decoder itself only ever throws GscError', () => {
    const rnd = prng(99)
    let decodedCount = 0
    for (let i = 0; i < 5000; i++) {
      const base = bases[i % bases.length]
      const b = base.slice()
      const n = 1 + Math.floor(rnd() * 6)
      for (let j = 0; j < n; j++) {
        const p = 6 + Math.floor(rnd() * (b.length - 10))
        if (rnd() < 0.5) b[p] ^= 1 << Math.floor(rnd() * 8)
        else b[p] = Math.floor(rnd() * 256)
      }
      new DataView(b.buffer).setUint32(b.length - 4, crc32(b, 0, b.length - 4))
      try {
        decodeGscPacket(b)
        decodedCount++
      } catch (e) {
        if (!(e instanceof GscError)) throw new Error(`case ${i}: non-GscError ${String(e)}`)
      }
      expect(() => inspectPacket(b)).not.toThrow()
    }
    // CRC-valid corruption may decode (it is a different but well-formed packet); most must not crash.
    expect(decodedCount).toBeLessThan(5000)
  })
})

describe('capture fuzzing', () => {
  it('finds every good packet after corrupted ones', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gsc-fuzz-'))
    try {
      const rnd = prng(4242)
      for (let round = 0; round < 25; round++) {
        const parts: Uint8Array[] = []
        const goodOffsets: number[] = []
        let off = 0
        for (let i = 0; i < 12; i++) {
          const base = bases[Math.floor(rnd() * bases.length)]
          const corrupt = rnd() < 0.35
          const bytes = corrupt ? mutate(base, rnd) : base
          if (corrupt && sameBytes(bytes, base)) continue
          if (!corrupt) goodOffsets.push(off)
          parts.push(bytes)
          off += bytes.length
        }
        const file = path.join(dir, `c${round}.bin`)
        writeFileSync(file, Buffer.concat(parts))
        const found: number[] = []
        let covered = 0
        for await (const item of readCapture(file)) {
          expect(item.offset).toBe(covered) // items tile the file without gaps
          covered += item.bytes.length
          if (item.inspection.ok) {
            found.push(item.offset)
            // anything reported good is a genuine, intact packet (e.g. one with garbage inserted before it)
            expect(bases.some((b) => sameBytes(b, item.bytes))).toBe(true)
          } else expect(item.inspection.error).toBeTruthy()
        }
        expect(covered).toBe(off)
        for (const g of goodOffsets) expect(found).toContain(g)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
