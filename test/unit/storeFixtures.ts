// Real GSC packets and captures for the store tests and benchmark (not a test file itself).
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { crc32 } from '../../src/core/bitstream/crc32'
import { encodeGscPacket, type GscPayload } from '../../src/core/bitstream/gscPacket'

const WORDS = 'rover rock crater dust ridge sand boulder slope horizon shadow wheel track layer outcrop pebble plain dune cliff'.split(' ')

/** A deterministic GSC packet (~145 octets; ~205 with channels 3, words 10): 256x256 image, C=2 by default, a short caption; `salt` makes content distinct. */
export function gscPacket(apid: number, sequenceCount: number, salt = 0, opts: { channels?: number; words?: number } = {}): Uint8Array {
  let x = (salt * 2654435761 + 12345) >>> 0 || 1
  const rnd = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    return x
  }
  const C = opts.channels ?? 2
  const lh = 16, lw = 16
  const latents = new Int32Array(C * lh * lw)
  for (let i = 0; i < latents.length; i++) latents[i] = (rnd() % 5) - 2 === 2 ? (rnd() % 7) - 3 : 0
  const caption = Array.from({ length: opts.words ?? 6 }, () => WORDS[rnd() % WORDS.length]).join(' ') + ` ${salt}`
  const payload: GscPayload = {
    header: {
      formatVersion: 1, width: 256, height: 256, modelId: 1, latentChannels: 320,
      channelIndices: Array.from({ length: C }, (_, i) => (i * 19 + salt) % 320).sort((a, b) => a - b),
      quantStep: 1, steps: 8, seed: salt & 0xffff, captionMode: 'utf8', hasDetections: false
    },
    caption,
    latents,
    detections: []
  }
  return encodeGscPacket(payload, { apid, sequenceCount })
}

export function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)))
}

export function writeCapture(path: string, parts: Uint8Array[]): Buffer {
  const b = concat(parts)
  writeFileSync(path, b)
  return b
}

/**
 * Re-frames a real packet with another APID/sequence count and a fresh CRC-32 (cheap: no
 * entropy coding), so large captures of distinct, valid packets can be generated quickly.
 */
export function reframe(p: Uint8Array, apid: number, sequenceCount: number): Uint8Array {
  const out = p.slice()
  out[0] = (out[0] & 0xf8) | (apid >> 8)
  out[1] = apid & 0xff
  out[2] = 0xc0 | (sequenceCount >> 8)
  out[3] = sequenceCount & 0xff
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, 0, out.length - 4), false)
  return out
}

/** Packet k of a synthetic pass: distinct bytes for every k (up to 2047 APIDs), seq counts continuous per APID. */
export class SyntheticPass {
  private readonly pool: Uint8Array[]
  constructor(poolSize = 500) {
    this.pool = Array.from({ length: poolSize }, (_, i) => gscPacket(1, 0, i, { channels: 3, words: 10 }))
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
    this.perApid = (poolSize * 16384) / gcd(poolSize, 16384)
  }
  /** (pool index, sequence count) pairs repeat after lcm(pool size, 16384) packets: then the APID changes. */
  private readonly perApid: number
  packet(k: number): Uint8Array {
    return reframe(this.pool[k % this.pool.length], 1 + Math.floor(k / this.perApid), k & 0x3fff)
  }
}

/** Streams a synthetic capture of at least `bytes` octets (or `count` packets) to path. */
export function writeSyntheticCapture(path: string, limit: { bytes?: number; count?: number }, pass = new SyntheticPass()): { packets: number; bytes: number } {
  const fd = openSync(path, 'w')
  const buf = Buffer.allocUnsafe(1 << 20)
  let used = 0
  let bytes = 0
  let k = 0
  try {
    while ((limit.bytes === undefined || bytes < limit.bytes) && (limit.count === undefined || k < limit.count)) {
      const p = pass.packet(k++)
      if (used + p.length > buf.length) {
        writeSync(fd, buf, 0, used)
        used = 0
      }
      buf.set(p, used)
      used += p.length
      bytes += p.length
    }
    writeSync(fd, buf, 0, used)
  } finally {
    closeSync(fd)
  }
  return { packets: k, bytes }
}
