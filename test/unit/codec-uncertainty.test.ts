// The uncertainty map from several decodes of one packet (src/core/codec/uncertainty.ts).
import { describe, expect, it } from 'vitest'
import { hotColour, uncertaintyMap } from '../../src/core/codec/uncertainty'

describe('uncertainty map', () => {
  it('is black where samples agree and brighter where they spread', () => {
    const a = { width: 2, height: 1, data: Uint8Array.from([10, 10, 10, 100, 100, 100]) }
    const b = { width: 2, height: 1, data: Uint8Array.from([10, 10, 10, 148, 148, 148]) }
    const u = uncertaintyMap([a, b])
    expect(Array.from(u.std)).toEqual([0, 24]) // population std of {100, 148}
    expect(Array.from(u.image.data.subarray(0, 3))).toEqual([0, 0, 0])
    expect(Array.from(u.image.data.subarray(3, 6))).toEqual(hotColour(24 / 48)) // half scale: red-orange
    expect(hotColour(1)).toEqual([255, 255, 255])
    expect(u.stats.maxStd).toBe(24)
    expect(() => uncertaintyMap([a])).toThrow(/at least 2/)
  })
})
