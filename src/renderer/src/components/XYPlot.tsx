// A small SVG scatter/line plot with axes, a cursor that snaps to the nearest point, and markers.
import { useState } from 'react'
import { useElementSize } from '@mantine/hooks'

export interface Series {
  name: string
  color: string
  points: { x: number; y: number; label?: string }[]
  line?: boolean
  faint?: boolean
  radius?: number
}

function niceTicks(a: number, b: number, n = 5): number[] {
  if (!(b > a)) return [a]
  const step0 = (b - a) / n
  const mag = 10 ** Math.floor(Math.log10(step0))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0
  const out: number[] = []
  for (let t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) out.push(Number(t.toPrecision(10)))
  return out
}

export function XYPlot(props: {
  series: Series[]
  xLabel: string
  yLabel: string
  height?: number
  xFormat?: (v: number) => string
  yFormat?: (v: number) => string
  vline?: { x: number; label: string; color: string }
  testId?: string
  yMin?: number
}) {
  const { ref, width } = useElementSize()
  const [cursor, setCursor] = useState<{ s: Series; p: Series['points'][number]; px: number; py: number } | null>(null)
  const H = props.height ?? 220
  const m = { l: 56, r: 14, t: 12, b: 36 }
  const all = props.series.flatMap((s) => s.points)
  const xs = all.map((p) => p.x).concat(props.vline ? [props.vline.x] : [])
  const ys = all.map((p) => p.y)
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)]
  let [y0, y1] = [props.yMin ?? Math.min(...ys), Math.max(...ys)]
  if (!Number.isFinite(x0)) [x0, x1] = [0, 1]
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1]
  if (x1 - x0 < 1e-9) [x0, x1] = [x0 - 1, x1 + 1]
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.05, y1 + 0.05]
  const padX = (x1 - x0) * 0.05
  const padY = (y1 - y0) * 0.08
  x0 -= padX
  x1 += padX
  y1 += padY
  if (props.yMin === undefined) y0 -= padY
  const W = Math.max(200, width)
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r)
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b)
  const fx = props.xFormat ?? ((v: number) => String(v))
  const fy = props.yFormat ?? ((v: number) => v.toFixed(2))

  return (
    <div ref={ref} style={{ position: 'relative' }} data-testid={props.testId}>
      <svg
        className="plot"
        width={W}
        height={H}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect()
          const mx = e.clientX - r.left
          const my = e.clientY - r.top
          let best: typeof cursor = null
          let bd = 30 * 30
          for (const s of props.series)
            if (!s.faint)
              for (const p of s.points) {
                const d = (sx(p.x) - mx) ** 2 + (sy(p.y) - my) ** 2
                if (d < bd) {
                  bd = d
                  best = { s, p, px: sx(p.x), py: sy(p.y) }
                }
              }
          setCursor(best)
        }}
        onMouseLeave={() => setCursor(null)}
      >
        {niceTicks(x0, x1).map((t) => (
          <g key={`x${t}`}>
            <line className="grid" x1={sx(t)} x2={sx(t)} y1={m.t} y2={H - m.b} />
            <text x={sx(t)} y={H - m.b + 14} textAnchor="middle">
              {fx(t)}
            </text>
          </g>
        ))}
        {niceTicks(y0, y1, 4).map((t) => (
          <g key={`y${t}`}>
            <line className="grid" x1={m.l} x2={W - m.r} y1={sy(t)} y2={sy(t)} />
            <text x={m.l - 6} y={sy(t) + 4} textAnchor="end">
              {fy(t)}
            </text>
          </g>
        ))}
        <line className="axis" x1={m.l} x2={W - m.r} y1={H - m.b} y2={H - m.b} />
        <line className="axis" x1={m.l} x2={m.l} y1={m.t} y2={H - m.b} />
        <text x={(W + m.l) / 2} y={H - 4} textAnchor="middle">
          {props.xLabel}
        </text>
        <text transform={`translate(12 ${(H - m.b + m.t) / 2}) rotate(-90)`} textAnchor="middle">
          {props.yLabel}
        </text>
        {props.vline && (
          <g>
            <line x1={sx(props.vline.x)} x2={sx(props.vline.x)} y1={m.t} y2={H - m.b} stroke={props.vline.color} strokeDasharray="5 4" strokeWidth={1.5} />
            <text x={sx(props.vline.x) - 4} y={m.t + 10} textAnchor="end" style={{ fill: props.vline.color }}>
              {props.vline.label}
            </text>
          </g>
        )}
        {props.series.map((s) => (
          <g key={s.name} opacity={s.faint ? 0.18 : 1}>
            {s.line !== false && s.points.length > 1 && (
              <polyline fill="none" stroke={s.color} strokeWidth={s.faint ? 1 : 2} points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')} />
            )}
            {!s.faint &&
              s.points.map((p, i) => (
                <g key={i}>
                  <circle cx={sx(p.x)} cy={sy(p.y)} r={s.radius ?? 4} fill={s.color} />
                  {p.label && (
                    <text x={sx(p.x) + 6} y={sy(p.y) - 6} style={{ fill: s.color }}>
                      {p.label}
                    </text>
                  )}
                </g>
              ))}
          </g>
        ))}
        {cursor && (
          <g pointerEvents="none">
            <line x1={cursor.px} x2={cursor.px} y1={m.t} y2={H - m.b} stroke="#8b96a3" strokeDasharray="2 3" />
            <line x1={m.l} x2={W - m.r} y1={cursor.py} y2={cursor.py} stroke="#8b96a3" strokeDasharray="2 3" />
            <circle cx={cursor.px} cy={cursor.py} r={7} fill="none" stroke="#fff" />
          </g>
        )}
      </svg>
      {cursor && (
        <div style={{ position: 'absolute', left: Math.min(cursor.px + 10, W - 200), top: 4, background: 'rgba(22,27,34,.95)', border: '1px solid #39424d', padding: '2px 8px', fontSize: 11, borderRadius: 3, pointerEvents: 'none' }}>
          {cursor.s.name}
          {cursor.p.label ? ` ${cursor.p.label}` : ''}: {props.xLabel} {fx(cursor.p.x)}, {props.yLabel} {fy(cursor.p.y)}
        </div>
      )}
    </div>
  )
}
