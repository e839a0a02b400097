// Packets: the list, the timeline (roll-ups and the packets themselves when few), one packet's detail,
// and the sequence gaps. The live push is packetFeed.ts.
import type { ArgsOf, GapInfo, PacketDetail, ResultOf } from '../../shared/api'
import { decodeGscPacket } from '../bitstream/gscPacket'
import { inspectPacket } from '../bitstream/inspect'
import type { PacketQuery, PacketRecord } from '../store/types'
import { GscError } from '../util/errors'
import { transmittedBox } from './boxes'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'
import { toPacketSummary } from './packetFeed'

export async function packetRecord(engine: EngineContext, id: number): Promise<PacketRecord> {
  const r = await engine.log.get(id)
  if (!r) throw new GscError(`no packet ${id} in the log`)
  return r
}

function storeQuery(a: ArgsOf<'listPackets'>): PacketQuery {
  const orderBy = ({ id: 'id', receivedAt: 'receivedAt', apid: 'apid', sequenceCount: 'sequenceCount', bits: 'octets', c: 'channels', status: 'id' } as const)[a.sort ?? 'id']
  return {
    apid: a.apid,
    status: a.status,
    from: a.from,
    to: a.to,
    captionContains: a.text || undefined,
    minC: a.c,
    maxC: a.c,
    orderBy,
    desc: (a.order ?? 'asc') === 'desc'
  }
}

/** Gaps (the newest 500) whose later packet lies in the id range, with the times of the packets either side. */
async function gapInfos(engine: EngineContext, q: { fromId?: number; toId?: number; apid?: number } = {}): Promise<{ gaps: GapInfo[]; total: number }> {
  const r = await engine.log.gapsInRange({ ...q, limit: 500 })
  return {
    total: r.total,
    gaps: r.gaps.map((g) => {
      const fromTime = g.afterAt ?? g.detectedAt
      const toTime = g.beforeAt ?? fromTime
      return { apid: g.apid, fromSeq: g.afterSequence, toSeq: g.beforeSequence, missing: g.missing, fromTime, toTime, fromId: g.afterPacketId, toId: g.beforePacketId }
    })
  }
}

/** The timeline at the zoom shown: buckets from the roll-ups, and the packets themselves when few enough. */
async function timelineView(engine: EngineContext, a: ArgsOf<'timeline'>): Promise<ResultOf<'timeline'>> {
  const axis = a.axis ?? 'time'
  const start = a.start ?? (axis === 'time' && a.from ? Date.parse(a.from) : undefined)
  const end = a.end ?? (axis === 'time' && a.to ? Date.parse(a.to) : undefined)
  const agg = await engine.log.timeline({ axis, from: start, to: end, buckets: a.buckets, apid: a.apid })
  const limit = a.limit ?? 2000
  const from = start ?? agg.from
  const to = end ?? agg.to
  const inRange = agg.total <= limit ? await engine.log.packetsInRange({ axis, from, to, apid: a.apid, limit }, agg) : null
  const packets = inRange ?? []
  const ids = agg.buckets.length ? { fromId: agg.buckets[0].firstId, toId: agg.buckets[agg.buckets.length - 1].lastId } : { fromId: 1, toId: 0 }
  const g = await gapInfos(engine, { ...ids, apid: a.apid })
  const view = {
    axis, from: agg.from, to: agg.to, bucketWidth: agg.bucketWidth, total: agg.total, buckets: agg.buckets,
    detail: inRange !== null, packets: packets.map(toPacketSummary), gaps: g.gaps, gapsTotal: g.total
  }
  return { packets: view.packets, gaps: view.gaps, view }
}

async function detail(engine: EngineContext, id: number): Promise<PacketDetail> {
  const r = await packetRecord(engine, id)
  const { maxPixels } = engine.limits()
  const ins = inspectPacket(r.raw, { maxPixels })
  const hex = Buffer.from(r.raw.subarray(0, 48)).toString('hex').replace(/(..)/g, '$1 ').trim()
  // One parse of the payload gives the caption (when the log has none) and the boxes the sender transmitted.
  let payload: ReturnType<typeof decodeGscPacket> | null = null
  if (r.status === 'ok') {
    try {
      payload = decodeGscPacket(r.raw, { maxPixels })
    } catch {
      /* shown as no caption and no boxes */
    }
  }
  return {
    ...toPacketSummary(r),
    caption: r.caption ?? payload?.caption ?? null,
    primary: (ins.primary as Record<string, number> | undefined) ?? null,
    header: (ins.header as unknown as Record<string, unknown>) ?? r.header ?? null,
    colour: ins.colour ?? null,
    bitsBreakdown: ins.bits ? { ...ins.bits } : null,
    transmitted: payload ? payload.detections.map(transmittedBox) : [],
    crcStored: ins.crcStored ?? null,
    crcComputed: ins.crcComputed ?? null,
    hexPreview: hex,
    hasOriginal: engine.ui.hasOriginal(r.sha256)
  }
}

export function packetHandlers(engine: EngineContext): HandlerTable<'listPackets' | 'timeline' | 'getPacket'> {
  return {
    listPackets: async (a) => {
      const q = storeQuery(a)
      const { total, atLeast } = await engine.log.countMatches(q)
      let rows = (await engine.log.list({ ...q, limit: a.limit ?? 200, offset: a.offset ?? 0 })).map(toPacketSummary)
      if (a.sort === 'status') rows = rows.sort((x, y) => x.status.localeCompare(y.status) * (a.order === 'desc' ? -1 : 1))
      return atLeast ? { total, totalAtLeast: true, packets: rows } : { total, packets: rows }
    },
    timeline: async (a) => {
      if (a.buckets !== undefined || a.axis !== undefined || a.start !== undefined || a.end !== undefined) return timelineView(engine, a)
      const rows = (await engine.log.list({ from: a.from, to: a.to, apid: a.apid, orderBy: 'id', desc: true, limit: a.limit ?? 5000 })).reverse()
      return { packets: rows.map(toPacketSummary), gaps: (await gapInfos(engine, { apid: a.apid })).gaps }
    },
    getPacket: async (a) => detail(engine, a.id)
  }
}
