// The engine host that Electron runs in a utilityProcess, here as a Node child (same messages):
// it opens the engine, answers calls, pushes events and reports engine errors as one line.
import { afterAll, describe, expect, it } from 'vitest'
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(__dirname, '..', '..')
const dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-host-test-'))
let child: ChildProcess | null = null

afterAll(() => {
  child?.kill()
  rmSync(dir, { recursive: true, force: true })
})

describe('engine host process', () => {
  it('starts, answers validated calls and pushes events', async () => {
    child = fork(path.join(ROOT, 'src', 'main', 'utilityProcess', 'engineHost.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, GSC_APP_ROOT: ROOT, GSC_DB: path.join(dir, 'log.db') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    const messages: any[] = []
    const waitFor = (pred: (m: any) => boolean) =>
      new Promise<any>((resolve) => {
        const hit = messages.find(pred)
        if (hit) return resolve(hit)
        const on = (m: any) => pred(m) && (child!.off('message', on), resolve(m))
        child!.on('message', on)
      })
    child.on('message', (m) => messages.push(m))
    const first = await waitFor((m) => m.ready || m.fatal)
    expect(first).toEqual({ ready: true })
    child.send({ id: 1, method: 'listPackets', args: {} })
    expect(await waitFor((m) => m.id === 1)).toEqual({ id: 1, result: { total: 0, packets: [] } })
    child.send({ id: 2, method: 'getPacket', args: { id: 5 } })
    expect(await waitFor((m) => m.id === 2)).toEqual({ id: 2, error: { message: 'no packet 5 in the log', code: 'EINVAL' } })
    child.send({ id: 3, method: 'logEvent', args: { severity: 'info', source: 'host-test', message: 'hello' } })
    expect(await waitFor((m) => m.event === 'log' && m.data.source === 'client:host-test')).toMatchObject({ data: { message: 'hello' } })
    child.send({ id: 4, internal: 'registerPath', path: path.join(dir, 'missing.bin') })
    expect((await waitFor((m) => m.id === 4)).error.message).toMatch(/not a file/)
  }, 60_000)
})
