// Seeded Gaussian noise computed with 32-bit integer arithmetic only, so a packet's seed
// yields bit-identical starting noise on every CPU, OS and JS engine (no Math.log/cos involved).
//
// Uniforms: a counter-based hash (the "lowbias32" integer mixer by Chris Wellons, applied to
// seed-keyed counters), so value i does not depend on how many values were drawn before it.
// Gaussian: Irwin-Hall with 12 uniforms, sum(u_k) - 6 where u_k = U32 / 2^32. The sum of twelve
// 32-bit integers fits in 36 bits, so the float64 result is exact; it has mean 0, variance 1,
// and differs from a true normal CDF by < 0.001 (tails cut at +-6), which is ample for flow noise.

const TWO_POW_32 = 4294967296

/** lowbias32: a bijective 32-bit integer hash with low bias. */
export function hash32(x: number): number {
  x = x >>> 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d) >>> 0
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b) >>> 0
  x ^= x >>> 16
  return x >>> 0
}

/** Uniform 32-bit integer number `index` of stream `seed` (counter-based: any index in O(1)). */
export function uniformU32(seed: number, index: number): number {
  const key = hash32((seed >>> 0) ^ 0x9e3779b9)
  const hi = Math.floor(index / TWO_POW_32) >>> 0
  return hash32(hash32((index >>> 0) ^ key) ^ hash32(hi + 0x632be5ab))
}

/** n standard-normal samples (float64, exact) from `seed`; the same seed gives the same array everywhere. */
export function gaussianNoise(seed: number, n: number): Float64Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`noise seed must be a 32-bit unsigned integer, got ${seed}`)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let sum = 0
    const base = 12 * i
    for (let k = 0; k < 12; k++) sum += uniformU32(seed, base + k)
    out[i] = (sum - 6 * TWO_POW_32) / TWO_POW_32
  }
  return out
}

/** Same samples as float32 (the ONNX input type); the float64 -> float32 rounding is IEEE-exact. */
export function gaussianNoise32(seed: number, n: number): Float32Array {
  return Float32Array.from(gaussianNoise(seed, n))
}
