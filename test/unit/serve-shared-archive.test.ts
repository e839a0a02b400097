// Two `gsc serve` instances on one shared PostgreSQL archive (issue 18): a capture imported through one is pushed
// live to the other's clients within 1 s, both ways; both list the same packets and the same event log. The log
// commands take the same URL, and an unreachable server is an error naming it, never a private file instead.
// Runs a private PostgreSQL cluster (loopback only) and the serve processes, all stopped at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stationDir } from '../../src/core/service/archiveLocation'
import { EngineService } from '../../src/core/service/engineService'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { gscPacket, writeCapture } from '../fixtures/storeFixtures'
import { startPostgresCluster, type PostgresCluster } from '../support/postgresCluster'

let cluster: PostgresCluster
const dir = mkdtempSync(join(tmpdir(), 'gsc-serve-shared-'))
const children: ChildProcess[] = []
const env = { ...process.env, GSC_HOME: join(dir, 'home') }

beforeAll(async () => {
  cluster = await startPostgresCluster({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
}, 120_000)
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function gsc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/gsc.mjs', ...args], { encoding: 'utf8', timeout: 120_000, env })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Starts `gsc serve --db url` on a free port; resolves with its port and what it said on stderr. */
function serve(url: string, workDir: string): Promise<{ port: number; stderr: () => string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/gsc.mjs', 'serve', '--port', '0', '--db', url, '--work-dir', workDir, '--web', join(dir, 'no-web')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let err = ''
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`gsc serve did not start: ${err}`)), 60_000)
    child.stderr!.on('data', (d) => {
      err += d
      const m = /gsc serve: http:\/\/127\.0\.0\.1:(\d+)/.exec(err)
      if (m && /packet log /.test(err)) {
        clearTimeout(t)
        resolve({ port: Number(m[1]), stderr: () => err, child })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(t)
      reject(new Error(`gsc serve exited ${code}: ${err}`))
    })
  })
}

interface Client {
  call(method: string, args?: unknown): Promise<any>
  /** Packets pushed live to this client, with when each push arrived. */
  pushed: { at: number; ids: number[] }[]
  close(): void
}

async function client(port: number): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`)
  await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)))
  let next = 1
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const pushed: Client['pushed'] = []
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString())
    if (m.event === 'packets') pushed.push({ at: Date.now(), ids: m.data.added.map((p: { id: number }) => p.id) })
    if (m.event) return
    const w = waiting.get(m.id)
    waiting.delete(m.id)
    if (m.error) w?.reject(new Error(m.error.message))
    else w?.resolve(m.result)
  })
  return {
    pushed,
    call: (method, args = {}) =>
      new Promise((resolve, reject) => {
        const id = next++
        waiting.set(id, { resolve, reject })
        ws.send(JSON.stringify({ id, method, args }))
      }),
    close: () => ws.close()
  }
}

/** Uploads a capture through a client and imports it; resolves when the import job is done. */
async function importThrough(c: Client, file: string): Promise<void> {
  const bytes = readFileSync(file)
  const { uploadId } = await c.call('uploadBegin', { name: 'pass.bin', size: bytes.length })
  await c.call('uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') })
  const { fileRef } = await c.call('uploadEnd', { uploadId })
  const { jobId } = await c.call('importCapture', { file: fileRef })
  for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 20))) {
    const job = (await c.call('listJobs')).find((j: { id: string }) => j.id === jobId)
    if (job?.state === 'done') return
    if (job && job.state !== 'running' && job.state !== 'queued') throw new Error(`import ${job.state}: ${job.error}`)
  }
  throw new Error('import did not finish in 30 s')
}

/** Waits until `c` has been pushed every id in `ids`; returns when the last of them arrived. */
async function heard(c: Client, ids: number[], within = 3000): Promise<number> {
  const t0 = Date.now()
  for (;;) {
    const got = new Set(c.pushed.flatMap((p) => p.ids))
    if (ids.every((id) => got.has(id))) return Math.max(...c.pushed.filter((p) => p.ids.some((id) => ids.includes(id))).map((p) => p.at))
    if (Date.now() - t0 > within) throw new Error(`pushed ${[...got].join(',')} but not all of ${ids.join(',')}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('two gsc serve instances on one PostgreSQL archive', () => {
  it('each pushes the other\'s imports to its clients within 1 s, and both show the same packets and event log', async () => {
    const url = await cluster.createDatabase('station')
    const [a, b] = await Promise.all([serve(url, join(dir, 'ws-a')), serve(url, join(dir, 'ws-b'))])
    expect(a.stderr()).toContain(`packet log ${url}`)
    const ca = await client(a.port)
    const cb = await client(b.port)
    expect((await cb.call('systemInfo')).dbFile).toBe(url)

    const capA = join(dir, 'a.bin')
    writeCapture(capA, Array.from({ length: 40 }, (_, i) => gscPacket(30, i, 100 + i)))
    await importThrough(ca, capA)
    const doneA = Date.now()
    const ids = Array.from({ length: 40 }, (_, i) => i + 1)
    const lastOnB = await heard(cb, ids)
    expect(lastOnB - doneA).toBeLessThan(1000)
    // Each packet pushed once to B's client, in order.
    expect(cb.pushed.flatMap((p) => p.ids)).toEqual(ids)

    // The other way round: B imports, A's client hears it.
    const capB = join(dir, 'b.bin')
    writeCapture(capB, Array.from({ length: 10 }, (_, i) => gscPacket(31, i, 900 + i)))
    await importThrough(cb, capB)
    const doneB = Date.now()
    const lastOnA = await heard(ca, Array.from({ length: 10 }, (_, i) => 41 + i))
    expect(lastOnA - doneB).toBeLessThan(1000)
    console.log(`live push between the two instances after an import finished: A to B ${lastOnB - doneA} ms, B to A ${lastOnA - doneB} ms`)
    expect(ca.pushed.flatMap((p) => p.ids)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))

    // One archive: the same list on both, and the event log shared (A sees B's import report and the other way).
    const listA = await ca.call('listPackets', { limit: 100 })
    const listB = await cb.call('listPackets', { limit: 100 })
    expect(listA.total).toBe(50)
    expect(listB).toEqual(listA)
    const eventsA = (await ca.call('listEvents', { limit: 100 })).map((e: { message: string }) => e.message)
    expect(eventsA.filter((m: string) => /pass\.bin: \d+ packets imported/.test(m))).toEqual(['pass.bin: 10 packets imported, 0 duplicates', 'pass.bin: 40 packets imported, 0 duplicates'])
    // Interface settings stay per workstation: each in its own work folder.
    expect(existsSync(join(dir, 'ws-a', 'interface.sqlite')) && existsSync(join(dir, 'ws-b', 'interface.sqlite'))).toBe(true)
    ca.close()
    cb.close()
    for (const s of [a, b]) {
      s.child.kill('SIGTERM')
      await new Promise((r) => s.child.once('exit', r))
    }

    // The log commands on the same URL.
    const stats = gsc('log', 'stats', '--db', url, '--json')
    expect(stats.code).toBe(0)
    expect(JSON.parse(stats.stdout)).toMatchObject({ packets: 50, db: url })
    const out = join(dir, 'export.bin')
    expect(gsc('log', 'export', '--db', url, '-o', out, '--apid', '30').code).toBe(0)
    expect(readFileSync(out).equals(readFileSync(capA))).toBe(true)
  }, 180_000)

  const manifest = (() => {
    try {
      return JSON.parse(readFileSync(join(__dirname, '../../resources/models/manifest.json'), 'utf8'))
    } catch {
      return undefined
    }
  })()
  const haveModels = Boolean(manifest?.models?.g_s && manifest?.models?.generator)
  it.skipIf(!haveModels)('a reconstruction decoded by one engine is read from the shared decode cache by another, with no decode of its own', async () => {
    const url = await cluster.createDatabase('decodes')
    const open = (name: string) => EngineService.open({ dbFile: url, workDir: join(dir, name), frontDoor: 'serve' })
    const a = await open('dec-a')
    const b = await open('dec-b')
    try {
      const pkt = encodeGscPacket(
        { header: { formatVersion: 1, width: 128, height: 96, modelId: manifest.models.generator.modelId, latentChannels: 320, channelIndices: [0, 3], quantStep: 1, steps: 4, seed: 1, captionMode: 'utf8', hasDetections: false }, caption: 'a rock', latents: new Int32Array(2 * 6 * 8), detections: [] },
        { apid: 9, sequenceCount: 1 }
      )
      const { uploadId } = await a.call('uploadBegin', { name: 'one.bin', size: pkt.length })
      await a.call('uploadChunk', { uploadId, offset: 0, data: Buffer.from(pkt).toString('base64') })
      const { fileRef } = await a.call('uploadEnd', { uploadId })
      await a.call('importCapture', { file: fileRef })
      for (const t0 = Date.now(); (await b.call('listPackets', {})).total === 0 && Date.now() - t0 < 10_000; ) await new Promise((r) => setTimeout(r, 20))
      const onA = await a.call('reconstruct', { id: 1 })
      expect(onA.notes.join(' ')).not.toMatch(/shared archive/)
      const bJobs: string[] = []
      b.on('job', (j) => bJobs.push(j.kind))
      const onB = await b.call('reconstruct', { id: 1 })
      expect(bJobs).not.toContain('decode')
      expect(onB.notes[0]).toMatch(/^from the shared archive's decode cache: decoded by gsc serve on /)
      expect(onB.image).toBe(onA.image) // the same pixels (PNG written and read back losslessly, re-encoded alike)
      expect({ ...onB, notes: [], decodeMs: 0 }).toEqual({ ...onA, notes: [], decodeMs: 0 })
      // An uncertainty map or a chosen seed is decoded fresh, as on a SQLite log.
      const seeded = b.call('reconstruct', { id: 1, seed: 7 })
      await seeded
      expect(bJobs).toContain('decode')
    } finally {
      await a.close()
      await b.close()
    }
  }, 180_000)

  it('an unreachable archive is an error naming the server; nothing is created in its place', async () => {
    const url = `postgres://gsc:s3cret@127.0.0.1:${cluster.port + 1}/station`
    const err = await EngineService.open({ dbFile: url, frontDoor: 'serve' }).catch((e: Error) => e)
    expect((err as Error).message).toMatch(new RegExp(`^cannot open PostgreSQL archive at 127\\.0\\.0\\.1:${cluster.port + 1}/station: connection refused`))
    expect((err as Error).message).not.toContain('s3cret')
    expect(existsSync(stationDir(url))).toBe(false)
    expect(existsSync('postgres:')).toBe(false)
    const cli = gsc('log', 'stats', '--db', url)
    expect(cli.code).not.toBe(0)
    expect(cli.stderr.trim().split('\n')).toHaveLength(1)
    expect(cli.stderr).toMatch(new RegExp(`^gsc: cannot open PostgreSQL archive at 127\\.0\\.0\\.1:${cluster.port + 1}/station`))
  }, 60_000)
})
