// gsc worker --threads: the thread budget reaches the codec's onnxruntime sessions (one per core when not given), bad
// values are refused in one line, and a `gsc worker --threads 1` process stores the same image as a worker at the
// default threads. A private PostgreSQL cluster (loopback only), stopped at the end; tiny 256x256 packets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import * as ort from 'onnxruntime-node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { decodeParams } from '../../src/core/jobs/decodeJob'
import { startDecodeWorker } from '../../src/core/jobs/decodeWorker'
import { queueArchiveDecodes } from '../../src/core/jobs/queueArchive'
import { closeModels, openModel, setModelThreads } from '../../src/core/modelAssets/manifest'
import { openArchive } from '../../src/core/store/archive'
import { gscPacket } from '../fixtures/storeFixtures'
import { startPostgresCluster, type PostgresCluster } from '../support/postgresCluster'

let cluster: PostgresCluster | undefined
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  cluster?.stop()
})

describe('codec session threads', () => {
  afterEach(async () => {
    setModelThreads(undefined)
    vi.restoreAllMocks()
    await closeModels()
  })

  it('openModel passes a set thread count (no spinning) to the session, and one per core otherwise', async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create')
    const embed = async (s: ort.InferenceSession) => {
      const out = await s.run({ tokens: new ort.Tensor('int64', BigInt64Array.from([5n, 9n, 2n]), [1, 3]), mask: new ort.Tensor('float32', Float32Array.from([1, 1, 1]), [1, 3]) })
      return Array.from(out[s.outputNames[0]].data as Float32Array)
    }
    const byDefault = await openModel('caption_encoder')
    const defaultOptions = create.mock.calls[0][1] as ort.InferenceSession.SessionOptions
    expect(defaultOptions).toMatchObject({ intraOpNumThreads: availableParallelism(), extra: { session: { intra_op: { allow_spinning: '0' } } } })

    setModelThreads(1)
    const oneThread = await openModel('caption_encoder')
    expect(oneThread, 'a new session, not the cached default one').not.toBe(byDefault)
    expect(create).toHaveBeenCalledTimes(2)
    expect(create.mock.calls[1][1]).toMatchObject({
      executionProviders: ['cpu'], intraOpNumThreads: 1, executionMode: 'sequential', extra: { session: { intra_op: { allow_spinning: '0' } } }
    })
    expect(await embed(oneThread)).toEqual(await embed(byDefault))
  }, 60_000)
})

describe('gsc worker --threads', () => {
  it.each(['0', 'two', '1.5', '999'])('refuses --threads %s in one line', (bad) => {
    const r = spawnSync(process.execPath, ['bin/gsc.mjs', 'worker', '--db', 'postgres://gsc@127.0.0.1:9/none', '--threads', bad], { encoding: 'utf8', timeout: 60_000 })
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^gsc: --threads must be /)
  }, 60_000)

  it('a worker started with --threads 1 stores the same image as one at the default threads', async () => {
    cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
    const packet = gscPacket(100, 0, 4242)
    const decoded = async (db: string, start: (url: string) => Promise<() => Promise<void>>) => {
      const url = await cluster!.createDatabase(db)
      const a = await openArchive(url)
      const id = (await a.ingest(packet)).id!
      await a.close()
      const stop = await start(url)
      try {
        expect((await queueArchiveDecodes(url, {})).counts).toMatchObject({ completed: 1, failed: 0 })
      } finally {
        await stop()
      }
      const b = await openArchive(url)
      const d = await b.getDecode(id, decodeParams({ kind: 'reconstruction', packetId: id }))
      await b.close()
      return d!
    }
    const inProcess = await decoded('threads_default', async (url) => {
      const w = await startDecodeWorker(url, { pollSeconds: 0.5 })
      return () => w.stop()
    })
    let stderr = ''
    const child = await decoded('threads_one', async (url) => {
      const c = spawn(process.execPath, ['bin/gsc.mjs', 'worker', '--db', url, '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] })
      children.push(c)
      await new Promise<void>((resolve, reject) => {
        c.stderr!.on('data', (b: Buffer) => {
          stderr += b.toString()
          if (/^worker .* provider/m.test(stderr)) resolve()
        })
        c.once('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)))
      })
      return async () => {
        c.kill('SIGTERM')
        await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))
      }
    })
    expect(stderr).toMatch(/1 codec thread\b/)
    expect(child.result).toMatchObject({ kind: 'reconstruction', attempt: 1 })
    expect(Buffer.from(child.imagePng!).equals(Buffer.from(inProcess.imagePng!)), 'the same PNG bytes').toBe(true)
  }, 240_000)
})
