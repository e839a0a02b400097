// Mission timeline: packets over time (status colour, bits as bar height), sequence gaps, chosen C,
// and a time conductor: LIVE follows new packets; zooming or panning switches to a FIXED range.
import { useMemo, useRef, useState } from 'react'
import { Badge, Button, Group, Paper, SegmentedControl, Text, Tooltip } from '@mantine/core'
import { useElementSize } from '@mantine/hooks'
import type { PacketSummary } from '../../../shared/api'
import { useEngine } from '../state'
import { FIXED_COLOR, GAP_COLOR, LIVE_COLOR, STATUS_COLOR, STATUS_LABEL, fmtBits, fmtTime } from '../theme'

type Axis = 'time' | 'order'

const M = { left: 84, right: 16, top: 14 }
const C_H = 80
const STATUS_H = 26
const AXIS_H = 30

export function TimelineView() {
  const { packets, gaps, openPacket, selectedId } = useEngine()
  const { ref, width, height: boxH } = useElementSize()
  const [axisChoice, setAxisChoice] = useState<'auto' | Axis>('auto')
  const [live, setLive] = useState(true)
  const [fixed, setFixed] = useState<[number, number] | null>(null)
  const [hover, setHover] = useState<PacketSummary | null>(null)
  const drag = useRef<{ x: number; domain: [number, number] } | null>(null)

  const times = packets.map((p) => Date.parse(p.receivedAt))
  const spanMs = times.length > 1 ? times[times.length - 1] - times[0] : 0
  // Imports ingest a whole capture in a moment; then arrival order is the readable axis.
  const axis: Axis = axisChoice !== 'auto' ? axisChoice : packets.length > 1 && spanMs < packets.length * 100 ? 'order' : 'time'
  const xOf = (p: PacketSummary, i: number) => (axis === 'time' ? Date.parse(p.receivedAt) : i)

  const full: [number, number] = useMemo(() => {
    if (packets.length === 0) return axis === 'time' ? [Date.now() - 60_000, Date.now()] : [0, 10]
    const a = xOf(packets[0], 0)
    const b = xOf(packets[packets.length - 1], packets.length - 1)
    const pad = Math.max(axis === 'time' ? 1000 : 0.6, (b - a) * 0.03)
    return [a - pad, b + pad]
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [packets, axis])

  // LIVE: the window keeps its width and slides with the newest packet.
  const domain: [number, number] = live || !fixed ? full : fixed
  const plotW = Math.max(100, width - M.left - M.right)
  const sx = (x: number) => M.left + ((x - domain[0]) / (domain[1] - domain[0])) * plotW
  const maxBits = Math.max(1, ...packets.map((p) => p.bits))
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

  const indexOfId = useMemo(() => new Map(packets.map((p, i) => [p.id, i])), [packets])
  const gapMarks = gaps.map((g) => {
    let x0: number
    let x1: number
    if (axis === 'time') {
      x0 = Date.parse(g.fromTime)
      x1 = Date.parse(g.toTime)
    } else {
      // Between the two packets that border the gap (matched by APID and sequence count).
      const after = packets.findIndex((p) => p.apid === g.apid && p.sequenceCount === g.fromSeq)
      const before = packets.findIndex((p, i) => i > after && p.apid === g.apid && p.sequenceCount === g.toSeq)
      x0 = after >= 0 ? after : 0
      x1 = before >= 0 ? before : x0 + 1
    }
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
      // Whole packets only, at a step that keeps labels apart.
      const step = Math.max(1, Math.ceil((domain[1] - domain[0]) / n))
      const out: number[] = []
      for (let t = Math.ceil(domain[0] / step) * step; t <= domain[1]; t += step) if (t >= 0 && t < packets.length) out.push(t)
      return out
    }
    return Array.from({ length: n + 1 }, (_, i) => domain[0] + ((domain[1] - domain[0]) * i) / n)
  }, [domain, plotW, axis, packets.length])

  const tickStep = ticks.length > 1 ? ticks[1] - ticks[0] : 1000
  const rangeText =
    axis === 'time'
      ? `${fmtTime(new Date(domain[0]).toISOString(), true)} → ${fmtTime(new Date(domain[1]).toISOString())}`
      : `packets ${Math.max(1, Math.ceil(domain[0]) + 1)} – ${Math.min(packets.length, Math.floor(domain[1]) + 1)} of ${packets.length} (arrival order)`

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
        </Group>
        <Group gap="xs">
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
        {packets.length === 0 && (
          <Text c="dimmed" ta="center" mt={80}>
            No packets in the log yet. Import or replay a capture in the Replay view.
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
              {packets.map((p, i) => {
                const x = sx(xOf(p, i))
                if (x < M.left - 30 || x > M.left + plotW + 30) return null
                const color = STATUS_COLOR[p.status]
                const sel = p.id === selectedId
                return (
                  <g
                    key={p.id}
                    data-packet={p.id}
                    data-status={p.status}
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
                  {axis === 'time' ? fmtTime(new Date(t).toISOString()).slice(0, tickStep < 1000 ? (tickStep < 100 ? 12 : 10) : 8) : packets[Math.round(t)] ? `#${packets[Math.round(t)].id}` : ''}
                </text>
              </g>
            ))}
          </svg>
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
        {(['ok', 'crc_failed', 'malformed'] as const).map((s) => (
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
