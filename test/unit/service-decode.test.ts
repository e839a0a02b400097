// Cancelling a decode through the service, and the engine's decode cache keeping each request's own result (real
// codec models and worker thread). Kept apart from service.test.ts: its own service and packet log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { DecodeCache, decodeKey, type CachedDecode } from '../../src/core/service/decodeCache'
import { EngineService } from '../../src/core/service/engineService'
import type { JobInfo, Reconstruction } from '../../src/shared/api'

let dir: string
let svc: EngineService

async function upload(bytes: Buffer, name: string, on = svc): Promise<string> {
  const { uploadId } = await on.call('uploadBegin', { name, size: bytes.length })
  await on.call('uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') })
  return (await on.call('uploadEnd', { uploadId })).fileRef
}

function waitJob(id: string, state: JobInfo['state'], on = svc): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = on.on('job', (j) => {
      if (j.id === id && j.state === state) (off(), resolve(j))
    })
    on.call('listJobs', {}).then((js) => {
      const j = js.find((x) => x.id === id && x.state === state)
      if (j) (off(), resolve(j))
    })
  })
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-service-decode-'))
  svc = await EngineService.open({ dbFile: path.join(dir, 'log.db'), frontDoor: 'serve' })
})
afterAll(async () => {
  await svc.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('decoding through the service', () => {
  const manifest = (() => {
    try {
      return JSON.parse(readFileSync(path.resolve(__dirname, '../../resources/models/manifest.json'), 'utf8'))
    } catch {
      return undefined
    }
  })()
  const haveModels = Boolean(manifest?.models?.g_s && manifest?.models?.generator)
  const modelId: number = manifest?.models?.generator?.modelId ?? 0
  if (!haveModels) console.log('skipping the decode cancel test: codec models (g_s, generator) are not in resources/models')
  it.skipIf(!haveModels)('a decode can be cancelled by the operator', async () => {
    // A packet for the shipped models (their model id) on a fresh log.
    const lat = new Int32Array(2 * 6 * 8)
    const pkt = encodeGscPacket(
      { header: { formatVersion: 1, width: 128, height: 96, modelId, latentChannels: 320, channelIndices: [0, 3], quantStep: 1, steps: 4, seed: 1, captionMode: 'utf8', hasDetections: false }, caption: 'a rock', latents: lat, detections: [] },
      { apid: 9, sequenceCount: 100 }
    )
    const { jobId: imp } = await svc.call('importCapture', { file: await upload(Buffer.from(pkt), 'one.bin') })
    await waitJob(imp, 'done')
    const id = (await svc.call('listPackets', { apid: 9 })).packets[0].id
    const started = new Promise<JobInfo>((resolve) => {
      const off = svc.on('job', (j) => {
        if (j.kind === 'decode' && j.state === 'running' && j.detail !== null) (off(), resolve(j))
      })
    })
    const p = svc.call('reconstruct', { id, steps: 64, uncertainty: true })
    const job = await started
    await svc.call('cancelJob', { jobId: job.id })
    await expect(p).rejects.toThrow(/cancel/)
    expect((await svc.call('listJobs', {})).find((j) => j.id === job.id)?.state).toBe('cancelled')
  })

  it.skipIf(!haveModels)('each request gets the result of its own options: a seeded or uncertainty decode is not the plain one, nor the reverse', async () => {
    // Set 3 draws its noise from the seed at every decode; set 1 decodes at temperature 0 alone (the seed changes
    // nothing) but at temperature 1 for an uncertainty map, so its image is not the plain one.
    const packetOf = (set: number, apid: number) => encodeGscPacket(
      { header: { formatVersion: 1, width: 64, height: 48, modelId: set, latentChannels: 320, channelIndices: [0, 3], quantStep: 1, steps: 4, seed: 1, captionMode: 'utf8', hasDetections: false }, caption: 'a rock', latents: new Int32Array(2 * 3 * 4).map((_, k) => (k % 5) - 2), detections: [] },
      { apid, sequenceCount: 7 }
    )
    const importOn = async (on: EngineService, set: number, apid: number) => {
      await waitJob((await on.call('importCapture', { file: await upload(Buffer.from(packetOf(set, apid)), `set${set}.bin`, on) })).jobId, 'done', on)
      return (await on.call('listPackets', { apid })).packets[0].id
    }
    const otherDir = mkdtempSync(path.join(os.tmpdir(), 'gsc-service-decode-b-'))
    const other = await EngineService.open({ dbFile: path.join(otherDir, 'log.db'), frontDoor: 'serve' })
    try {
      // Seeded first, then plain, on this engine; plain first, then seeded, on a fresh one.
      const [id, otherId] = [await importOn(svc, 3, 11), await importOn(other, 3, 11)]
      const seeded = await svc.call('reconstruct', { id, seed: 3 })
      const plain = await svc.call('reconstruct', { id })
      const freshPlain = await other.call('reconstruct', { id: otherId })
      expect(seeded.image).not.toBe(freshPlain.image) // the seed changes the pixels, so a mix-up shows
      expect(plain.image).toBe(freshPlain.image)
      expect((await other.call('reconstruct', { id: otherId, seed: 3 })).image).toBe(seeded.image)
      expect((await other.call('reconstruct', { id: otherId })).image).toBe(freshPlain.image)
      expect((await svc.call('reconstruct', { id, seed: 3 })).image).toBe(seeded.image)

      // An uncertainty map first, then plain, on this engine; plain first, then the map, on the fresh one.
      const [mapId, otherMapId] = [await importOn(svc, 1, 12), await importOn(other, 1, 12)]
      const withMap = await svc.call('reconstruct', { id: mapId, uncertainty: true })
      const plainAfterMap = await svc.call('reconstruct', { id: mapId })
      const freshPlainOne = await other.call('reconstruct', { id: otherMapId })
      expect(withMap.uncertainty).toMatch(/^data:image\/png;base64,/)
      expect(withMap.image).not.toBe(freshPlainOne.image)
      expect([plainAfterMap.image, plainAfterMap.uncertainty, plainAfterMap.notes]).toEqual([freshPlainOne.image, null, freshPlainOne.notes])
      const otherMap = await other.call('reconstruct', { id: otherMapId, uncertainty: true })
      expect([otherMap.image, otherMap.uncertainty]).toEqual([withMap.image, withMap.uncertainty])
    } finally {
      await other.close()
      rmSync(otherDir, { recursive: true, force: true })
    }
  }, 120_000)

  it.skipIf(!haveModels)("the planner's log estimate anchors on the plain reconstruction's agreement, not on a seeded sample the view showed last", async () => {
    // A fresh log with one packet that says it sent detections (none): a decode's agreement is then defined (F1 = 1
    // where the station finds nothing either), while without a measured agreement the estimate takes its prior.
    const planDir = mkdtempSync(path.join(os.tmpdir(), 'gsc-service-plan-'))
    const own = await EngineService.open({ dbFile: path.join(planDir, 'log.db'), frontDoor: 'serve' })
    try {
      const pkt = encodeGscPacket(
        { header: { formatVersion: 1, width: 64, height: 48, modelId: 3, latentChannels: 320, channelIndices: [0, 3], quantStep: 1, steps: 4, seed: 1, captionMode: 'utf8', hasDetections: true }, caption: 'a rock', latents: new Int32Array(2 * 3 * 4).map((_, k) => (k % 5) - 2), detections: [] },
        { apid: 13, sequenceCount: 9 }
      )
      await waitJob((await own.call('importCapture', { file: await upload(Buffer.from(pkt), 'plan.bin', own) })).jobId, 'done', own)
      const id = (await own.call('listPackets', { apid: 13 })).packets[0].id
      const anchorAtTwo = async () => {
        const p = await own.call('plan', { alpha: 1, beta: 1e-4, images: 1 })
        expect(p.calibration.kind).toBe('log-estimate')
        return p.calibration.images[0].candidates.find((x) => x.c === 2)!.disagreement
      }
      const prior = 0.5 / Math.sqrt(2)
      expect(await anchorAtTwo()).toBeCloseTo(prior, 9)
      expect((await own.call('reconstruct', { id, seed: 5 })).agreement?.f1).toBe(1)
      expect(await anchorAtTwo()).toBeCloseTo(prior, 9) // the seeded sample is not the packet's reconstruction
      expect((await own.call('reconstruct', { id })).agreement?.f1).toBe(1)
      expect(await anchorAtTwo()).toBe(0)
      await own.call('reconstruct', { id, seed: 5 }) // shown again last: the plain one still anchors
      expect(await anchorAtTwo()).toBe(0)
    } finally {
      await own.close()
      rmSync(planDir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('the engine decode cache', () => {
  const decode = (packetId: number, megabytes: number): CachedDecode => ({
    rec: { packetId, image: '', uncertainty: null } as unknown as Reconstruction,
    image: { width: 1, height: 1, data: new Uint8Array(megabytes * 1024 * 1024) }
  })
  const plain = (packetId: number) => decodeKey({ kind: 'reconstruction', packetId }, null)

  it('keys by every option that changes the pixels, the station decode-steps setting only where the request leaves steps open', () => {
    const keys = [
      plain(1), plain(2), decodeKey({ kind: 'reconstruction', packetId: 1, seed: 3 }, null), decodeKey({ kind: 'reconstruction', packetId: 1, steps: 8 }, null),
      decodeKey({ kind: 'uncertainty', packetId: 1 }, null), decodeKey({ kind: 'reconstruction', packetId: 1 }, 2)
    ]
    expect(new Set(keys).size).toBe(keys.length)
    expect(decodeKey({ kind: 'reconstruction', packetId: 1, steps: 8 }, 2)).toBe(decodeKey({ kind: 'reconstruction', packetId: 1, steps: 8 }, null))
  })

  it('holds at most 64 MiB, dropping the least recently used; a packet reads as its most recently used decode', () => {
    const cache = new DecodeCache()
    const seeded = decodeKey({ kind: 'reconstruction', packetId: 1, seed: 3 }, null)
    cache.keep(plain(1), decode(1, 30))
    cache.keep(seeded, decode(1, 30))
    expect(cache.get(1)).toBe(cache.find(seeded))
    expect(cache.find(plain(1))).toBeDefined() // used now, so the seeded one is the least recently used
    expect(cache.get(1)).toBe(cache.find(plain(1)))
    cache.keep(plain(2), decode(2, 30))
    expect([cache.find(plain(1)), cache.find(seeded), cache.find(plain(2))].map(Boolean)).toEqual([true, false, true])
    cache.keep(plain(3), decode(3, 65))
    expect(cache.find(plain(3))).toBeUndefined()
  })
})
