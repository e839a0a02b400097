// Cancelling a decode through the service (real codec models and worker thread). Kept apart from
// service.test.ts: its own service and packet log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { EngineService } from '../../src/core/service/engineService'
import type { JobInfo } from '../../src/shared/api'

let dir: string
let svc: EngineService

async function upload(bytes: Buffer, name: string): Promise<string> {
  const { uploadId } = await svc.call('uploadBegin', { name, size: bytes.length })
  await svc.call('uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') })
  return (await svc.call('uploadEnd', { uploadId })).fileRef
}

function waitJob(id: string, state: JobInfo['state']): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = svc.on('job', (j) => {
      if (j.id === id && j.state === state) (off(), resolve(j))
    })
    svc.call('listJobs', {}).then((js) => {
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
})
