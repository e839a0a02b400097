// End-to-end codec tests of model set 1 (the DCT codec and its rectified flow) with the real shipped ONNX models
// (resources/models, or $GSC_MODELS_DIR) and real Kodak pixels (small odd-sized crops, so the suite stays fast on
// 2 cores). Packets are encoded with set 1 explicitly (the manifest's default set may be another); the decoder
// opens the set each packet names. Set 3 and the choice between sets: model-sets.test.ts.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { loadCodecModels, loadFlowModels } from '../../src/core/codec/codecModels'
import { decodePacket, heldChannels } from '../../src/core/codec/decoder'
import { CODEC_MODEL_IDS } from '../../src/core/codec/modelIds'
import { encodeImage } from '../../src/core/codec/encoder'
import { CancelledError } from '../../src/core/codec/cancellation'
import { roundHalfAway } from '../../src/core/codec/quantize'
import { createCodecRunner } from '../../src/core/codec/worker/runner'
import { GscError } from '../../src/core/util/errors'
import { cropImage, readImage, type RgbImage } from '../../src/core/image/rgbImage'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const ROOT = path.resolve(__dirname, '../..')
const KODAK = sharedData('kodak')
const modelsDir = process.env.GSC_MODELS_DIR ?? path.join(ROOT, 'resources/models')
const haveModels = (() => {
  try {
    const m = JSON.parse(readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8'))
    return [...CODEC_MODEL_IDS, 'detector'].every((id) => m.models?.[id])
  } catch {
    return false
  }
})()
const haveKodak = haveSharedData('codec tests', path.join(KODAK, 'kodim23.png'))
if (!haveModels) console.warn(`codec tests skipped: codec models missing from ${modelsDir} (run the training export)`)

const tmp = mkdtempSync(path.join(tmpdir(), 'gsc-codec-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function gsc(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/gsc.mjs'), ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, GSC_MODELS_DIR: modelsDir } })
}

describe.runIf(haveModels && haveKodak)('GSC codec on real images and models', () => {
  let crop: RgbImage // odd size: exercises padding to 16 and cropping back
  let packet: Uint8Array
  const opts = { modelsDir }
  const set1 = { modelsDir, modelSet: 1 }

  beforeAll(async () => {
    const full = await readImage(path.join(KODAK, 'kodim23.png'))
    crop = cropImage(full, 203, 141, 301, 187)
    const r = await encodeImage(crop, { ...set1, channels: 4, seed: 7 })
    packet = r.packet
  })

  it('encodes to one packet whose header and bits describe the image', async () => {
    const r = await encodeImage(crop, { ...set1, channels: 4, seed: 7 })
    expect(Buffer.from(r.packet).equals(Buffer.from(packet))).toBe(true) // encoding is deterministic
    const d = decodeGscPacket(r.packet)
    expect([d.header.width, d.header.height]).toEqual([203, 141])
    expect([r.modelSet, d.header.modelId]).toEqual([1, 1])
    expect(d.header.channelIndices).toEqual(r.channelIndices)
    expect(r.channelIndices).toHaveLength(4)
    expect(d.header.quantStep).toBe(r.quantStep)
    expect(d.header.seed).toBe(7)
    expect(d.caption).toBe(r.caption)
    expect(r.caption.split(/\s+/).length).toBeGreaterThanOrEqual(5) // built-in caption
    expect(r.bits.total).toBe(8 * r.packet.length)
    expect(r.bits.header + r.bits.caption + r.bits.latents + r.bits.detections).toBe(r.bits.total)
    expect(r.bits.bpp).toBeCloseTo(r.bits.total / (203 * 141), 12)
    // the step rule: the finest step that meets the target, or the coarsest
    const fitting = r.stepsTried.filter((s) => s.bits <= r.targetBits).map((s) => s.step)
    if (r.fitsTarget) expect(r.quantStep).toBe(Math.min(...fitting))
    else expect(r.quantStep).toBe(128)
  })

  it('decodes to an image of the original (odd) size; same packet + seed gives identical pixels', async () => {
    const a = await decodePacket(packet, opts)
    const b = await decodePacket(packet, opts)
    expect([a.image.width, a.image.height, a.image.data.length]).toEqual([203, 141, 203 * 141 * 3])
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true)
    expect(a.seeds).toEqual([7])
    expect([a.modelSet, a.modelKind]).toEqual([1, 'dct-flow'])
    // with noise in play (temperature > 0) the seed matters, and the same seed still repeats exactly
    const warm = await decodePacket(packet, { ...opts, temperature: 1 })
    const warmAgain = await decodePacket(packet, { ...opts, temperature: 1 })
    expect(Buffer.from(warm.image.data).equals(Buffer.from(warmAgain.image.data))).toBe(true)
    const other = await decodePacket(packet, { ...opts, seed: 8, temperature: 1 })
    expect(Buffer.from(other.image.data).equals(Buffer.from(warm.image.data))).toBe(false)
  })

  it('steps 0 gives the prior\'s estimate alone: the same for every seed and temperature, unlike the flow', async () => {
    const p0 = await decodePacket(packet, { ...opts, steps: 0 })
    const p1 = await decodePacket(packet, { ...opts, steps: 0, seed: 99, temperature: 1.5 })
    expect(p0.steps).toBe(0)
    expect(Buffer.from(p0.image.data).equals(Buffer.from(p1.image.data))).toBe(true)
    const flow = await decodePacket(packet, { ...opts, steps: 4, temperature: 1 })
    expect(Buffer.from(flow.image.data).equals(Buffer.from(p0.image.data))).toBe(false)
    await expect(decodePacket(packet, { ...opts, steps: -1 })).rejects.toThrow(/--steps must be 0..4096/)
  })

  it('decodes a latent that quantises back to exactly the transmitted channels', async () => {
    const d = decodeGscPacket(packet)
    const r = await decodePacket(packet, { ...opts, returnLatent: true, steps: 3 })
    const n = Math.ceil(141 / 16) * Math.ceil(203 / 16)
    d.header.channelIndices.forEach((c, k) => {
      // (+ 0 turns a -0 from rounding a small negative into 0)
      for (let i = 0; i < n; i++) expect(roundHalfAway(r.latent![c * n + i] / d.header.quantStep) + 0).toBe(d.latents[k * n + i] + 0)
    })
    // and the other channels were generated (not left at zero)
    const free = Array.from({ length: 320 }, (_, c) => c).find((c) => !d.header.channelIndices.includes(c))!
    expect(r.latent!.subarray(free * n, free * n + n).some((v) => v !== 0)).toBe(true)
  })

  it('held low frequencies end exactly on the prior\'s estimate while the flow moves the finer ones', async () => {
    const d = decodeGscPacket(packet)
    const models = await loadFlowModels({ dir: modelsDir })
    const n = Math.ceil(141 / 16) * Math.ceil(203 / 16)
    const prior = await decodePacket(packet, { ...opts, returnLatent: true, steps: 0 })
    const held = await decodePacket(packet, { ...opts, returnLatent: true, steps: 4, temperature: 1, holdBelowFrequency: 2 })
    const free = await decodePacket(packet, { ...opts, returnLatent: true, steps: 4, temperature: 1, holdBelowFrequency: 0 })
    expect(held.holdBelowFrequency).toBe(2)
    const low = heldChannels([], models.layout, 2)
    expect(low.map((c) => models.layout[c])).toEqual([0, 1, 2].flatMap((plane) => [{ plane, u: 0, v: 0 }, { plane, u: 0, v: 1 }, { plane, u: 1, v: 0 }]))
    const same = (a: Float32Array, b: Float32Array, c: number) => a.subarray(c * n, c * n + n).every((v, i) => v === b[c * n + i])
    for (const c of low) {
      expect(same(held.latent!, prior.latent!, c)).toBe(true)
      if (!d.header.channelIndices.includes(c)) expect(same(free.latent!, prior.latent!, c)).toBe(false) // without the hold the flow moves it
    }
    const fine = Array.from({ length: 320 }, (_, c) => c).find((c) => !low.includes(c) && !d.header.channelIndices.includes(c))!
    expect(same(held.latent!, prior.latent!, fine)).toBe(false)
    await expect(decodePacket(packet, { ...opts, holdBelowFrequency: 32 })).rejects.toThrow(/--hold-below must be 0..31/)
  })

  it('K samples give K different images and a same-size uncertainty map', async () => {
    const r = await decodePacket(packet, { ...opts, samples: 2, steps: 4 })
    expect(r.temperature).toBe(1) // samples are drawn from the trained distribution unless told otherwise
    expect(r.samples).toHaveLength(2)
    expect(r.seeds).toEqual([7, 8])
    expect([r.uncertainty!.width, r.uncertainty!.height]).toEqual([203, 141])
    expect(Buffer.from(r.samples![0].data).equals(Buffer.from(r.samples![1].data))).toBe(false)
    expect(r.uncertaintyStats!.meanStd).toBeGreaterThan(0)
  })

  it('rejects corrupted and truncated packets with a GscError and no image', async () => {
    const flipped = Uint8Array.from(packet)
    flipped[20] ^= 0x10
    await expect(decodePacket(flipped, opts)).rejects.toThrow(/CRC/)
    await expect(decodePacket(packet.subarray(0, packet.length - 5), opts)).rejects.toBeInstanceOf(GscError)
    await expect(decodePacket(new Uint8Array(0), opts)).rejects.toBeInstanceOf(GscError)
  })

  it('refuses images over the header caps before any model runs', async () => {
    const big = { width: 16385, height: 1, data: new Uint8Array(16385 * 3) }
    await expect(encodeImage(big, set1)).rejects.toThrow(/at most 16384x16384/)
    await expect(encodeImage(crop, { ...set1, channels: 65 })).rejects.toThrow(/channels/)
  })

  it('sends the sender detections when asked and accounts their bits separately', async () => {
    const r = await encodeImage(crop, { ...set1, channels: 1, sendDetections: true })
    const d = decodeGscPacket(r.packet)
    expect(d.header.hasDetections).toBe(r.transmittedDetections.length > 0)
    expect(d.detections.length).toBe(r.transmittedDetections.length)
    if (r.transmittedDetections.length) expect(r.bits.detections).toBeGreaterThan(0)
    else expect(r.bits.detections).toBe(0)
  })

  it('auto mode scores every C and keeps the minimum of alpha*(1-F1)+beta*bits', async () => {
    const r = await encodeImage(crop, { ...set1, channels: 'auto', alpha: 1, beta: 1e-4, steps: 3 })
    expect(r.candidates!.map((c) => c.channels)).toEqual([1, 2, 4, 8, 16])
    for (const c of r.candidates!) expect(c.score).toBeCloseTo(1 * (1 - c.f1) + 1e-4 * c.bits.total, 12)
    const best = Math.min(...r.candidates!.map((c) => c.score))
    expect(r.candidates!.find((c) => c.channels === r.channels)!.score).toBe(best)
    // beta large: bits dominate, so the smallest packet wins
    const cheap = await encodeImage(crop, { ...set1, channels: 'auto', alpha: 0, beta: 1, steps: 2 })
    expect(cheap.bits.total).toBe(Math.min(...cheap.candidates!.map((c) => c.bits.total)))
  })

  it('decodes through the worker runner identically, and cancels a decode promptly', async () => {
    const runner = createCodecRunner()
    try {
      const direct = await decodePacket(packet, opts)
      const progress: string[] = []
      const viaWorker = await runner.decode(packet, opts, { onProgress: (p) => progress.push(p.stage) })
      expect(Buffer.from(viaWorker.image.data).equals(Buffer.from(direct.image.data))).toBe(true)
      expect(progress).toContain('generate')
      const ctl = new AbortController()
      const slow = runner.decode(packet, { ...opts, steps: 4000, limits: { maxFlowSteps: 4000 } }, { signal: ctl.signal, onProgress: () => ctl.abort() })
      const t0 = Date.now()
      await expect(slow).rejects.toBeInstanceOf(CancelledError)
      expect(Date.now() - t0).toBeLessThan(3000)
      // the runner still works after a cancellation
      const again = await runner.decode(packet, opts)
      expect(Buffer.from(again.image.data).equals(Buffer.from(direct.image.data))).toBe(true)
    } finally {
      await runner.close()
    }
  })

  it('CLI: encode-dir -> capture -> log import -> decode from the DB equals decoding the file', async () => {
    const full = await readImage(path.join(KODAK, 'kodim23.png'))
    const { writePng } = await import('../../src/core/image/rgbImage')
    const dir = path.join(tmp, 'imgs')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(dir, { recursive: true })
    await writePng(crop, path.join(dir, 'a.png'))
    await writePng(cropImage(full, 97, 65, 10, 10), path.join(dir, 'b.png'))
    const capture = path.join(tmp, 'cap.bin')
    const enc = gsc(['encode-dir', dir, '-o', capture, '--channels', '2', '--apid', '42', '--model-set', '1', '--json'])
    expect(enc.status, enc.stderr).toBe(0)
    const summary = JSON.parse(enc.stdout)
    expect(summary.packets).toBe(2)
    expect(summary.perImage.map((p: { sequenceCount: number }) => p.sequenceCount)).toEqual([0, 1])

    // a corrupted packet between the two good ones is reported and skipped
    const bytes = readFileSync(capture)
    const firstLen = ((bytes[4] << 8) | bytes[5]) + 7
    const bad = Buffer.from(bytes.subarray(0, firstLen))
    bad[firstLen - 1] ^= 0xff
    writeFileSync(path.join(tmp, 'cap2.bin'), Buffer.concat([bytes.subarray(0, firstLen), bad, bytes.subarray(firstLen)]))
    const out = path.join(tmp, 'out')
    const dec = gsc(['decode', path.join(tmp, 'cap2.bin'), '-o', out, '--steps', '3', '--json'])
    expect(dec.status, dec.stderr).toBe(0)
    const dres = JSON.parse(dec.stdout)
    expect(dres.decoded).toHaveLength(2)
    expect(dres.rejected).toHaveLength(1)
    expect(dres.rejected[0].error).toMatch(/CRC/)
    expect(readdirSync(out).sort()).toEqual(['apid0042-seq00000.png', 'apid0042-seq00001.png'])
    expect(dres.decoded[0].holdBelowFrequency).toBe((await loadFlowModels({ dir: modelsDir })).recommendedHoldBelow) // the model's default, reported
    const badHold = gsc(['decode', path.join(tmp, 'cap2.bin'), '-o', out, '--hold-below', '40'])
    expect(badHold.status).not.toBe(0)
    expect(badHold.stderr.trim().split('\n')).toHaveLength(1)
    expect(badHold.stderr).toMatch(/^gsc: .*hold-below/)

    // a bad single packet: error line, non-zero exit, no image written
    writeFileSync(path.join(tmp, 'bad.bin'), bad)
    const one = gsc(['decode', path.join(tmp, 'bad.bin'), '-o', path.join(tmp, 'bad.png')])
    expect(one.status).not.toBe(0)
    expect(one.stderr).toMatch(/^gsc: CRC mismatch/)
    expect(existsSync(path.join(tmp, 'bad.png'))).toBe(false)

    // through the packet log (SQLite): same bytes, same image
    const { openPacketLog } = await import('../../src/core/store/packetLog')
    const log = openPacketLog(path.join(tmp, 'log.db'))
    try {
      await log.importCapture(capture)
      const rows = log.list({ orderBy: 'sequenceCount' })
      expect(rows).toHaveLength(2)
      const rec = log.get(rows[0].id)!
      const fromDb = await decodePacket(rec.raw, { ...opts, steps: 3 })
      const fromFile = await readImage(path.join(out, 'apid0042-seq00000.png'))
      expect(Buffer.from(fromDb.image.data).equals(Buffer.from(fromFile.data))).toBe(true)
    } finally {
      log.close()
    }
  })

  it('models load once per execution provider and cuda fails clearly when unavailable', async () => {
    const a = await loadCodecModels({ dir: modelsDir })
    expect(await loadCodecModels({ dir: modelsDir })).toBe(a)
    expect(a.latentChannels).toBe(320)
    const cuda = loadCodecModels({ dir: modelsDir, executionProvider: 'cuda' })
    await cuda.then(
      (m) => expect(m.executionProvider).toBe('cuda'), // a CUDA build: fine
      (e) => expect(e).toBeInstanceOf(GscError)
    )
  })
})
