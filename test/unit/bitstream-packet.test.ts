import { describe, expect, it } from 'vitest'
import { decodeGscPacket, encodeGscPacket, latentShape, quantizeDetection, wireQuantStep, type GscPayload } from '../../src/core/bitstream/gscPacket'
import { crc32 } from '../../src/core/bitstream/crc32'
import { readPrimaryHeader } from '../../src/core/bitstream/ccsds'
import { GscError } from '../../src/core/util/errors'
import { payload, prng, sparseLatents } from '../fixtures/bitstreamFixtures'

const framing = { apid: 100, sequenceCount: 5 }

function roundTrip(p: GscPayload) {
  const bytes = encodeGscPacket(p, framing)
  const d = decodeGscPacket(bytes)
  expect(d.header).toEqual(p.header)
  expect(d.caption).toBe(p.caption)
  expect(Array.from(d.latents)).toEqual(Array.from(p.latents))
  expect(d.detections).toEqual(p.detections.map(quantizeDetection))
  expect(d.primary.apid).toBe(framing.apid)
  expect(d.primary.sequenceCount).toBe(framing.sequenceCount)
  expect(d.bits.total).toBe(bytes.length * 8)
  expect(d.bits.header + d.bits.caption + d.bits.latents + d.bits.detections).toBe(d.bits.total)
  return { bytes, d }
}

function expectGscError(f: () => unknown, pattern: RegExp) {
  let err: unknown
  try {
    f()
  } catch (e) {
    err = e
  }
  expect(err, 'expected a GscError').toBeInstanceOf(GscError)
  expect((err as Error).message).toMatch(pattern)
  expect((err as Error).message).not.toContain('\n')
}

describe('GSC packet round trip', () => {
  it('frames a CCSDS telemetry packet with the right length and CRC', () => {
    const { bytes } = roundTrip(payload())
    const h = readPrimaryHeader(bytes)
    expect(h).toMatchObject({ version: 0, type: 0, secondaryHeaderFlag: 0, apid: 100, sequenceFlags: 3, sequenceCount: 5 })
    expect(h.dataLength).toBe(bytes.length - 7)
    const stored = new DataView(bytes.buffer).getUint32(bytes.length - 4)
    expect(stored).toBe(crc32(bytes, 0, bytes.length - 4))
  })

  it('round-trips C = 0..64 channels', () => {
    for (const C of [0, 1, 2, 3, 4, 8, 16, 33, 64]) roundTrip(payload({ width: 96, height: 80, channels: C, seed: C + 1 }))
  })

  it('round-trips sizes from 1x1 to 16384 wide/high', () => {
    for (const [w, h] of [[1, 1], [15, 17], [16, 16], [17, 1], [1000, 3], [16384, 16], [16, 16384], [2048, 2048]]) roundTrip(payload({ width: w, height: h, seed: w + h }))
  })

  it('round-trips extreme latent values and dense random latents', () => {
    const p = payload({ width: 64, height: 64, channels: 2 })
    const rnd = prng(9)
    p.latents[0] = 2147483647
    p.latents[1] = -2147483648
    p.latents[2] = -1
    p.latents[3] = 65536
    p.latents[17] = -123456789
    for (let i = 20; i < p.latents.length; i++) p.latents[i] = Math.floor((rnd() - 0.5) * 2 ** 32) | 0
    roundTrip(p)
  })

  it('round-trips all caption modes, unicode and empty captions', () => {
    roundTrip(payload({ mode: 'none' }))
    for (const mode of ['static', 'utf8'] as const) {
      for (const caption of ['', 'a', 'Ünïcödé façade — 火星の岩 🚀 rover; NUL\u0000 and \u{10FFFF}', 'x'.repeat(4096), 'A red barn stands beside a small pond under a blue sky.']) roundTrip(payload({ mode, caption }))
    }
  })

  it('round-trips detections and no detections', () => {
    roundTrip(payload({ detections: false }))
    const p = payload()
    p.detections = Array.from({ length: 255 }, (_, i) => ({ classId: i % 80, score: (i % 256) / 255, box: [0.1, 0.2, 0.5, 0.9] }))
    roundTrip(p)
  })

  it('quantizes detections to the wire grid and quant steps to 1/64', () => {
    expect(quantizeDetection({ classId: 3, score: 0.5, box: [0.1, 0.2, 0.3, 0.4] }).score).toBe(128 / 255)
    expect(wireQuantStep(0.3)).toBe(19 / 64)
    const p = payload()
    p.header.quantStep = 19 / 64
    roundTrip(p)
    p.header.quantStep = 1000.5
    roundTrip(p)
    // the codec's steps use the 7-bit short form: the header stays the same size for all of them
    const sizes = [1, 2, 12, 24, 48, 64, 96, 512].map((q) => {
      p.header.quantStep = q
      return roundTrip(p).d.bits.header
    })
    expect(new Set(sizes).size).toBe(1)
  })

  it('fits a Kodak-sized C=1 packet with a 40-word caption in about 196 octets', () => {
    // 768x512 -> 48x32 latents, ~88% zeros: header + caption + latents must stay compact
    const p = payload({ detections: false, caption: 'A red barn with a white trimmed door stands beside a small pond, green trees around it and a wooden fence in the foreground, reflections visible in the still water.' })
    p.latents = sparseLatents(48 * 32, prng(3), 0.9)
    const { bytes, d } = roundTrip(p)
    // framing 10 octets + GSC header (steps 8 and seed 1234 hints cost 28 bits)
    expect(d.bits.header).toBeLessThanOrEqual(8 * 22)
    expect(bytes.length).toBeLessThan(260)
  })

  it('header of the docs/bitstream.md example is 9 octets (19 octets of framing in all)', () => {
    const p = payload({ detections: false, mode: 'static' })
    Object.assign(p.header, { quantStep: 1, steps: 0, seed: 0 })
    const { d } = roundTrip(p)
    expect(d.bits.header).toBe(19 * 8)
  })

  it('latent shape is ceil(H/16) x ceil(W/16)', () => {
    expect(latentShape(768, 512)).toEqual({ h: 32, w: 48 })
    expect(latentShape(17, 1)).toEqual({ h: 1, w: 2 })
  })
})

describe('GSC packet caps and bad payloads', () => {
  const bad: [string, (p: GscPayload) => void, RegExp][] = [
    ['width 0', (p) => (p.header.width = 0), /width/],
    ['width > 16384', (p) => (p.header.width = 16385), /width/],
    ['height > 16384', (p) => (p.header.height = 20000), /height/],
    ['fractional width', (p) => (p.header.width = 10.5), /width/],
    ['C > 64', (p) => (p.header.channelIndices = Array.from({ length: 65 }, (_, i) => i)), /at most 64 channels/],
    ['channel index >= latentChannels', (p) => (p.header.channelIndices = [320]), /channel index/],
    ['duplicate channel', (p) => (p.header.channelIndices = [3, 3]), /twice/],
    ['quant step 0', (p) => (p.header.quantStep = 0), /quantStep/],
    ['quant step not on the grid', (p) => (p.header.quantStep = 0.3), /quantStep/],
    ['unknown format version', (p) => (p.header.formatVersion = 2), /format version/],
    ['unknown caption mode', (p) => ((p.header as { captionMode: string }).captionMode = 'zip'), /caption mode/],
    ['caption in mode none', (p) => ((p.header.captionMode = 'none'), (p.caption = 'x')), /none/],
    ['lone surrogate', (p) => (p.caption = 'bad \uD800 text'), /Unicode/],
    ['caption too long', (p) => (p.caption = 'é'.repeat(3000)), /octets/],
    ['wrong latent count', (p) => (p.latents = new Int32Array(5)), /latents have 5 values/],
    ['detections without flag', (p) => (p.header.hasDetections = false), /hasDetections/],
    ['class id 128', (p) => (p.detections[0].classId = 128), /classId/],
    ['score NaN', (p) => (p.detections[0].score = NaN), /score/],
    ['box > 1', (p) => (p.detections[0].box[2] = 1.5), /box/],
    ['steps too large', (p) => (p.header.steps = 1e6), /steps/],
    ['negative seed', (p) => (p.header.seed = -1), /seed/]
  ]
  for (const [name, mutate, pattern] of bad)
    it(`refuses ${name}`, () => {
      const p = payload()
      mutate(p)
      expectGscError(() => encodeGscPacket(p, framing), pattern)
    })

  it('refuses bad framing parameters and payloads larger than a packet', () => {
    expectGscError(() => encodeGscPacket(payload(), { apid: 2048, sequenceCount: 0 }), /APID/)
    expectGscError(() => encodeGscPacket(payload(), { apid: 1, sequenceCount: 16384 }), /sequence count/)
    const p = payload({ width: 1024, height: 1024, channels: 8 })
    const rnd = prng(5)
    for (let i = 0; i < p.latents.length; i++) p.latents[i] = Math.floor((rnd() - 0.5) * 2 ** 31)
    expectGscError(() => encodeGscPacket(p, framing), /more than the 65536/)
  })
})

describe('GSC packet decoder on bad input', () => {
  const good = encodeGscPacket(payload(), framing)
  const withCrc = (b: Uint8Array) => {
    new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4))
    return b
  }

  it('empty input', () => expectGscError(() => decodeGscPacket(new Uint8Array(0)), /empty/))
  it('truncated primary header', () => expectGscError(() => decodeGscPacket(good.slice(0, 4)), /truncated/))
  it('truncated packet', () => {
    for (const n of [6, 7, 12, good.length - 1]) expectGscError(() => decodeGscPacket(good.slice(0, n)), /truncated/)
  })
  it('trailing bytes (wrong length)', () => expectGscError(() => decodeGscPacket(new Uint8Array([...good, 0])), /wrong length/))
  it('length field edited', () => {
    const b = good.slice()
    b[5] -= 1
    expectGscError(() => decodeGscPacket(b), /wrong length/)
  })
  it('not version 0 / telecommand / segmented', () => {
    const a = good.slice()
    a[0] |= 0x20
    expectGscError(() => decodeGscPacket(a), /version/)
    const t = good.slice()
    t[0] |= 0x10
    expectGscError(() => decodeGscPacket(t), /telecommand/)
    const s = good.slice()
    s[2] &= 0x7f
    expectGscError(() => decodeGscPacket(s), /segmented/)
  })
  it('CRC mismatch on any single bit flip in the data field', () => {
    for (let bit = 48; bit < good.length * 8; bit += 7) {
      const b = good.slice()
      b[bit >> 3] ^= 1 << (bit & 7)
      expectGscError(() => decodeGscPacket(b), /CRC mismatch/)
    }
  })
  it('unknown format version with a valid CRC', () => {
    const b = good.slice()
    b[6] = 2
    expectGscError(() => decodeGscPacket(withCrc(b)), /unknown GSC format version 2/)
  })
  it('absurd header values with a valid CRC', () => {
    // width/height fields are 14 bits so cannot exceed 16384; a channel index beyond latentChannels can
    const p = payload()
    p.header.latentChannels = 5
    p.header.channelIndices = [4]
    const q = encodeGscPacket(p, framing)
    expect(decodeGscPacket(q).header.channelIndices).toEqual([4])
    // the 3-bit channel index follows version, 28 size bits, modelId '1', flag '0', 10 + 7 bits: make it 5
    const hb = q.slice()
    const bitPos = 6 * 8 + 8 + 28 + 1 + 1 + 10 + 7 + 2
    hb[bitPos >> 3] |= 0x80 >> (bitPos & 7)
    expectGscError(() => decodeGscPacket(withCrc(hb)), /channel index 5 >= latentChannels 5/)
  })
  it('absurd image size with a valid CRC is refused before allocating', () => {
    const b = encodeGscPacket(payload({ width: 16, height: 16, channels: 1, mode: 'none', detections: false }), framing).slice()
    // width-1 and height-1 (28 bits after the version octet) set to 16383: 16384x16384
    b[7] = 0xff
    b[8] = 0xff
    b[9] = 0xff
    b[10] |= 0xf0
    expectGscError(() => decodeGscPacket(withCrc(b)), /header claims 1x1024x1024 latents/)
  })

  it('garbage with a valid CRC never decodes silently wrong', () => {
    const rnd = prng(77)
    let errors = 0
    for (let i = 0; i < 300; i++) {
      const b = good.slice()
      for (let j = 7; j < b.length - 4; j++) if (rnd() < 0.3) b[j] = Math.floor(rnd() * 256)
      try {
        decodeGscPacket(withCrc(b))
      } catch (e) {
        expect(e).toBeInstanceOf(GscError)
        errors++
      }
    }
    expect(errors).toBeGreaterThan(0)
  })
})
