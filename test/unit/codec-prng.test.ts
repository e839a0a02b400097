// The codec's counter-based noise (src/core/codec/prng.ts): deterministic, pinned to the packet format, Gaussian.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { gaussianNoise, hash32, uniformU32 } from '../../src/core/codec/prng'

describe('prng', () => {
  it('is deterministic, seed-dependent and counter-based', () => {
    const a = gaussianNoise(42, 1000)
    expect(gaussianNoise(42, 1000)).toEqual(a)
    expect(gaussianNoise(43, 1000)).not.toEqual(a)
    expect(gaussianNoise(42, 10)).toEqual(a.subarray(0, 10))
    expect(hash32(0)).toBe(0)
    expect(hash32(1)).not.toBe(1)
    expect(uniformU32(1, 1)).not.toBe(uniformU32(1, 0))
  })
  it('pins the exact noise bits (the noise is part of the packet format: a change breaks old packets)', () => {
    const n = gaussianNoise(12345, 4096)
    let sum = 0
    for (let k = 0; k < 6; k++) {
      const u = uniformU32(12345, k)
      sum += (u >>> 16) + (u & 0xffff)
    }
    expect(n[0]).toBe((sum - 6 * 65536) / 65536)
    // Reference values recorded when the format was fixed (integers / 2^16, exact in float64).
    expect(Array.from(n.subarray(0, 3), (v) => v * 65536)).toEqual([72290, 45838, 25533])
    expect(createHash('sha256').update(Buffer.from(n.buffer)).digest('hex')).toBe('1bf4df735f3791f3bd4d0390f8480806dff96d0a2399863157bd93ceebc58583')
  })
  it('has Gaussian moments', () => {
    const n = gaussianNoise(7, 200000)
    let m = 0
    let v = 0
    let k4 = 0
    for (const x of n) m += x
    m /= n.length
    for (const x of n) {
      v += (x - m) ** 2
      k4 += (x - m) ** 4
    }
    v /= n.length
    k4 /= n.length
    expect(Math.abs(m)).toBeLessThan(0.01)
    expect(Math.abs(v - 1)).toBeLessThan(0.01)
    expect(k4 / (v * v)).toBeGreaterThan(2.85) // normal: 3, Irwin-Hall(12): 2.9
    const within1 = n.filter((x) => Math.abs(x) < 1).length / n.length
    expect(Math.abs(within1 - 0.6827)).toBeLessThan(0.01)
  })
})
