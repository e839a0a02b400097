// Shared builders for the wire-format tests: seeded PRNG and realistic GSC payloads.
import type { GscPayload } from '../../src/core/bitstream/gscPacket'
import { latentShape } from '../../src/core/bitstream/gscPacket'

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 2 ** 32
  }
}

/** Laplacian-ish quantized latents: mostly 0, small magnitudes, a few large ones. */
export function sparseLatents(n: number, rnd: () => number, zeroProb = 0.85): Int32Array {
  const a = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const r = rnd()
    if (r < zeroProb) continue
    const mag = 1 + Math.floor(-Math.log(1 - rnd()) * 1.2)
    a[i] = rnd() < 0.5 ? -mag : mag
  }
  return a
}

export function payload(opts: { width?: number; height?: number; channels?: number; caption?: string; mode?: 'none' | 'static' | 'utf8'; detections?: boolean; seed?: number } = {}): GscPayload {
  const width = opts.width ?? 768
  const height = opts.height ?? 512
  const C = opts.channels ?? 1
  const rnd = prng(opts.seed ?? 1)
  const { h, w } = latentShape(width, height)
  const mode = opts.mode ?? 'static'
  return {
    header: {
      formatVersion: 1,
      width,
      height,
      modelId: 0,
      latentChannels: 320,
      channelIndices: Array.from({ length: C }, (_, i) => (i * 37 + 5) % 320),
      quantStep: 2,
      steps: 8,
      seed: 1234,
      captionMode: mode,
      hasDetections: opts.detections ?? true
    },
    caption: mode === 'none' ? '' : (opts.caption ?? 'Outdoor scene, bright; sky above, ground below; 2 persons at left, a car in the centre, a red barn beside a pond.'),
    latents: sparseLatents(C * h * w, rnd),
    detections:
      opts.detections === false
        ? []
        : [
            { classId: 0, score: 41 / 255, box: [10 / 255, 20 / 255, 30 / 255, 200 / 255] },
            { classId: 79, score: 1, box: [0, 0, 1, 1] }
          ]
  }
}
