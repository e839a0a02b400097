// Every API call is validated against the shared schemas, once, in the engine service; the methods the
// service's handler tables implement are exactly the schemas' methods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { validateCall, ApiArgumentError, METHOD_NAMES } from '../../src/shared/validate'
import { EngineService } from '../../src/core/service/engineService'

const bad = (method: unknown, args: unknown) => expect(() => validateCall(method, args)).toThrow(ApiArgumentError)

let dir: string
let svc: EngineService

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-api-'))
  svc = await EngineService.open({ dbFile: path.join(dir, 'log.db'), frontDoor: 'serve' })
})

afterAll(async () => {
  await svc?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('API methods and the engine', () => {
  it("the service's handler tables implement each schema's method once, and no method without a schema", () => {
    const implemented = Object.entries(svc.domains).flatMap(([domain, table]) => Object.keys(table).map((method) => `${method} (${domain})`))
    const names = implemented.map((x) => x.split(' ')[0])
    // a method in two tables would be routed to one of them silently
    expect(implemented.filter((x) => names.filter((n) => n === x.split(' ')[0]).length > 1)).toEqual([])
    expect([...names].sort()).toEqual([...METHOD_NAMES].sort())
    expect(Object.keys(svc.domains).length).toBeGreaterThanOrEqual(5)
  })

  it('every schema rejects a malformed call, and the service refuses it before any handler runs', async () => {
    for (const m of METHOD_NAMES) {
      bad(m, { notAnArgument: 1 })
      bad(m, null)
      bad(m, 'id=1')
      await expect(svc.handle(m, { notAnArgument: 1 }), m).rejects.toMatchObject({ code: 'EARGS', message: expect.stringMatching(new RegExp(`^${m}: invalid`)) })
    }
    await expect(svc.handle('registerPath', { path: '/etc/passwd' })).rejects.toMatchObject({ code: 'EARGS' })
    await expect(svc.handle('getPacket', { id: 1 })).rejects.toMatchObject({ code: 'EINVAL', message: 'no packet 1 in the log' })
  })
})

describe('API argument validation', () => {

  it('accepts well-formed calls and returns the parsed arguments', () => {
    expect(validateCall('getPacket', { id: 3 })).toEqual({ method: 'getPacket', args: { id: 3 } })
    expect(validateCall('listJobs', undefined).args).toEqual({})
    expect(validateCall('listPackets', { apid: 100, status: 'crc_failed', text: 'rover', sort: 'bits', order: 'desc', limit: 10 }).args).toMatchObject({ apid: 100 })
    expect(validateCall('plan', { alpha: 1, beta: 1e-4, images: 10, linkBps: 2000, passS: 600 }).method).toBe('plan')
    expect(validateCall('setSettings', { captionerUrl: 'http://127.0.0.1:8080/v1' }).method).toBe('setSettings')
    expect(validateCall('setSettings', { decodeSteps: null }).args).toEqual({ decodeSteps: null })
  })

  it('rejects unknown methods, including prototype names', () => {
    bad('deleteEverything', {})
    bad('constructor', {})
    bad('__proto__', {})
    bad(42, {})
  })

  it('rejects unknown keys', () => {
    bad('getPacket', { id: 1, sql: 'DROP TABLE packets' })
    bad('listJobs', { x: 1 })
  })

  it('rejects wrong types and out-of-range values', () => {
    bad('getPacket', { id: -1 })
    bad('getPacket', { id: 1.5 })
    bad('getPacket', { id: '1' })
    bad('getPacket', null)
    bad('listPackets', { apid: 4096 })
    bad('listPackets', { status: 'weird' })
    bad('listPackets', { from: 'yesterday' })
    bad('listPackets', { limit: 1e9 })
    bad('plan', { alpha: -1, beta: 0, images: 1 })
    bad('plan', { alpha: 1, beta: 0, images: 0 })
    bad('plan', { alpha: Number.NaN, beta: 0, images: 1 })
    bad('reconstruct', { id: 1, steps: 1000 })
    bad('reconstruct', { id: 1, texture: 'off' })
    bad('replayControl', { jobId: 'x', action: 'rewind' })
    bad('setSettings', { executionProvider: 'tpu' })
    bad('setSettings', { captionerUrl: 'file:///etc/passwd' })
  })

  it('refuses file paths: captures are referred to by upload or dialog references only', () => {
    bad('importCapture', { file: '/etc/passwd' })
    bad('importCapture', { file: 'upload:../../etc/passwd' })
    bad('replayStart', { file: 'C:\\capture.bin' })
    expect(validateCall('importCapture', { file: 'upload:abc_DEF-123' }).method).toBe('importCapture')
  })

  it('rejects payloads that are not base64 or too large', () => {
    bad('uploadChunk', { uploadId: 'a', offset: 0, data: 'not base64!' })
    bad('attachOriginal', { id: 1, name: 'x.png', data: '%%%' })
    bad('loadCalibration', { name: 'r.json', json: 'x'.repeat(16 * 1024 * 1024 + 1) })
  })

  it('accepts the six baseline codecs for the comparison and refuses any other by name', async () => {
    const { BASELINE_IDS } = await import('../../src/core/baselines/codecs')
    const { BASELINE_CODECS } = await import('../../src/shared/schemas')
    expect(BASELINE_CODECS.map((c) => c.id).sort()).toEqual([...BASELINE_IDS].sort())
    for (const codec of BASELINE_IDS) expect(validateCall('compare', { id: 1, codec }).args).toEqual({ id: 1, codec })
    expect(validateCall('compare', { id: 1 }).args).toEqual({ id: 1 })
    expect(validateCall('attachOriginal', { id: 1, name: 'x.png', data: 'AAAA', codec: 'jxl' }).method).toBe('attachOriginal')
    expect(() => validateCall('compare', { id: 1, codec: 'png' })).toThrow(/^compare: invalid codec: unknown baseline codec \(have: avif, webp, jpeg, jpeg2000, hevc, jxl\)$/)
    bad('compare', { id: 1, codec: 'WEBP' })
    bad('attachOriginal', { id: 1, name: 'x.png', data: 'AAAA', codec: 'gif' })
  })

  it('says which argument was wrong', () => {
    try {
      validateCall('listPackets', { apid: 'a' })
      expect.unreachable()
    } catch (e) {
      expect((e as Error).message).toMatch(/^listPackets: invalid apid/)
    }
  })
})
