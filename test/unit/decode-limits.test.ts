// Issue 19 group 4: a tiny valid packet cannot exhaust the decoder. The header's image size and flow steps are
// bounded by the station's limits (docs/bitstream.md 4.1): a packet over them is refused in one line before
// anything its size depends on is allocated, at every front door (decoder, gsc decode, gsc inspect, the engine
// service); the station's settings lower the limits; a packet under them still decodes; a large image decodes on
// sessions of its own, released after it, with the same numbers as the cached sessions.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeGscPacket, encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { inspectPacket } from '../../src/core/bitstream/inspect'
import { DEFAULT_DECODE_LIMITS, checkPixelLimit, decodeLimits } from '../../src/core/bitstream/limits'
import { ARENA_KEEP_PIXELS, loadFlowModels, sizedForImage } from '../../src/core/codec/codecModels'
import { decodePacket } from '../../src/core/codec/decoder'
import { CODEC_MODEL_IDS } from '../../src/core/codec/modelIds'
import { EngineService } from '../../src/core/service/engineService'
import type { JobInfo } from '../../src/shared/api'

const ROOT = path.resolve(__dirname, '../..')
const modelsDir = process.env.GSC_MODELS_DIR ?? path.join(ROOT, 'resources/models')
const haveSet1 = (() => {
  try {
    const m = JSON.parse(readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8'))
    return CODEC_MODEL_IDS.every((id) => m.models?.[id])
  } catch {
    return false
  }
})()
if (!haveSet1) console.warn(`decode-limit tests that decode skipped: model set 1 missing from ${modelsDir}`)

/** The smallest packet of model set 1 announcing a width x height image: no channels, no caption. */
function tiny(width: number, height: number, steps = 0, seq = 0): Uint8Array {
  return encodeGscPacket(
    {
      header: { formatVersion: 1, width, height, modelId: 1, latentChannels: 320, channelIndices: [], quantStep: 1, steps, seed: 0, captionMode: 'none', hasDetections: false },
      caption: '',
      latents: new Int32Array(0),
      detections: []
    },
    { apid: 5, sequenceCount: seq }
  )
}

/** A small real packet of set 1 (64 x 48, 2 channels, a caption). */
function small(steps: number, seq = 0): Uint8Array {
  const lat = new Int32Array(2 * 3 * 4)
  for (let i = 0; i < lat.length; i++) lat[i] = (i % 5) - 2
  return encodeGscPacket(
    {
      header: { formatVersion: 1, width: 64, height: 48, modelId: 1, latentChannels: 320, channelIndices: [0, 7], quantStep: 1, steps, seed: 3, captionMode: 'utf8', hasDetections: false },
      caption: 'rocks near the horizon',
      latents: lat,
      detections: []
    },
    { apid: 5, sequenceCount: seq }
  )
}

const LINE_4096 =
  "packet announces a 4096x4096 image (16,777,216 pixels), over this station's decode limit of 4,194,304 pixels (--max-pixels; docs/bitstream.md 4.1); not decoded"
const mib = () => process.memoryUsage().rss / 2 ** 20

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gsc-limits-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function gsc(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/gsc.mjs'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000, env: { ...process.env, GSC_MODELS_DIR: modelsDir } })
}

describe('the header is bounded by the station limits (no models needed)', () => {
  it('the packets of the issue: 18 octets announce 4096x4096 or 16384x16384, 21 octets ask for 4,096 flow steps', () => {
    expect(tiny(4096, 4096).length).toBe(18)
    expect(tiny(16384, 16384).length).toBe(18)
    expect(tiny(64, 64, 4096).length).toBe(21)
    // each is a valid packet by the wire format (its caps are 16384 x 16384 and 4096 steps)
    expect(decodeGscPacket(tiny(16384, 16384)).header).toMatchObject({ width: 16384, height: 16384 })
    expect(decodeGscPacket(tiny(64, 64, 4096)).header.steps).toBe(4096)
  })

  it('defaults 2048 x 2048 pixels and 64 flow steps; a limit outside the wire caps is refused', () => {
    expect(DEFAULT_DECODE_LIMITS).toEqual({ maxPixels: 4_194_304, maxFlowSteps: 64 })
    expect(decodeLimits({ maxPixels: 1000 })).toEqual({ maxPixels: 1000, maxFlowSteps: 64 })
    expect(() => decodeLimits({ maxPixels: 0 })).toThrow(/pixel limit must be an integer in 1\.\.268435456/)
    expect(() => decodeLimits({ maxPixels: 16384 * 16384 + 1 })).toThrow(/pixel limit/)
    expect(() => decodeLimits({ maxFlowSteps: 4097 })).toThrow(/flow-step limit must be an integer in 0\.\.4096/)
  })

  it('counts the pixels the decoder makes: whole 16 x 16 blocks', () => {
    expect(() => checkPixelLimit({ width: 2048, height: 2048 }, 4_194_304)).not.toThrow()
    expect(() => checkPixelLimit({ width: 2047, height: 2049 }, 4_194_304)).toThrow(
      "packet announces a 2047x2049 image (4,227,072 pixels in whole 16x16 blocks), over this station's decode limit of 4,194,304 pixels"
    )
  })

  it('the decoder refuses 4096x4096 and 16384x16384 at once, in one line, before allocating anything', async () => {
    for (const [w, line] of [
      [4096, LINE_4096],
      [16384, "packet announces a 16384x16384 image (268,435,456 pixels), over this station's decode limit of 4,194,304 pixels"]
    ] as const) {
      const before = mib()
      const t0 = performance.now()
      const e = await decodePacket(tiny(w, w), { modelsDir }).catch((x: unknown) => x as Error & { code?: string })
      expect(performance.now() - t0).toBeLessThan(1000)
      expect(mib() - before).toBeLessThan(32)
      expect(e).toMatchObject({ name: 'GscError', code: 'ELIMIT' })
      expect((e as Error).message).toContain(line)
      expect((e as Error).message).not.toContain('\n')
    }
  })

  it('a packet of blank channels over the limit is refused before its latents are decoded (64 of them: 2.2 s and 256 MiB)', () => {
    const C = 8
    const lat = new Int32Array(C * 1024 * 1024)
    lat[lat.length - 1] = 1 // a non-zero last value keeps the range-coded stream in the packet
    const p = encodeGscPacket(
      {
        header: { formatVersion: 1, width: 16384, height: 16384, modelId: 1, latentChannels: 320, channelIndices: Array.from({ length: C }, (_, i) => i), quantStep: 1, steps: 0, seed: 0, captionMode: 'none', hasDetections: false },
        caption: '',
        latents: lat,
        detections: []
      },
      { apid: 5, sequenceCount: 0 }
    )
    expect(p.length).toBeLessThan(2000)
    const t0 = performance.now()
    expect(() => decodeGscPacket(p, { maxPixels: DEFAULT_DECODE_LIMITS.maxPixels })).toThrow(/16384x16384 image .* over this station's decode limit/)
    expect(performance.now() - t0).toBeLessThan(100)
    const ins = inspectPacket(p)
    expect(ins.ok).toBe(false)
    expect(ins.error).toMatch(/over this station's decode limit/)
    expect(ins.header).toMatchObject({ width: 16384, height: 16384 })
  })

  it('inspect shows the header of a packet over the limit; the capture reader (import) keeps it as a valid packet', () => {
    const p = tiny(4096, 4096)
    const full = inspectPacket(p)
    expect(full).toMatchObject({ ok: false, crcOk: true, header: { width: 4096, height: 4096 } })
    expect(full.error).toBe(LINE_4096)
    expect(inspectPacket(p, { decode: false }).ok).toBe(true)
    expect(inspectPacket(p, { maxPixels: 4096 * 4096 }).ok).toBe(true) // a station with a higher limit
  })

  it('gsc decode and gsc inspect print the one line and exit 1', () => {
    const file = path.join(tmp, 'big.gsc')
    writeFileSync(file, tiny(4096, 4096))
    const d = gsc(['decode', file, '-o', path.join(tmp, 'big.png')])
    expect(d.status).toBe(1)
    expect(d.stderr.trim()).toBe(`gsc: ${LINE_4096}`)
    const i = gsc(['inspect', file, '--json'])
    expect(i.status).toBe(1)
    expect(JSON.parse(i.stdout).packets[0]).toMatchObject({ ok: false, error: LINE_4096, header: { width: 4096 } })
    const u = gsc(['decode', file, '-o', path.join(tmp, 'big.png'), '--max-pixels', '0'])
    expect(u.status).toBe(2)
    expect(u.stderr).toMatch(/--max-pixels must be at least 1/)
  })
})

describe.runIf(haveSet1)('flow steps and the station limits with model set 1', () => {
  it('a packet asking for 4,096 flow steps is refused over the limit, without running the flow', async () => {
    const t0 = performance.now()
    await expect(decodePacket(tiny(64, 64, 4096), { modelsDir })).rejects.toMatchObject({
      code: 'ELIMIT',
      message: "packet asks for 4,096 flow steps, over this station's limit of 64 flow steps (--max-flow-steps; docs/bitstream.md 4.1); not decoded"
    })
    expect(performance.now() - t0).toBeLessThan(15_000) // opening the models; 4,096 steps took minutes
    // the operator's own counts are bounded alike, and named
    await expect(decodePacket(small(4), { modelsDir, steps: 65 })).rejects.toThrow(/^--steps 65 is over this station's limit of 64 flow steps/)
    await expect(decodePacket(small(4), { modelsDir, defaultFlowSteps: 65 })).rejects.toThrow(/^the decode-steps setting \(65\) is over this station's limit of 64/)
    await expect(decodePacket(small(0), { modelsDir, limits: { maxFlowSteps: 2 } })).rejects.toThrow(/^the model's recommended 4 flow steps are over this station's limit of 2/)
  })

  it("the station's limits lower the defaults; a packet under them still decodes", async () => {
    await expect(decodePacket(small(8), { modelsDir, limits: { maxFlowSteps: 4 } })).rejects.toThrow(/^packet asks for 8 flow steps, over this station's limit of 4 flow steps/)
    await expect(decodePacket(small(2), { modelsDir, limits: { maxPixels: 64 * 48 - 1 } })).rejects.toThrow(/^packet announces a 64x48 image \(3,072 pixels\), over this station's decode limit of 3,071 pixels/)
    const r = await decodePacket(small(2), { modelsDir, limits: { maxPixels: 64 * 48, maxFlowSteps: 2 } })
    expect([r.image.width, r.image.height, r.steps]).toEqual([64, 48, 2])
    expect(r.image.data.length).toBe(64 * 48 * 3)
  })

  it('gsc decode --max-pixels / --max-flow-steps lower the limits', () => {
    const file = path.join(tmp, 'small.gsc')
    writeFileSync(file, small(4))
    const px = gsc(['decode', file, '-o', path.join(tmp, 'small.png'), '--max-pixels', '1000'])
    expect(px.status).toBe(1)
    expect(px.stderr.trim()).toMatch(/^gsc: packet announces a 64x48 image \(3,072 pixels\), over this station's decode limit of 1,000 pixels/)
    const st = gsc(['decode', file, '-o', path.join(tmp, 'small.png'), '--max-flow-steps', '2'])
    expect(st.status).toBe(1)
    expect(st.stderr.trim()).toBe("gsc: packet asks for 4 flow steps, over this station's limit of 2 flow steps (--max-flow-steps; docs/bitstream.md 4.1); not decoded")
  })

  it('a large image runs on sessions of its own with the same numbers; the cached sessions serve small ones', async () => {
    const models = await loadFlowModels({ dir: modelsDir })
    expect((await sizedForImage(models, ARENA_KEEP_PIXELS)).models).toBe(models)
    const own = await sizedForImage(models, ARENA_KEEP_PIXELS + 1)
    expect(own.models).not.toBe(models)
    const lat = new Float32Array(320 * 2 * 3).map((_, i) => Math.sin(i) * 2)
    const a = await models.synthesis(lat, 2, 3)
    const b = await own.models.synthesis(lat, 2, 3)
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true)
    await own.release()
    await own.release() // harmless
    expect(Buffer.from((await models.synthesis(lat, 2, 3)).buffer).equals(Buffer.from(a.buffer))).toBe(true) // the cached ones stay open
  })
})

describe.runIf(haveSet1)('the engine service keeps oversized packets and refuses to decode them', () => {
  let dir: string
  let svc: EngineService
  const waitJob = (id: string) =>
    new Promise<JobInfo>((resolve) => {
      const off = svc.on('job', (j) => {
        if (j.id === id && j.state !== 'running') (off(), resolve(j))
      })
    })

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-limits-svc-'))
    // the front door's limits (gsc serve --max-pixels 1000000): settings may only lower them
    svc = await EngineService.open({ dbFile: path.join(dir, 'log.db'), frontDoor: 'serve', modelsDir, limits: { decode: { maxPixels: 1_000_000 } } })
    const bytes = Buffer.concat([tiny(4096, 4096, 0, 0), tiny(16384, 16384, 0, 1), tiny(64, 64, 4096, 2), small(4, 3)].map((p) => Buffer.from(p)))
    const { uploadId } = await svc.call('uploadBegin', { name: 'big.bin', size: bytes.length })
    await svc.call('uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') })
    const { fileRef } = await svc.call('uploadEnd', { uploadId })
    const { jobId } = await svc.call('importCapture', { file: fileRef })
    expect((await waitJob(jobId)).state).toBe('done')
  }, 60_000)
  afterAll(async () => {
    await svc.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('every packet is kept as a valid packet; its detail shows the header', async () => {
    const page = await svc.call('listPackets', { sort: 'id' })
    expect(page.packets.map((p) => [p.sequenceCount, p.status])).toEqual([
      [0, 'ok'],
      [1, 'ok'],
      [2, 'ok'],
      [3, 'ok']
    ])
    const d = await svc.call('getPacket', { id: page.packets[1].id })
    expect(d.header).toMatchObject({ width: 16384, height: 16384 })
  })

  it('reconstruct refuses each oversized packet in one line, quickly, without growing memory; the settings lower the limits', async () => {
    const ids = (await svc.call('listPackets', { sort: 'id' })).packets.map((p) => p.id)
    expect((await svc.call('getSettings', {})).decodeLimits).toEqual({ maxPixels: 1_000_000, maxFlowSteps: 64 })
    const before = mib()
    const t0 = performance.now()
    await expect(svc.call('reconstruct', { id: ids[0] })).rejects.toMatchObject({ code: 'ELIMIT', message: expect.stringMatching(/^packet announces a 4096x4096 image \(16,777,216 pixels\), over this station's decode limit of 1,000,000 pixels/) })
    await expect(svc.call('reconstruct', { id: ids[1] })).rejects.toThrow(/^packet announces a 16384x16384 image/)
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(mib() - before).toBeLessThan(32)
    await expect(svc.call('reconstruct', { id: ids[2] })).rejects.toMatchObject({ code: 'ELIMIT', message: expect.stringMatching(/^packet asks for 4,096 flow steps, over this station's limit of 64/) })
    // a setting can lower the limits, never raise them above the front door's
    await expect(svc.call('setSettings', { maxPixels: 2_000_000 })).rejects.toThrow(/maxPixels 2000000 is above this station's limit of 1000000 pixels/)
    await expect(svc.call('setSettings', { maxFlowSteps: 65 })).rejects.toThrow(/maxFlowSteps 65 is above this station's limit of 64 flow steps/)
    expect((await svc.call('setSettings', { maxPixels: 3000, maxFlowSteps: 2 })).decodeLimits).toEqual({ maxPixels: 3000, maxFlowSteps: 2 })
    await expect(svc.call('reconstruct', { id: ids[3] })).rejects.toThrow(/^packet announces a 64x48 image \(3,072 pixels\), over this station's decode limit of 3,000 pixels/)
    await svc.call('setSettings', { maxPixels: null })
    await expect(svc.call('reconstruct', { id: ids[3] })).rejects.toThrow(/^packet asks for 4 flow steps, over this station's limit of 2 flow steps/)
    const s = await svc.call('setSettings', { maxFlowSteps: null })
    expect(s).toMatchObject({ maxPixels: null, maxFlowSteps: null, decodeLimits: { maxPixels: 1_000_000, maxFlowSteps: 64 } })
    // under the limits it decodes
    const rec = await svc.call('reconstruct', { id: ids[3] })
    expect([rec.width, rec.height, rec.steps]).toEqual([64, 48, 4])
  }, 120_000)
})
