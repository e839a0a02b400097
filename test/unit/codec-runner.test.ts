// The codec's worker runner (src/core/codec/worker/runner.ts): a worker that ignores cancellation is replaced.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CancelledError } from '../../src/core/codec/cancellation'
import { createCodecRunner } from '../../src/core/codec/worker/runner'

describe('codec runner', () => {
  it('gives up on a worker that ignores cancellation, answers the caller within the grace, and starts a fresh one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gsc-runner-'))
    // a stand-in worker stuck in a job: replies only to a 'ping' kind, never to decode or cancel
    const file = path.join(dir, 'stuck.mjs')
    writeFileSync(
      file,
      `import { parentPort } from 'node:worker_threads'
parentPort.on('message', (m) => { if (m.type === 'job' && m.kind === 'encode') parentPort.postMessage({ type: 'result', id: m.id, value: { ok: true } }) })`
    )
    const runner = createCodecRunner({ workerUrl: pathToFileURL(file), cancelGraceMs: 200, retireLimitMs: 300 })
    try {
      expect(await runner.encode('x')).toEqual({ ok: true })
      const ctl = new AbortController()
      const job = runner.decode(new Uint8Array(1), {}, { signal: ctl.signal })
      setTimeout(() => ctl.abort(), 50)
      const t0 = Date.now()
      await expect(job).rejects.toBeInstanceOf(CancelledError)
      expect(Date.now() - t0).toBeLessThan(2000)
      expect(runner.pending).toBe(0)
      expect(await runner.encode('y')).toEqual({ ok: true }) // a new worker serves the next job
      await expect(runner.decode(new Uint8Array(1), {}, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError)
    } finally {
      await runner.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
