// Reconstructions kept for the Image view, comparisons and the planner's estimate: the newest few, and
// a bounded number of bytes, so that large decodes are not held by an idle station.
import type { Reconstruction } from '../../shared/api'
import type { RgbImage } from '../image/rgbImage'

/** At most this many reconstructions, and this many bytes of images. */
const DECODE_CACHE_ENTRIES = 24
const DECODE_CACHE_BYTES = 64 * 1024 * 1024

export interface CachedDecode {
  rec: Reconstruction
  image: RgbImage
}

const bytesOf = (x: CachedDecode) => x.image.data.length + x.rec.image.length + (x.rec.uncertainty?.length ?? 0)

export class DecodeCache {
  private decodes = new Map<number, CachedDecode>()

  get(packetId: number): CachedDecode | undefined {
    return this.decodes.get(packetId)
  }

  /** Keeps a reconstruction, dropping the oldest beyond the bounds (one over the byte bound alone is not kept). */
  keep(packetId: number, d: CachedDecode): void {
    this.decodes.delete(packetId)
    this.decodes.set(packetId, d)
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
}
