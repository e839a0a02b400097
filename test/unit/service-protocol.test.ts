// The one wire protocol (src/shared/protocol.ts), its error mapping (src/shared/errors.ts) and the client
// core shared by Electron main and the browser (src/shared/rpcClient.ts).
import { describe, expect, it } from 'vitest'
import { GscError, isGscError, toWireError } from '../../src/shared/errors'
import { ApiArgumentError } from '../../src/shared/validate'
import { readRequest, settle } from '../../src/shared/protocol'
import { RpcClient } from '../../src/shared/rpcClient'
import { UsageError } from '../../src/cli/framework'
import { CancelledError } from '../../src/core/codec/cancellation'

describe('error mapping', () => {
  it('shows an engine error as it is, with its code, and anything else as an internal error', () => {
    expect(toWireError(new GscError('no packet 5 in the log'))).toEqual({ message: 'no packet 5 in the log', code: 'EINVAL' })
    expect(toWireError(new ApiArgumentError('getPacket: invalid id'))).toEqual({ message: 'getPacket: invalid id', code: 'EARGS' })
    expect(toWireError(new UsageError('missing --db'))).toEqual({ message: 'missing --db', code: 'EUSAGE' })
    expect(toWireError(new CancelledError())).toEqual({ message: 'decode cancelled', code: 'ECANCELLED' })
    expect(toWireError(new TypeError('x is undefined\n    at f (file.ts:1)'))).toEqual({ message: 'internal error: x is undefined', code: 'EINTERNAL' })
    expect(toWireError('thrown string')).toEqual({ message: 'internal error: thrown string', code: 'EINTERNAL' })
  })

  it("recognises another module copy's GscError (the bundled engine host loads the engine from src/) and nothing else by name", () => {
    const otherCopy = Object.assign(new Error('from the other copy'), { code: 'ERATE', [Symbol.for('gsc.GscError')]: true })
    expect(isGscError(otherCopy)).toBe(true)
    expect(toWireError(otherCopy)).toEqual({ message: 'from the other copy', code: 'ERATE' })
    const lookalike = Object.assign(new Error('named like one'), { name: 'GscError', code: 'EINVAL' })
    expect(isGscError(lookalike)).toBe(false)
  })

  it('settle turns a call into its outcome and never throws', async () => {
    expect(await settle(async () => 42)).toEqual({ result: 42 })
    expect(await settle(() => { throw new GscError('bad') })).toEqual({ error: { message: 'bad', code: 'EINVAL' } })
    expect(() => readRequest({ method: 'listJobs' })).toThrow(ApiArgumentError)
    expect(readRequest({ id: 'a', method: 'listJobs', args: {}, extra: 1 })).toEqual({ id: 'a', method: 'listJobs', args: {} })
  })
})

describe('client core', () => {
  it('matches replies to their requests, routes pushes, and fails what is pending when the link drops', async () => {
    const rpc = new RpcClient()
    const sent: { id: number; method: string }[] = []
    const a = rpc.request((m) => sent.push(m), { method: 'listJobs' })
    const b = rpc.request((m) => sent.push(m), { method: 'getPacket' })
    expect(sent.map((m) => m.id)).toEqual([1, 2])
    const pushed: unknown[] = []
    const off = rpc.events.on('log', (d) => pushed.push(d))
    rpc.receive({ id: 2, error: { message: 'no packet 5 in the log', code: 'EINVAL' } })
    rpc.receive({ event: 'log', data: { id: 7 } })
    rpc.receive({ id: 1, result: [] })
    rpc.receive({ id: 1, result: 'a second reply is ignored' })
    await expect(a).resolves.toEqual([])
    await expect(b).rejects.toMatchObject({ message: 'no packet 5 in the log', code: 'EINVAL' })
    off()
    rpc.receive({ event: 'log', data: { id: 8 } })
    expect(pushed).toEqual([{ id: 7 }])
    const c = rpc.request(() => {}, { method: 'listJobs' })
    rpc.dropAll('connection to the engine lost')
    await expect(c).rejects.toThrow('connection to the engine lost')
  })
})
