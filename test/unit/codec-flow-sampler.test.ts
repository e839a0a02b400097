// The flow-matching sampler (src/core/codec/flowSampler.ts): exact Euler steps, constraints, cancellation.
import { describe, expect, it } from 'vitest'
import { CancelledError } from '../../src/core/codec/cancellation'
import { flowTimes, sampleFlow } from '../../src/core/codec/flowSampler'

describe('flow sampler', () => {
  it('Euler steps follow z_{i-1} = z_i + (t_{i-1} - t_i) v exactly', async () => {
    expect(flowTimes(4, { noiseT: 1, dataT: 0 })).toEqual([1, 0.75, 0.5, 0.25, 0])
    // straight path to a target x from noise: v = (z - x) / t in the t=1 noise, t=0 data convention
    const x = Float32Array.from([3, -2])
    const z = Float32Array.from([0.5, 0.25])
    await sampleFlow(z, { steps: 5, schedule: { noiseT: 1, dataT: 0 }, velocity: async (zz, t) => zz.map((v, i) => (v - x[i]) / t) })
    expect(z[0]).toBeCloseTo(3, 5)
    expect(z[1]).toBeCloseTo(-2, 5)
  })
  it('re-imposes constraints and stops when aborted', async () => {
    const ctl = new AbortController()
    let calls = 0
    const z = new Float32Array(3)
    const run = sampleFlow(z, {
      steps: 50,
      schedule: { noiseT: 0, dataT: 1 },
      velocity: async (zz) => {
        if (++calls === 3) ctl.abort()
        return new Float32Array(zz.length).fill(1)
      },
      constrain: (zz) => (zz[0] = 7),
      signal: ctl.signal
    })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
    expect(calls).toBe(3)
    expect(z[0]).toBe(7)
  })
})
