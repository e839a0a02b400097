// Set 30's synthesised texture through the engine's reconstruct (real encoder, codec models and worker thread): the
// result says how strong the packet's grain is and whether it was drawn, `texture: false` leaves it out, and the decode
// cache keeps the two pictures apart; for a set without grain the option changes nothing, not even the cache key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { encodeImage } from '../../src/core/codec/encoder'
import { texturedImage } from '../fixtures/imageFixtures'
import { defaultModelsDir, modelSetStatus } from '../../src/core/modelAssets/manifest'
import { modelsDirWithGrainSets } from '../fixtures/grainModelSets'
import { decodeKey } from '../../src/core/service/decodeCache'
import { EngineService } from '../../src/core/service/engineService'
import { textureOption } from '../../src/core/service/textureRequest'
import type { JobInfo } from '../../src/shared/api'

// set 30 failed its ship rule and is not installed: it is installed here in a scratch models folder
const scratch = mkdtempSync(path.join(os.tmpdir(), 'gsc-service-texture-models-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
const set30Dir = modelsDirWithGrainSets(defaultModelsDir(), scratch)
const usable = (id: number) => {
  try {
    const s = modelSetStatus(set30Dir ?? undefined).sets.find((x) => x.id === id)
    return Boolean(s && !s.problem)
  } catch {
    return false
  }
}
const haveSet30 = usable(30)
const haveSet3 = usable(3)
if (!haveSet30) console.warn('set-30 reconstruct tests skipped: model set 28, which set 30 is built on, is not installed in resources/models')

describe('texture in the decode keys', () => {
  it('a decode without the grain has its own key; with it (asked or by default) the plain one', () => {
    const plain = decodeKey({ kind: 'reconstruction', packetId: 1 }, null)
    expect(decodeKey({ kind: 'reconstruction', packetId: 1, texture: true }, null)).toBe(plain)
    expect(decodeKey({ kind: 'reconstruction', packetId: 1, texture: false }, null)).not.toBe(plain)
    const map = decodeKey({ kind: 'uncertainty', packetId: 1 }, null)
    expect(decodeKey({ kind: 'uncertainty', packetId: 1, texture: false }, null)).not.toBe(map)
  })

  it('`texture: false` is kept only for a set that draws grain', () => {
    expect(textureOption(false, { modelId: 30 })).toBe(false)
    expect([textureOption(false, { modelId: 28 }), textureOption(false, { modelId: 3 }), textureOption(false, null)]).toEqual([undefined, undefined, undefined])
    expect([textureOption(true, { modelId: 30 }), textureOption(undefined, { modelId: 30 })]).toEqual([undefined, undefined])
  })
})


let dir: string
let svc: EngineService

async function importPacket(bytes: Uint8Array, apid: number): Promise<number> {
  const { uploadId } = await svc.call('uploadBegin', { name: `apid${apid}.bin`, size: bytes.length })
  await svc.call('uploadChunk', { uploadId, offset: 0, data: Buffer.from(bytes).toString('base64') })
  const { jobId } = await svc.call('importCapture', { file: (await svc.call('uploadEnd', { uploadId })).fileRef })
  await new Promise<void>((resolve) => {
    const done = (j: JobInfo) => j.id === jobId && j.state === 'done'
    const off = svc.on('job', (j) => done(j) && (off(), resolve()))
    svc.call('listJobs', {}).then((js) => js.some(done) && (off(), resolve()))
  })
  return (await svc.call('listPackets', { apid })).packets[0].id
}

const decodeJobs = async () => (await svc.call('listJobs', {})).filter((j) => j.kind === 'decode').length

const previousModelsDir = process.env.GSC_MODELS_DIR

describe.skipIf(!haveSet30)('reconstruct with set 30 (installed in a scratch models folder)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-service-texture-'))
    // the engine's decode worker threads find their models through the environment
    process.env.GSC_MODELS_DIR = set30Dir!
    svc = await EngineService.open({ dbFile: path.join(dir, 'log.db'), frontDoor: 'serve', modelsDir: set30Dir! })
  })
  afterAll(async () => {
    await svc?.close()
    if (previousModelsDir === undefined) delete process.env.GSC_MODELS_DIR
    else process.env.GSC_MODELS_DIR = previousModelsDir
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('reports the grain, leaves it out on request, and serves each request its own picture', async () => {
    const enc = await encodeImage(texturedImage(), { modelSet: 30, channels: 16, apid: 30, modelsDir: set30Dir! })
    expect(enc.textureStrength).toBeGreaterThan(0) // else this test would check nothing
    const id = await importPacket(enc.packet, 30)
    const drawn = await svc.call('reconstruct', { id })
    expect(drawn.texture).toEqual({ strength: enc.textureStrength, drawn: true })
    const bare = await svc.call('reconstruct', { id, texture: false })
    expect(bare.texture).toEqual({ strength: enc.textureStrength, drawn: false })
    expect(bare.image).not.toBe(drawn.image)
    // Asked again in either order, each from the cache (no new decode job) and each its own.
    const jobs = await decodeJobs()
    expect((await svc.call('reconstruct', { id, texture: true })).image).toBe(drawn.image)
    expect((await svc.call('reconstruct', { id, texture: false })).image).toBe(bare.image)
    expect(await decodeJobs()).toBe(jobs)
  }, 120_000)

  it.skipIf(!haveSet3)('a packet of a set without grain: no texture in the result, and `texture: false` is the plain request', async () => {
    const pkt = encodeGscPacket(
      { header: { formatVersion: 1, width: 64, height: 48, modelId: 3, latentChannels: 320, channelIndices: [0, 3], quantStep: 1, steps: 4, seed: 1, captionMode: 'utf8', hasDetections: false }, caption: 'a rock', latents: new Int32Array(2 * 3 * 4).map((_, k) => (k % 5) - 2), detections: [] },
      { apid: 31, sequenceCount: 1 }
    )
    const id = await importPacket(pkt, 31)
    const plain = await svc.call('reconstruct', { id })
    expect(plain.texture).toBeUndefined()
    const jobs = await decodeJobs()
    const off = await svc.call('reconstruct', { id, texture: false })
    expect([off.image, off.texture, await decodeJobs()]).toEqual([plain.image, undefined, jobs])
  }, 120_000)
})
