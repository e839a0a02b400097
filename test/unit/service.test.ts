// The engine service behind both front doors, on a real packet log (SQLite in a temp dir).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { inspectPacket } from '../../src/core/bitstream/inspect'
import { encodeImage } from '../../src/core/codec/encoder'
import { texturedImage } from '../fixtures/imageFixtures'
import { EngineService } from '../../src/core/service/engineService'
import type { BaselineFit, JobInfo } from '../../src/shared/api'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

/** A real photo for the baseline panel (public Kodak set beside the checkout; the test says when it is missing). */
const KODAK = sharedData('kodak', 'kodim23.png')
const haveKodak = haveSharedData('baseline-panel test', KODAK)

function packet(seq: number, C: number, apid = 42): Uint8Array {
  const width = 128
  const height = 96
  const lat = new Int32Array(C * Math.ceil(height / 16) * Math.ceil(width / 16))
  for (let k = 0; k < lat.length; k++) lat[k] = ((k * 5 + seq) % 7) - 3
  return encodeGscPacket(
    {
      header: { formatVersion: 1, width, height, modelId: 1, latentChannels: 320, channelIndices: Array.from({ length: C }, (_, k) => k * 3), quantStep: 1, steps: 4, seed: seq, captionMode: 'utf8', hasDetections: true },
      caption: `rover image ${seq} showing rocks near the horizon`,
      latents: lat,
      detections: [{ classId: 0, score: 0.8, box: [0.1, 0.1, 0.5, 0.9] }]
    },
    { apid, sequenceCount: seq }
  )
}

function capture(): Buffer {
  const ps = [packet(0, 1), packet(1, 2), packet(3, 4), packet(4, 8)]
  const bad = Uint8Array.from(ps[3])
  bad[bad.length - 10] ^= 0xff
  ps[3] = bad
  return Buffer.concat(ps.map((p) => Buffer.from(p)))
}

let dir: string
let svc: EngineService

async function upload(bytes: Buffer, name = 'pass.bin'): Promise<string> {
  const { uploadId } = await svc.call('uploadBegin', { name, size: bytes.length })
  const half = Math.floor(bytes.length / 2)
  await svc.call('uploadChunk', { uploadId, offset: 0, data: bytes.subarray(0, half).toString('base64') })
  await svc.call('uploadChunk', { uploadId, offset: half, data: bytes.subarray(half).toString('base64') })
  return (await svc.call('uploadEnd', { uploadId })).fileRef
}

function waitJob(id: string, state: JobInfo['state'] | ((j: JobInfo) => boolean)): Promise<JobInfo> {
  return new Promise((resolve) => {
    const ok = (j: JobInfo) => j.id === id && (typeof state === 'function' ? state(j) : j.state === state)
    const now = svc.call('listJobs', {}).then((js) => js.find(ok))
    const off = svc.on('job', (j) => {
      if (ok(j)) (off(), resolve(j))
    })
    now.then((j) => j && (off(), resolve(j)))
  })
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-service-test-'))
  svc = await EngineService.open({ dbFile: path.join(dir, 'log.db'), frontDoor: 'serve' })
})
afterAll(async () => {
  await svc.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('engine service', () => {
  it('imports an uploaded capture with progress, pushes the packets live and finds the gap and the CRC failure', async () => {
    const added: number[] = []
    const off = svc.on('packets', (e) => added.push(...e.added.map((p) => p.id)))
    const file = await upload(capture())
    const { jobId } = await svc.call('importCapture', { file })
    const done = await waitJob(jobId, (j) => j.state !== 'running')
    off()
    expect(done.state).toBe('done')
    expect(added).toHaveLength(4)
    const t = await svc.call('timeline', {})
    expect(t.packets.map((p) => [p.sequenceCount, p.status, p.c])).toEqual([
      [0, 'ok', 1],
      [1, 'ok', 2],
      [3, 'ok', 4],
      [4, 'crc_failed', 8]
    ])
    expect(t.gaps).toEqual([expect.objectContaining({ apid: 42, fromSeq: 1, toSeq: 3, missing: 1 })])
  })

  it('pushes every packet of a large import to live views exactly once', async () => {
    const many = Buffer.concat(Array.from({ length: 1300 }, (_, i) => Buffer.from(packet(i, 1, 77))))
    const ids: number[] = []
    const off = svc.on('packets', (e) => ids.push(...e.added.map((p) => p.id)))
    const { jobId } = await svc.call('importCapture', { file: await upload(many, 'many.bin') })
    expect((await waitJob(jobId, (j) => j.state !== 'running')).state).toBe('done')
    off()
    expect(ids).toHaveLength(1300)
    expect(new Set(ids).size).toBe(1300)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    expect((await svc.call('listPackets', { apid: 77 })).total).toBe(1300)
  })

  it('lists, filters and sorts packets', async () => {
    expect((await svc.call('listPackets', { status: 'crc_failed' })).total).toBe(1)
    expect((await svc.call('listPackets', { c: 2 })).packets.map((p) => p.sequenceCount)).toEqual([1])
    expect((await svc.call('listPackets', { sort: 'bits', order: 'desc' })).packets[0].c).toBe(8)
    expect((await svc.call('listPackets', { apid: 7 })).total).toBe(0)
    expect((await svc.call('listPackets', { apid: 42 })).total).toBe(4)
  })

  it('shows packet details; a failed packet is inspectable but not decodable', async () => {
    const ok = await svc.call('getPacket', { id: 1 })
    expect(ok.caption).toBe('rover image 0 showing rocks near the horizon')
    expect(ok.transmitted).toEqual([expect.objectContaining({ className: 'person' })])
    expect(ok.bitsBreakdown?.total).toBe(ok.bits)
    const bad = await svc.call('getPacket', { id: 4 })
    expect(bad.status).toBe('crc_failed')
    expect(bad.error).toMatch(/CRC/)
    await expect(svc.call('reconstruct', { id: 4 })).rejects.toThrow(/failed its checks/)
    await expect(svc.call('getPacket', { id: 99999 })).rejects.toThrow('no packet 99999 in the log')
    expect(ok.colour).toBeNull() // set 1's packet carries no colour thumbnail
  })

  it("shows the colour planes a set-28 packet carries, as the sender chose them", async () => {
    const enc = await encodeImage(texturedImage(), { modelSet: 28, channels: 8, apid: 28, lumaRule: 'fixed' })
    const { jobId } = await svc.call('importCapture', { file: await upload(Buffer.from(enc.packet), 'set28.bin') })
    expect((await waitJob(jobId, (j) => j.state !== 'running')).state).toBe('done')
    const id = (await svc.call('listPackets', { apid: 28 })).packets[0].id
    const d = await svc.call('getPacket', { id })
    expect(d.colour).toEqual(inspectPacket(enc.packet).colour)
    expect(d.colour).toMatchObject({ lumaFactor: 4 }) // C = 8: the luma plane at 1/4 scale
    expect(d.colour!.chromaStep).toBeLessThan(d.colour!.lumaStep) // the chroma quantised finer (FINE_LUMA_RULE)
  }, 60_000)

  it.skipIf(!haveKodak)("fits any of the six baseline codecs to a packet's bytes by the bench's rule, cached per packet and codec", async () => {
    const id = 3 // C = 4
    const target = (await svc.call('getPacket', { id })).octets
    const data = readFileSync(KODAK).toString('base64')
    const first = await svc.call('attachOriginal', { id, name: 'kodim23.png', data, codec: 'jpeg2000' })
    expect(first.original).toMatch(/^data:image\/png;base64,/)
    const fits: BaselineFit[] = [first.baseline!]
    for (const codec of ['webp', 'jxl'] as const) fits.push((await svc.call('compare', { id, codec })).baseline!)
    expect(fits.map((f) => [f.codec, f.name])).toEqual([['jpeg2000', 'JPEG 2000'], ['webp', 'WebP'], ['jxl', 'JPEG XL']])
    // WebP and JPEG XL get down to this 138-octet packet (a 128x96 picture).
    expect(fits.map((f) => f.reached)).toEqual([expect.any(Boolean), true, true])
    for (const f of fits) {
      expect(f).toMatchObject({ targetBytes: target, error: null })
      if (f.reached) {
        // At or below the packet's octets, as the bench fits it, and a real picture of the scene.
        expect(f.bytes).toBeLessThanOrEqual(target)
        expect(f.bytes).toBeGreaterThan(target / 2)
        expect(f.bits).toBe(f.bytes! * 8)
        expect(f.setting!.name).toBe({ jpeg2000: 'compression ratio', webp: 'quality', jxl: 'distance' }[f.codec as string])
        expect(f.image).toMatch(/^data:image\/png;base64,/)
        expect(f.metrics!.psnr).toBeGreaterThan(14)
        expect(f.summary).toContain(`${f.name} at ${f.bytes} of ${target} octets: ${f.setting!.name}`)
      } else {
        // Too small for this codec: the panel says so and gets no larger file to show.
        expect(f).toMatchObject({ image: null, setting: null, metrics: null, scale: null })
        expect(f.bytes).toBeGreaterThan(target)
        expect(f.summary).toContain(`${f.name} cannot fit in ${target} octets`)
      }
    }
    // Choosing a codec again is answered from the cache (same fit, first fit's time), without a new search.
    const t0 = performance.now()
    const again = await svc.call('compare', { id, codec: 'webp' })
    expect(performance.now() - t0).toBeLessThan(fits[1].fitMs)
    expect(again.baseline).toEqual(fits[1])
    // Another original for the same packet is fitted afresh, never answered with the old picture's fit.
    const other = readFileSync(KODAK.replace('kodim23', 'kodim05')).toString('base64')
    const refit = (await svc.call('attachOriginal', { id, name: 'kodim05.png', data: other, codec: 'webp' })).baseline!
    expect(refit.image).not.toBe(fits[1].image)
    // A codec that cannot get down to a small packet says so and shows no larger file.
    const small = (await svc.call('getPacket', { id: 1 })).octets
    await svc.call('attachOriginal', { id: 1, name: 'kodim23.png', data })
    const hevc = (await svc.call('compare', { id: 1, codec: 'hevc' })).baseline!
    expect(hevc).toMatchObject({ codec: 'hevc', targetBytes: small, reached: false, image: null, setting: null, metrics: null, error: null })
    expect(hevc.bytes).toBeGreaterThan(small)
    expect(hevc.summary).toBe(`HEVC/HEIF cannot fit in ${small} octets: its smallest file of this image is ${hevc.bytes} octets (lowest setting at the smallest scale), so no HEVC/HEIF image is shown`)
    // Without an original there is nothing to fit.
    expect((await svc.call('compare', { id: 2, codec: 'avif' })).baseline).toBeNull()
  }, 120_000)

  it('plans from the log estimate; a larger alpha buys more channels', async () => {
    const at = async (alpha: number) => (await svc.call('plan', { alpha, beta: 1e-4, images: 6 })).result.images.map((i) => i.chosenC!)
    const low = await at(0.01)
    const high = await at(50)
    expect(Math.max(...low)).toBeLessThan(Math.min(...high))
    const p = await svc.call('plan', { alpha: 1, beta: 1e-4, images: 6, linkBps: 100, passS: 30 })
    expect(p.calibration.kind).toBe('log-estimate')
    expect(p.result.totals.bitsAvailable).toBe(3000)
    expect(p.result.totals.linkBitsUsed).toBeLessThanOrEqual(3000)
  })

  it('loads a bench calibration table and rejects junk', async () => {
    const calibration = {
      formatVersion: 1,
      groups: [{ scene: 'kodak', perC: [1, 4, 16].map((c) => ({ c, meanBits: 1000 * c, meanDisagreement: 0.6 / c, images: 1 })) }],
      images: [{ id: 'kodak/a', scene: 'kodak', candidates: [1, 4, 16].map((c) => ({ c, bits: 1000 * c, disagreement: 0.6 / c })) }]
    }
    const t = await svc.call('loadCalibration', { name: 'results.json', json: JSON.stringify({ calibration }) })
    expect(t.kind).toBe('bench')
    expect(t.curve.map((p) => p.c)).toEqual([1, 4, 16])
    const p = await svc.call('plan', { alpha: 100, beta: 1e-6, images: 3 })
    expect(p.result.images.map((i) => i.chosenC)).toEqual([16, 16, 16])
    await expect(svc.call('loadCalibration', { name: 'x.json', json: '{"hello":1}' })).rejects.toThrow(/not a calibration table/)
    await expect(svc.call('loadCalibration', { name: 'x.json', json: 'nope' })).rejects.toThrow(/not JSON/)
    await svc.call('clearCalibration', {})
    expect((await svc.call('plan', { alpha: 1, beta: 1e-4, images: 2 })).calibration.kind).toBe('log-estimate')
  })

  it('replays at a pace with pause, resume, speed change and cancel', async () => {
    const file = await upload(capture(), 'again.bin')
    const { jobId } = await svc.call('replayStart', { file, speed: 0.5 })
    const paused = await svc.call('replayControl', { jobId, action: 'pause' })
    expect(paused.paused).toBe(true)
    await new Promise((r) => setTimeout(r, 300))
    const before = (await svc.call('listJobs', {})).find((j) => j.id === jobId)!
    expect(before.state).toBe('running')
    await svc.call('replayControl', { jobId, action: 'speed', speed: 200 })
    await svc.call('replayControl', { jobId, action: 'resume' })
    const done = await waitJob(jobId, (j) => j.state !== 'running')
    expect(done.state).toBe('done')
    expect(done.done).toBe(done.total)
    // A second, slow replay is cancelled by the operator.
    const slow = await svc.call('replayStart', { file, speed: 0.1 })
    const c = await svc.call('cancelJob', { jobId: slow.jobId })
    expect(c.id).toBe(slow.jobId)
    expect((await waitJob(slow.jobId, (j) => j.state !== 'running')).state).toBe('cancelled')
    await expect(svc.call('replayControl', { jobId: 'nope', action: 'pause' })).rejects.toThrow(/no job/)
  })

  it('keeps settings and the event log across restarts', async () => {
    expect((await svc.call('getSettings', {})).decodeSteps).toBeNull() // default: the packet's hint / the model's count
    await svc.call('setSettings', { decodeSteps: 12, captionerUrl: 'http://127.0.0.1:9/v1' })
    await svc.call('logEvent', { severity: 'distress', source: 'test', message: 'antenna slipped' })
    await expect(svc.call('attachOriginal', { id: 1, name: 'x.png', data: Buffer.from('not an image').toString('base64') })).rejects.toThrow(/not an image/)
    await svc.close()
    svc = await EngineService.open({ dbFile: path.join(dir, 'log.db'), frontDoor: 'serve' })
    expect((await svc.call('getSettings', {})).decodeSteps).toBe(12)
    expect((await svc.call('setSettings', { decodeSteps: null })).decodeSteps).toBeNull()
    const ev = await svc.call('listEvents', { minSeverity: 'warning' })
    expect(ev.find((e) => e.message === 'antenna slipped')).toMatchObject({ severity: 'distress', source: 'client:test' }) // labelled as client-written
    expect(ev.some((e) => /CRC failure/.test(e.message))).toBe(true)
    expect(ev.every((e) => ['warning', 'distress', 'critical'].includes(e.severity))).toBe(true)
  })
})
