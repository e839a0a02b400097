// Builds the e2e test capture: a few small images through the real encoder (`gsc encode-dir`),
// then one sequence count dropped (a gap) and one packet's data corrupted (CRC failure).
// When the codec's models are not available yet, falls back to A's encodeGscPacket with
// synthetic latents and says so (the result is recorded in capture.json).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { readCapture } from '../../src/core/bitstream/capture'
import { writePrimaryHeader } from '../../src/core/bitstream/ccsds'
import { sharedData } from '../fixtures/sharedData'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const DATA = sharedData()

export interface CaptureInfo {
  capture: string
  originals: string[]
  method: 'encode-dir' | 'encodeGscPacket'
  reason: string | null
  packets: number
  droppedSequence: number
  corruptedIndex: number
  /** A second, short capture on another APID for the live replay test. */
  live: string
  livePackets: number
  /** In the live capture: packets of a foreign APID (housekeeping) and idle packets, beside the images on APID 101. */
  foreignApid: number
  foreignPackets: number
  idlePackets: number
}

/** A housekeeping packet of another instrument (not GSC): secondary header flag set, a fixed data pattern. */
function foreignPacket(apid: number, seq: number, octets: number): Uint8Array {
  const p = new Uint8Array(octets)
  writePrimaryHeader(p, { version: 0, type: 0, secondaryHeaderFlag: 1, apid, sequenceFlags: 3, sequenceCount: seq, dataFieldOctets: octets - 6 })
  for (let i = 6; i < octets; i++) p[i] = (i * 37 + seq) & 0xff
  return p
}

async function sourceImages(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const coco = path.join(DATA, 'coco128', 'images', 'train2017')
  const kodak = path.join(DATA, 'kodak')
  let picks: string[] = []
  if (existsSync(coco)) picks = readdirSync(coco).filter((n) => /\.jpe?g$/i.test(n)).sort().slice(0, 5).map((n) => path.join(coco, n))
  else if (existsSync(kodak)) picks = readdirSync(kodak).filter((n) => n.endsWith('.png')).sort().slice(0, 5).map((n) => path.join(kodak, n))
  const out: string[] = []
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, `img${i}.png`)
    if (picks[i]) await sharp(picks[i]).resize(256, 192, { fit: 'cover' }).removeAlpha().png().toFile(file)
    else {
      // No public data here: a synthetic scene keeps the test running (said in capture.json).
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="192"><rect width="256" height="192" fill="#${(0x335577 + i * 0x112233).toString(16).slice(-6)}"/><circle cx="${60 + i * 30}" cy="96" r="40" fill="#ddc"/></svg>`
      await sharp(Buffer.from(svg)).png().toFile(file)
    }
    out.push(file)
  }
  return out
}

function synthetic(i: number, apid = 100): Uint8Array {
  const width = 256
  const height = 192
  const C = [1, 2, 4, 8, 16][i % 5]
  const lat = new Int32Array(C * Math.ceil(height / 16) * Math.ceil(width / 16))
  for (let k = 0; k < lat.length; k++) lat[k] = ((k * 7 + i * 13) % 9) - 4
  return encodeGscPacket(
    {
      header: {
        formatVersion: 1, width, height, modelId: 1, latentChannels: 320, channelIndices: Array.from({ length: C }, (_, k) => (k * 19 + i) % 320),
        quantStep: 1, steps: 8, seed: 1000 + i, captionMode: 'utf8', hasDetections: true
      },
      caption: `a test scene number ${i} with a person next to a car on a street`,
      latents: lat,
      detections: [
        { classId: 0, score: 0.9, box: [0.1, 0.2, 0.4, 0.9] },
        { classId: 2, score: 0.7, box: [0.5, 0.4, 0.95, 0.85] }
      ]
    },
    { apid, sequenceCount: i }
  )
}

export async function buildCapture(dir: string): Promise<CaptureInfo> {
  const imgDir = path.join(dir, 'images')
  const originals = await sourceImages(imgDir)
  const full = path.join(dir, 'full.bin')
  let method: CaptureInfo['method'] = 'encode-dir'
  let reason: string | null = null
  let packets: Uint8Array[] = []
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'gsc.mjs'), 'encode-dir', imgDir, '-o', full, '--apid', '100', '--send-detections', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 150_000
    })
    for await (const item of readCapture(full)) packets.push(item.bytes)
    if (packets.length !== originals.length) throw new Error(`encode-dir wrote ${packets.length} packets for ${originals.length} images`)
  } catch (e) {
    method = 'encodeGscPacket'
    const err = e as { stderr?: Buffer; message?: string }
    reason = (err.stderr?.toString().trim() || err.message || String(e)).split('\n').pop()!.slice(0, 300)
    packets = originals.map((_, i) => synthetic(i))
  }
  // Drop sequence count 2 (a gap of one) and corrupt the data field of the last packet.
  const dropped = 2
  const kept = packets.filter((_, i) => i !== dropped)
  const corruptedIndex = kept.length - 1
  const bad = Uint8Array.from(kept[corruptedIndex])
  bad[Math.floor(bad.length / 2)] ^= 0x5a
  kept[corruptedIndex] = bad
  const capture = path.join(dir, 'pass.bin')
  writeFileSync(capture, Buffer.concat(kept.map((p) => Buffer.from(p))))
  // Three packets made with encodeGscPacket on APID 101 (not duplicates of the first pass), with two housekeeping
  // packets of APID 291 and one idle packet between them; the live replay test only needs them to arrive, not to decode.
  const live = path.join(dir, 'live.bin')
  const idle = new Uint8Array(32)
  writePrimaryHeader(idle, { version: 0, type: 0, secondaryHeaderFlag: 0, apid: 2047, sequenceFlags: 3, sequenceCount: 0, dataFieldOctets: 26 })
  const liveParts = [synthetic(0, 101), foreignPacket(291, 0, 90), synthetic(1, 101), idle, foreignPacket(291, 1, 120), synthetic(2, 101)]
  writeFileSync(live, Buffer.concat(liveParts.map((p) => Buffer.from(p))))
  const info: CaptureInfo = {
    capture, originals, method, reason, packets: kept.length, droppedSequence: dropped, corruptedIndex, live, livePackets: liveParts.length,
    foreignApid: 291, foreignPackets: 2, idlePackets: 1
  }
  writeFileSync(path.join(dir, 'capture.json'), JSON.stringify(info, null, 2))
  return info
}

export function readCaptureInfo(dir: string): CaptureInfo {
  return JSON.parse(readFileSync(path.join(dir, 'capture.json'), 'utf8')) as CaptureInfo
}
