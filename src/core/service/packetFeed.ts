// Packets as the interface shows them, and the live feed: every packet added to the archive goes once to the
// subscribers of the `packets` event (this engine's imports and replays call push as they go; writes by other
// instances on the same archive arrive through the archive's subscribe).
import type { EventMap, PacketSummary } from '../../shared/api'
import type { PacketArchive } from '../store/archive'
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
  private lastEmittedId = 0
  /** The push in progress: pushes run one after another, so no packet is sent twice. */
  private running: Promise<number> = Promise.resolve(0)
  private unsubscribe: (() => Promise<void>) | null = null

  private constructor(private log: PacketArchive, private emit: (data: EventMap['packets']) => void) {}

  /**
   * A feed that starts after the newest packet stored now, and hears every later write to the archive, by this
   * engine or any other instance on the same archive (PostgreSQL: NOTIFY at commit; SQLite: the file polled).
   */
  static async open(log: PacketArchive, emit: (data: EventMap['packets']) => void, onError: (e: Error) => void): Promise<PacketFeed> {
    const feed = new PacketFeed(log, emit)
    feed.lastEmittedId = await feed.newestId()
    feed.unsubscribe = await log.subscribe(() => void feed.push().catch(onError), { onError })
    return feed
  }

  /** Sends every packet added since the last push to subscribers (live views); resolves to how many. */
  push(): Promise<number> {
    const next = this.running.catch(() => 0).then(() => this.pushNow())
    this.running = next
    return next
  }

  private async pushNow(): Promise<number> {
    // Newest first, page by page, down to the last packet already sent (ids only grow).
    const fresh: PacketSummary[] = []
    // A small first page: during a replay there is usually one new packet.
    for (let offset = 0, page = 32; ; offset += page, page = 1000) {
      const rows = await this.log.list({ orderBy: 'id', desc: true, limit: page, offset })
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
  skipToNewest(): Promise<void> {
    const next = this.running.catch(() => 0).then(async () => {
      this.lastEmittedId = await this.newestId()
      return 0
    })
    this.running = next
    return next.then(() => undefined)
  }

  /** Stops listening to the archive, after the push in progress. */
  async close(): Promise<void> {
    const stop = this.unsubscribe
    this.unsubscribe = null
    if (stop) await stop()
    await this.running.catch(() => 0)
  }

  private async newestId(): Promise<number> {
    return (await this.log.list({ orderBy: 'id', desc: true, limit: 1 }))[0]?.id ?? 0
  }
}
