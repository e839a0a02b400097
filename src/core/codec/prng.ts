// Seeded Gaussian noise computed with 32-bit integer arithmetic only, so a packet's seed
// yields bit-identical starting noise on every CPU, OS and JS engine (no Math.log/cos involved).
//
// Uniforms: a counter-based hash (the "lowbias32" integer mixer by Chris Wellons): u_j =
// hash32(hash32(j ^ key) ^ key2) with key = hash32(seed ^ 0x9e3779b9), key2 = hash32(key ^ 0x632be5ab),
// so value j does not depend on how many values were drawn before it.
// Gaussian: Irwin-Hall with 12 uniforms, sum(u_k) - 6 where u_k = U16 / 2^16 and the twelve 16-bit
// integers are the two halves of u_{6i} .. u_{6i+5}. The integer sum is exact and so is the division
// by 2^16, so the float64 result is exact; it has mean 0, variance 1 (minus 2^-32), and its CDF is
// within 0.001 of the normal one (tails cut at +-6), which is ample for flow noise.

const TWO_POW_32 = 4294967296
const TWO_POW_16 = 65536

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

/** Uniform 32-bit integer number `index` (0 <= index < 2^32) of stream `seed` (counter-based: any index in O(1)). */
export function uniformU32(seed: number, index: number): number {
  const key = hash32((seed >>> 0) ^ 0x9e3779b9)
  return hash32(hash32((index >>> 0) ^ key) ^ hash32(key ^ 0x632be5ab))
}

/** n standard-normal samples (float64, exact) from `seed`; the same seed gives the same array everywhere. */
export function gaussianNoise(seed: number, n: number): Float64Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`noise seed must be a 32-bit unsigned integer, got ${seed}`)
  if (!Number.isInteger(n) || n < 0 || 6 * n > TWO_POW_32) throw new RangeError(`noise length must be 0..${Math.floor(TWO_POW_32 / 6)}, got ${n}`)
  const key = hash32((seed >>> 0) ^ 0x9e3779b9)
  const key2 = hash32(key ^ 0x632be5ab)
  const out = new Float64Array(n)
  let index = 0
  for (let i = 0; i < n; i++) {
    let sum = 0
    // six uniformU32(seed, 6 * i + k), each split into two 16-bit uniforms
    for (let k = 0; k < 6; k++) {
      const h = hash32(hash32((index++ >>> 0) ^ key) ^ key2)
      sum += (h >>> 16) + (h & 0xffff)
    }
    out[i] = (sum - 6 * TWO_POW_16) / TWO_POW_16
  }
  return out
}

/** Same samples as float32 (the ONNX input type); the float64 -> float32 rounding is IEEE-exact. */
export function gaussianNoise32(seed: number, n: number): Float32Array {
  return Float32Array.from(gaussianNoise(seed, n))
}
