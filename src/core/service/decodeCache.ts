// Reconstructions kept for the Image view, comparisons and the planner's estimate: one per decode request (a seeded,
// step-count, uncertainty or set 30's no-texture decode is not the plain reconstruction), the newest few and a bounded number of bytes,
// so that large decodes are not held by an idle station.
import type { Reconstruction } from '../../shared/api'
import type { RgbImage } from '../image/rgbImage'
import { decodeParams, type DecodeJobData } from '../jobs/decodeJob'

/** At most this many reconstructions, and this many bytes of images. */
const DECODE_CACHE_ENTRIES = 24
const DECODE_CACHE_BYTES = 64 * 1024 * 1024

export interface CachedDecode {
  rec: Reconstruction
  image: RgbImage
}

/**
 * The key of a request's result: the shared decode cache's (what changes the pixels) and, where the request leaves
 * the step count to the station, this workstation's decode-steps setting, which changes them too (the shared cache
 * leaves it out because such decodes are never shared).
 */
export function decodeKey(request: DecodeJobData, stationSteps: number | null): string {
  const params = decodeParams(request)
  if (request.steps === undefined && stationSteps !== null) params.stationSteps = stationSteps
  return `${request.packetId} ${JSON.stringify(params)}`
}

const bytesOf = (x: CachedDecode) => x.image.data.length + x.rec.image.length + (x.rec.uncertainty?.length ?? 0)

export class DecodeCache {
  /** In order of use, least recently used first. */
  private decodes = new Map<string, CachedDecode>()

  /** The result of exactly this request (a decodeKey), if kept. */
  find(key: string): CachedDecode | undefined {
    return this.touch(key)
  }

  /** The packet's most recently used decode, whatever its request: the one the Image view shows last. */
  get(packetId: number): CachedDecode | undefined {
    let key: string | undefined
    for (const [k, x] of this.decodes) if (x.rec.packetId === packetId) key = k
    return key === undefined ? undefined : this.touch(key)
  }

  /** Keeps a request's result, dropping the least recently used beyond the bounds (one over the byte bound alone is not kept). */
  keep(key: string, d: CachedDecode): void {
    this.decodes.delete(key)
    this.decodes.set(key, d)
    let total = 0
    for (const x of this.decodes.values()) total += bytesOf(x)
    while (this.decodes.size > DECODE_CACHE_ENTRIES || (total > DECODE_CACHE_BYTES && this.decodes.size > 0)) {
      const [oldest, x] = this.decodes.entries().next().value!
      this.decodes.delete(oldest)
      total -= bytesOf(x)
    }
  }

  clear(): void {
    this.decodes.clear()
  }

  private touch(key: string): CachedDecode | undefined {
    const x = this.decodes.get(key)
    if (x) (this.decodes.delete(key), this.decodes.set(key, x))
    return x
  }
}
