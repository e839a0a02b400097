// Packets as the interface shows them, and the live feed: every packet added to the log goes once to the
// subscribers of the `packets` event (imports and replays call push as they go).
import type { EventMap, PacketSummary } from '../../shared/api'
import type { PacketLog } from '../store/packetLog'
import type { PacketSummary as StoreSummary } from '../store/types'

export function toPacketSummary(r: StoreSummary): PacketSummary {
  return {
    id: r.id,
    receivedAt: r.receivedAt,
    apid: r.apid,
    sequenceCount: r.sequenceCount,
    octets: r.octets,
    bits: r.octets * 8,
    status: r.status,
    error: r.error,
    c: r.channels,
    width: r.width,
    height: r.height,
    caption: r.caption
  }
}

export class PacketFeed {
  private lastEmittedId: number

  constructor(private log: PacketLog, private emit: (data: EventMap['packets']) => void) {
    this.lastEmittedId = this.newestId()
  }

  /** Sends every packet added since the last push to subscribers (live views); returns how many. */
  push(): number {
    // Newest first, page by page, down to the last packet already sent (ids only grow).
    const fresh: PacketSummary[] = []
    // A small first page: during a replay there is usually one new packet.
    for (let offset = 0, page = 32; ; offset += page, page = 1000) {
      const rows = this.log.list({ orderBy: 'id', desc: true, limit: page, offset })
      const newer = rows.filter((r) => r.id > this.lastEmittedId)
      for (const r of newer) fresh.push(toPacketSummary(r))
      if (newer.length < rows.length || rows.length < page) break
    }
    if (fresh.length === 0) return 0
    fresh.reverse()
    this.lastEmittedId = fresh[fresh.length - 1].id
    this.emit({ added: fresh })
    return fresh.length
  }

  /** The log was re-classified: what is in it now counts as sent. */
  skipToNewest(): void {
    this.lastEmittedId = this.newestId()
  }

  private newestId(): number {
    return this.log.list({ orderBy: 'id', desc: true, limit: 1 })[0]?.id ?? 0
  }
}
