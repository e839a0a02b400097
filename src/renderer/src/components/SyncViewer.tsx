// One image panel of the Image view. All panels share one view (zoom + centre, normalised to the
// image) so zoom and pan stay synchronised across reconstruction, original and baseline.
import { useRef, type ReactNode } from 'react'
import { useElementSize } from '@mantine/hooks'
import type { TransmittedBox } from '../../../shared/api'
import { DETECTED_COLOR, TRANSMITTED_COLOR } from '../theme'

export interface SharedView {
  zoom: number
  cx: number
  cy: number
}

export interface OverlaySet {
  boxes: TransmittedBox[]
  color: string
  dashed?: boolean
  label: string
}

export function SyncViewer(props: {
  label: string
  src: string
  width: number
  height: number
  view: SharedView
  setView: (v: SharedView) => void
  filter: string
  overlays?: OverlaySet[]
  uncertainty?: string | null
  /** Drawn over the picture in image coordinates (the Image view's analysis overlay). */
  layer?: ReactNode
  testId?: string
}) {
  const { ref, width: vw, height: vh } = useElementSize()
  const drag = useRef<{ x: number; y: number; v: SharedView } | null>(null)
  const { width: W, height: H, view } = props
  const fit = vw > 0 && vh > 0 ? Math.min(vw / W, vh / H) : 0
  const s = fit * view.zoom
  const tx = vw / 2 - view.cx * W * s
  const ty = vh / 2 - view.cy * H * s
  const clamp = (v: number) => Math.min(1, Math.max(0, v))

  return (
    <div
      ref={ref}
      className="viewer"
      style={{ flex: 1, minWidth: 0, height: '100%' }}
      data-testid={props.testId}
      onWheel={(e) => {
        const k = e.deltaY < 0 ? 1.2 : 1 / 1.2
        props.setView({ ...view, zoom: Math.min(32, Math.max(0.5, view.zoom * k)) })
      }}
      onPointerDown={(e) => {
        drag.current = { x: e.clientX, y: e.clientY, v: view }
        e.currentTarget.setPointerCapture(e.pointerId)
      }}
      onPointerMove={(e) => {
        if (!drag.current || s === 0) return
        const d = drag.current
        props.setView({ zoom: d.v.zoom, cx: clamp(d.v.cx - (e.clientX - d.x) / (W * s)), cy: clamp(d.v.cy - (e.clientY - d.y) / (H * s)) })
      }}
      onPointerUp={() => (drag.current = null)}
    >
      <span className="label">{props.label}</span>
      {fit > 0 && (
        <div className="stage" style={{ transform: `translate(${tx}px, ${ty}px) scale(${s})`, width: W, height: H }}>
          <img src={props.src} width={W} height={H} style={{ filter: props.filter }} draggable={false} alt={props.label} />
          {props.layer}
          {props.uncertainty && (
            <img
              src={props.uncertainty}
              width={W}
              height={H}
              draggable={false}
              alt="uncertainty"
              data-testid="uncertainty-overlay"
              style={{ position: 'absolute', left: 0, top: 0, opacity: 0.55, mixBlendMode: 'screen' }}
            />
          )}
          <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} style={{ position: 'absolute', left: 0, top: 0, overflow: 'visible' }}>
            {(props.overlays ?? []).map((o) =>
              o.boxes.map((b, i) => {
                const [x1, y1, x2, y2] = [b.box[0] * W, b.box[1] * H, b.box[2] * W, b.box[3] * H]
                const sw = 2 / Math.max(s, 0.01)
                const fs = 12 / Math.max(s, 0.01)
                return (
                  <g key={`${o.label}-${i}`} data-testid={`box-${o.label}`}>
                    <rect x={x1} y={y1} width={x2 - x1} height={y2 - y1} fill="none" stroke={o.color} strokeWidth={sw} strokeDasharray={o.dashed ? `${4 * sw} ${2 * sw}` : undefined} />
                    <rect x={x1} y={y1 - fs * 1.3} width={fs * 0.62 * (b.className.length + 5)} height={fs * 1.3} fill={o.color} opacity={0.85} />
                    <text x={x1 + fs * 0.2} y={y1 - fs * 0.3} style={{ fontSize: fs, fill: '#0a0d11', fontWeight: 600 }}>
                      {b.className} {b.score.toFixed(2)}
                    </text>
                  </g>
                )
              })
            )}
          </svg>
        </div>
      )}
    </div>
  )
}

export const OVERLAY_COLORS = { transmitted: TRANSMITTED_COLOR, detected: DETECTED_COLOR }
