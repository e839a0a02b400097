// Mission timeline: packets over time (status colour, bits as bar height), sequence gaps, chosen C,
// and a time conductor: LIVE follows new packets; zooming or panning switches to a FIXED range.
// The engine answers for the range shown: the packets themselves when at most DETAIL_LIMIT fall in it, else
// buckets counted at the matching zoom level (roll-ups), so a log of millions of packets draws as fast as a small one.
import { useEffect, useMemo, useRef, useState } from 'react'
import { Badge, Button, Group, NumberInput, Paper, SegmentedControl, Text, Tooltip } from '@mantine/core'
import { useElementSize } from '@mantine/hooks'
import type { PacketSummary, TimelineBucket, TimelineView as TimelineData } from '../../../shared/api'
import { useEngine } from '../state'
import { FIXED_COLOR, GAP_COLOR, LIVE_COLOR, STATUS_COLOR, STATUS_LABEL, STATUS_ORDER, fmtBits, fmtTime } from '../theme'

const DETAIL_LIMIT = 2000

type Axis = 'time' | 'order'

const M = { left: 84, right: 16, top: 14 }
const C_H = 80
const STATUS_H = 26
const AXIS_H = 30

export function TimelineView() {
  const { api, packets: livePackets, openPacket, selectedId } = useEngine()
  const { ref, width, height: boxH } = useElementSize()
  const [axisChoice, setAxisChoice] = useState<'auto' | Axis>('auto')
  const [live, setLive] = useState(true)
  const [fixed, setFixed] = useState<[number, number] | null>(null)
  const [hover, setHover] = useState<PacketSummary | null>(null)
  const [hoverBucket, setHoverBucket] = useState<TimelineBucket | null>(null)
  const [apid, setApid] = useState<number | string>('')
  const [data, setData] = useState<TimelineData | null>(null)
  const drag = useRef<{ x: number; domain: [number, number] } | null>(null)

  // Imports ingest a whole capture in a moment; then arrival order is the readable axis (judged on the newest packets).
  const liveTimes = livePackets.map((p) => Date.parse(p.receivedAt))
  const liveSpan = liveTimes.length > 1 ? liveTimes[liveTimes.length - 1] - liveTimes[0] : 0
  const axis: Axis = axisChoice !== 'auto' ? axisChoice : livePackets.length > 1 && liveSpan < livePackets.length * 100 ? 'order' : 'time'
  const apidFilter = typeof apid === 'number' ? apid : undefined
  const plotW = Math.max(100, width - M.left - M.right)
  const newest = livePackets.length ? livePackets[livePackets.length - 1].id : 0

  // Ask the engine for the range shown (whole log when live), about one bucket per 2 pixels.
  useEffect(() => {
    const range = live || !fixed ? {} : { start: Math.max(0, Math.floor(fixed[0])), end: Math.max(0, Math.ceil(fixed[1])) }
    const t = setTimeout(() => {
      api
        .timeline({ axis, buckets: Math.max(20, Math.min(2000, Math.floor(plotW / 2))), limit: DETAIL_LIMIT, apid: apidFilter, ...range })
        .then((r) => r.view && setData(r.view))
        .catch(() => {})
    }, 120)
    return () => clearTimeout(t)
  }, [api, axis, live, fixed, apidFilter, plotW, newest])

  const view = data && data.axis === axis ? data : null
  const detail = view !== null && view.detail
  const packets = detail ? view.packets : []
  const buckets = view && !detail ? view.buckets : []
  const xOf = (p: PacketSummary) => (axis === 'time' ? Date.parse(p.receivedAt) : p.id)

  const full: [number, number] = useMemo(() => {
    const pad = (a: number, b: number): [number, number] => {
      const m = Math.max(axis === 'time' ? 1000 : 0.6, (b - a) * 0.03)
      return [a - m, b + m]
    }
    if (packets.length > 0) return pad(xOf(packets[0]), xOf(packets[packets.length - 1]))
    if (buckets.length > 0) return pad(buckets[0].start, buckets[buckets.length - 1].end)
    return axis === 'time' ? [Date.now() - 60_000, Date.now()] : [0, 10]
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view, axis])

  // LIVE: the window keeps its width and slides with the newest packet.
  const domain: [number, number] = live || !fixed ? full : fixed
  const sx = (x: number) => M.left + ((x - domain[0]) / (domain[1] - domain[0])) * plotW
  const maxBits = Math.max(1, ...packets.map((p) => p.bits), ...buckets.map((b) => b.maxOctets * 8))
  const times = packets.map((p) => Date.parse(p.receivedAt))
  const spanMs = times.length > 1 ? times[times.length - 1] - times[0] : 0
  const unit = axis === 'time' ? Math.max(1, spanMs / Math.max(1, packets.length - 1)) : 1
  const bandW = Math.max(3, Math.min(28, (unit / (domain[1] - domain[0])) * plotW * 0.7))
  // The bits lane takes whatever height the window leaves.
  const BITS_H = Math.max(150, boxH - (C_H + STATUS_H + AXIS_H + 60))
  const yBits = (b: number) => M.top + BITS_H - (b / maxBits) * (BITS_H - 10)
  const cTop = M.top + BITS_H + 14
  const cVals = [1, 2, 4, 8, 16]
  const yC = (c: number) => cTop + C_H - (Math.log2(Math.max(1, Math.min(16, c))) / 4) * (C_H - 10) - 5
  const statusTop = cTop + C_H + 12
  const axisTop = statusTop + STATUS_H + 6
  const height = axisTop + AXIS_H

  const gapMarks = (view?.gaps ?? []).map((g) => {
    const x0 = axis === 'time' ? Date.parse(g.fromTime) : (g.fromId ?? g.toId ?? 0)
    const x1 = axis === 'time' ? Date.parse(g.toTime) : (g.toId ?? x0 + 1)
    return { g, x0, x1 }
  })

  const leaveLive = (d: [number, number]) => {
    setLive(false)
    setFixed(d)
  }
  const onWheel = (e: React.WheelEvent<SVGSVGElement>) => {
    const rect = e.currentTarget.getBoundingClientRect()
    const fx = Math.min(1, Math.max(0, (e.clientX - rect.left - M.left) / plotW))
    const at = domain[0] + fx * (domain[1] - domain[0])
    const k = e.deltaY > 0 ? 1.25 : 0.8
    leaveLive([at - (at - domain[0]) * k, at + (domain[1] - at) * k])
  }
  const zoom = (k: number) => {
    const mid = (domain[0] + domain[1]) / 2
    const half = ((domain[1] - domain[0]) / 2) * k
    leaveLive([mid - half, mid + half])
  }
  const onDown = (e: React.PointerEvent<SVGSVGElement>) => {
    if ((e.target as Element).closest('[data-packet]')) return
    drag.current = { x: e.clientX, domain }
    e.currentTarget.setPointerCapture(e.pointerId)
  }
  const onMove = (e: React.PointerEvent<SVGSVGElement>) => {
    if (!drag.current) return
    const dx = e.clientX - drag.current.x
    if (Math.abs(dx) < 3) return
    const shift = (-dx / plotW) * (drag.current.domain[1] - drag.current.domain[0])
    leaveLive([drag.current.domain[0] + shift, drag.current.domain[1] + shift])
  }
  const onUp = () => (drag.current = null)

  const ticks = useMemo(() => {
    const n = Math.max(2, Math.floor(plotW / 130))
    if (axis === 'order') {
      // Whole packet ids only, at a step that keeps labels apart.
      const step = Math.max(1, Math.ceil((domain[1] - domain[0]) / n))
      const out: number[] = []
      for (let t = Math.ceil(domain[0] / step) * step; t <= domain[1]; t += step) if (t >= 1) out.push(t)
      return out
    }
    return Array.from({ length: n + 1 }, (_, i) => domain[0] + ((domain[1] - domain[0]) * i) / n)
  }, [domain, plotW, axis])

  const tickStep = ticks.length > 1 ? ticks[1] - ticks[0] : 1000
  const rangeText =
    axis === 'time'
      ? `${fmtTime(new Date(domain[0]).toISOString(), true)} → ${fmtTime(new Date(domain[1]).toISOString())}`
      : `packets #${Math.max(1, Math.ceil(domain[0]))} – #${Math.max(1, Math.floor(domain[1]))} (arrival order)`
  const countText = view
    ? `${view.total.toLocaleString('en-US')} packet(s)${apidFilter !== undefined ? ` of APID ${apidFilter}` : ''}${detail ? '' : ` in buckets of ${axis === 'time' ? fmtSpan(view.bucketWidth) : `${view.bucketWidth.toLocaleString('en-US')} packets`}`}`
    : ''

  return (
    <Paper p="sm" withBorder style={{ flex: 1, display: 'flex', flexDirection: 'column', minHeight: 0 }}>
      <Group justify="space-between" mb="xs" data-testid="time-conductor">
        <Group gap="xs">
          {live ? (
            <Badge color="green" variant="light" size="lg" data-testid="conductor-mode" style={{ color: LIVE_COLOR }}>
              <span className="live-dot" />
              LIVE
            </Badge>
          ) : (
            <Badge variant="outline" size="lg" data-testid="conductor-mode" style={{ color: FIXED_COLOR, borderColor: FIXED_COLOR }}>
              FIXED RANGE
            </Badge>
          )}
          <Text size="sm" className="mono" data-testid="conductor-range">
            {rangeText}
          </Text>
          <Text size="xs" c="dimmed" data-testid="timeline-count">
            {countText}
          </Text>
        </Group>
        <Group gap="xs" align="center">
          <NumberInput
            size="xs"
            w={110}
            min={0}
            max={2047}
            placeholder="all APIDs"
            aria-label="APID"
            value={apid}
            onChange={setApid}
            data-testid="timeline-apid"
          />
          <SegmentedControl
            size="xs"
            value={axisChoice}
            onChange={(v) => setAxisChoice(v as 'auto' | Axis)}
            data={[
              { value: 'auto', label: 'Auto axis' },
              { value: 'time', label: 'Received time' },
              { value: 'order', label: 'Arrival order' }
            ]}
          />
          <Button size="xs" variant="default" onClick={() => zoom(0.5)} data-testid="zoom-in">
            Zoom in
          </Button>
          <Button size="xs" variant="default" onClick={() => zoom(2)}>
            Zoom out
          </Button>
          <Button size="xs" variant={live ? 'light' : 'filled'} color="green" onClick={() => (setLive(true), setFixed(null))} data-testid="go-live">
            Follow live
          </Button>
        </Group>
      </Group>
      <div ref={ref} style={{ flex: 1, minHeight: 320, position: 'relative' }}>
        {view !== null && view.total === 0 && live && (
          <Text c="dimmed" ta="center" mt={80}>
            {apidFilter === undefined ? 'No packets in the log yet. Import or replay a capture in the Replay view.' : `No packets of APID ${apidFilter} in the log.`}
          </Text>
        )}
        {width > 0 && (
          <svg
            className="plot"
            width={width}
            height={height}
            onWheel={onWheel}
            onPointerDown={onDown}
            onPointerMove={onMove}
            onPointerUp={onUp}
            data-testid="timeline-plot"
          >
            <defs>
              <pattern id="gap-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                <rect width="6" height="6" fill="rgba(240,160,48,0.10)" />
                <line x1="0" y1="0" x2="0" y2="6" stroke={GAP_COLOR} strokeWidth="2" />
              </pattern>
              <clipPath id="plot-clip">
                <rect x={M.left} y={0} width={plotW} height={height} />
              </clipPath>
            </defs>
            {/* lane labels and grids */}
            <text x={8} y={M.top + 10}>bits / packet</text>
            <text x={8} y={M.top + 24} style={{ fontSize: 10 }}>max {fmtBits(maxBits)}</text>
            {[0.25, 0.5, 0.75, 1].map((f) => (
              <line key={f} className="grid" x1={M.left} x2={M.left + plotW} y1={yBits(maxBits * f)} y2={yBits(maxBits * f)} />
            ))}
            <line className="axis" x1={M.left} x2={M.left + plotW} y1={yBits(0)} y2={yBits(0)} />
            <text x={8} y={cTop + C_H / 2}>chosen C</text>
            {cVals.map((c) => (
              <g key={c}>
                <line className="grid" x1={M.left} x2={M.left + plotW} y1={yC(c)} y2={yC(c)} />
                <text x={M.left - 8} y={yC(c) + 4} textAnchor="end">{c}</text>
              </g>
            ))}
            <text x={8} y={statusTop + 16}>status</text>
            <g clipPath="url(#plot-clip)">
              {gapMarks.map(({ g, x0, x1 }, i) => {
                const a = sx(x0) + bandW / 2
                const b = Math.max(a + 8, sx(x1) - bandW / 2)
                return (
                  <g key={i} data-testid="gap-marker">
                    <rect x={a} y={M.top} width={b - a} height={statusTop + STATUS_H - M.top} fill="url(#gap-hatch)" />
                    <text x={(a + b) / 2} y={M.top + 12} textAnchor="middle" style={{ fill: GAP_COLOR, fontWeight: 600 }}>
                      gap −{g.missing}
                    </text>
                    <title>{`APID ${g.apid}: sequence ${g.fromSeq} → ${g.toSeq}, ${g.missing} packet(s) missing`}</title>
                  </g>
                )
              })}
              {buckets.map((b) => {
                const x0 = sx(b.start)
                const x1 = sx(b.end)
                if (x1 < M.left - 30 || x0 > M.left + plotW + 30) return null
                const w = Math.max(1, x1 - x0 - 0.5)
                const top = STATUS_ORDER.find((st) => (b.byStatus[st] ?? 0) > 0) ?? 'ok'
                let y = statusTop
                return (
                  <g
                    key={b.start}
                    data-bucket={b.start}
                    data-count={b.packets}
                    className="clickable"
                    onClick={() => leaveLive([b.start, b.end])}
                    onMouseEnter={() => setHoverBucket(b)}
                    onMouseLeave={() => setHoverBucket(null)}
                  >
                    <rect x={x0} y={yBits(b.maxOctets * 8)} width={w} height={yBits(0) - yBits(b.maxOctets * 8)} fill={STATUS_COLOR[top]} opacity={0.8} />
                    {b.cMin !== null && b.cMax !== null && (
                      <>
                        <line x1={x0 + w / 2} x2={x0 + w / 2} y1={yC(b.cMin)} y2={yC(b.cMax)} stroke="#39c5e6" strokeWidth={Math.min(4, Math.max(1, w))} opacity={0.5} />
                        <circle cx={x0 + w / 2} cy={yC(b.cMean ?? b.cMin)} r={Math.min(4, Math.max(1.5, w / 2))} fill="#39c5e6" />
                      </>
                    )}
                    {STATUS_ORDER.map((st) => {
                      const n = b.byStatus[st] ?? 0
                      if (n === 0) return null
                      const h = (n / b.packets) * STATUS_H
                      const r = <rect key={st} x={x0} y={y} width={w} height={h} fill={STATUS_COLOR[st]} />
                      y += h
                      return r
                    })}
                    <rect x={x0} y={M.top} width={w} height={statusTop + STATUS_H - M.top} fill="transparent" />
                  </g>
                )
              })}
              {packets.map((p) => {
                const x = sx(xOf(p))
                if (x < M.left - 30 || x > M.left + plotW + 30) return null
                const color = STATUS_COLOR[p.status]
                const sel = p.id === selectedId
                return (
                  <g
                    key={p.id}
                    data-packet={p.id}
                    data-status={p.status}
                    data-apid={p.apid ?? ''}
                    className="clickable"
                    onClick={() => openPacket(p.id)}
                    onMouseEnter={() => setHover(p)}
                    onMouseLeave={() => setHover(null)}
                  >
                    <rect x={x - bandW / 2} y={yBits(p.bits)} width={bandW} height={yBits(0) - yBits(p.bits)} fill={color} opacity={p.status === 'ok' ? 0.85 : 1} stroke={sel ? '#fff' : 'none'} />
                    {p.c !== null && p.status === 'ok' && <circle cx={x} cy={yC(p.c)} r={4} fill="#39c5e6" stroke={sel ? '#fff' : 'none'} />}
                    {p.c !== null && p.status === 'ok' && bandW > 14 && (
                      <text x={x} y={yC(p.c) - 7} textAnchor="middle" style={{ fontSize: 10 }}>
                        {p.c}
                      </text>
                    )}
                    <rect x={x - bandW / 2} y={statusTop} width={bandW} height={STATUS_H} fill={color} rx={2} />
                    {p.status !== 'ok' && (
                      <text x={x} y={statusTop + 17} textAnchor="middle" style={{ fill: '#fff', fontWeight: 700 }}>
                        ✕
                      </text>
                    )}
                    <rect x={x - bandW / 2 - 2} y={M.top} width={bandW + 4} height={statusTop + STATUS_H - M.top} fill="transparent" />
                  </g>
                )
              })}
            </g>
            <line className="axis" x1={M.left} x2={M.left + plotW} y1={axisTop} y2={axisTop} />
            {ticks.map((t, i) => (
              <g key={i}>
                <line className="axis" x1={sx(t)} x2={sx(t)} y1={axisTop} y2={axisTop + 5} />
                <text x={sx(t)} y={axisTop + 18} textAnchor="middle">
                  {axis === 'time' ? fmtTime(new Date(t).toISOString()).slice(0, tickStep < 1000 ? (tickStep < 100 ? 12 : 10) : 8) : `#${Math.round(t)}`}
                </text>
              </g>
            ))}
          </svg>
        )}
        {hoverBucket && !hover && (
          <Paper withBorder p={6} style={{ position: 'absolute', right: 8, top: 8, pointerEvents: 'none', minWidth: 240 }} data-testid="timeline-hover">
            <Text size="xs" fw={600}>
              {hoverBucket.packets.toLocaleString('en-US')} packet(s) ·{' '}
              {axis === 'time' ? `${fmtTime(new Date(hoverBucket.start).toISOString(), true)} + ${fmtSpan(hoverBucket.end - hoverBucket.start)}` : `#${hoverBucket.start} – #${hoverBucket.end - 1}`}
            </Text>
            {STATUS_ORDER.filter((st) => hoverBucket.byStatus[st]).map((st) => (
              <Text key={st} size="xs" style={{ color: STATUS_COLOR[st] }}>
                {STATUS_LABEL[st]}: {hoverBucket.byStatus[st]!.toLocaleString('en-US')}
              </Text>
            ))}
            <Text size="xs" className="mono">
              up to {fmtBits(hoverBucket.maxOctets * 8)} · C {hoverBucket.cMin ?? '—'}–{hoverBucket.cMax ?? '—'} · click to zoom in
            </Text>
          </Paper>
        )}
        {hover && (
          <Paper withBorder p={6} style={{ position: 'absolute', right: 8, top: 8, pointerEvents: 'none', minWidth: 240 }} data-testid="timeline-hover">
            <Text size="xs" fw={600}>
              Packet #{hover.id} · APID {hover.apid ?? '—'} · seq {hover.sequenceCount ?? '—'}
            </Text>
            <Text size="xs" style={{ color: STATUS_COLOR[hover.status] }}>
              {STATUS_LABEL[hover.status]}
              {hover.error ? `: ${hover.error}` : ''}
            </Text>
            <Text size="xs" className="mono">
              {fmtTime(hover.receivedAt, true)} · {fmtBits(hover.bits)} · C={hover.c ?? '—'}
            </Text>
            {hover.caption && (
              <Text size="xs" c="dimmed" lineClamp={2}>
                “{hover.caption}”
              </Text>
            )}
          </Paper>
        )}
      </div>
      <Group gap="md" mt="xs">
        {STATUS_ORDER.map((s) => (
          <Group key={s} gap={4}>
            <span style={{ width: 10, height: 10, background: STATUS_COLOR[s], display: 'inline-block', borderRadius: 2 }} />
            <Text size="xs">{STATUS_LABEL[s]}</Text>
          </Group>
        ))}
        <Group gap={4}>
          <span style={{ width: 10, height: 10, background: GAP_COLOR, display: 'inline-block', borderRadius: 2 }} />
          <Text size="xs">missing sequence counts</Text>
        </Group>
        <Tooltip label="Scroll to zoom, drag to pan (leaves live mode); click a packet to open its image">
          <Text size="xs" c="dimmed">
            scroll = zoom · drag = pan · click = open image
          </Text>
        </Tooltip>
      </Group>
    </Paper>
  )
}

function fmtSpan(ms: number): string {
  if (ms >= 86_400_000) return `${+(ms / 86_400_000).toFixed(1)} d`
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} h`
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(1)} min`
  return `${+(ms / 1000).toFixed(1)} s`
}
