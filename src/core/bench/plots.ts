// Rate-distortion plots written as SVG by hand (no plotting library), rendered to PNG with sharp (librsvg).
import sharp from 'sharp'

export interface PlotPoint {
  x: number
  y: number
  /** Hollow marker: the codec reached the size on only some images (mean over those). */
  partial?: boolean
  label?: string
}

export interface PlotSeries {
  name: string
  points: PlotPoint[]
}

export interface PlotSpec {
  title: string
  xLabel: string
  yLabel: string
  series: PlotSeries[]
  note?: string
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f']

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** 4-6 "nice" tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1
    lo -= d
    hi += d
  }
  const raw = (hi - lo) / target
  const mag = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => Math.ceil(hi / s - 1e-9) - Math.floor(lo / s + 1e-9) <= target + 1) ?? 10 * mag
  const out: number[] = []
  const first = Math.floor(lo / step + 1e-9)
  const last = Math.ceil(hi / step - 1e-9)
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)))
  return out
}

function fmt(v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 100) return v.toFixed(0)
  if (a >= 1) return String(Math.round(v * 100) / 100)
  return String(Number(v.toPrecision(3)))
}

export function renderSvg(spec: PlotSpec, width = 760, height = 480): string {
  const m = { l: 70, r: 190, t: 40, b: 60 }
  const pts = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
  const xs = pts.map((p) => p.x)
  const ys = pts.map((p) => p.y)
  const xt = niceTicks(Math.min(0, ...xs), xs.length ? Math.max(...xs) : 1)
  const yt = niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1)
  const [x0, x1, y0, y1] = [xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]]
  const pw = width - m.l - m.r
  const ph = height - m.t - m.b
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * pw
  const sy = (y: number) => m.t + ph - ((y - y0) / (y1 - y0 || 1)) * ph
  const o: string[] = []
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`)
  o.push(`<rect width="${width}" height="${height}" fill="white"/>`)
  o.push(`<text x="${m.l + pw / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(spec.title)}</text>`)
  for (const v of xt) {
    o.push(`<line x1="${sx(v)}" y1="${m.t}" x2="${sx(v)}" y2="${m.t + ph}" stroke="#e5e5e5"/>`)
    o.push(`<text x="${sx(v)}" y="${m.t + ph + 18}" text-anchor="middle">${fmt(v)}</text>`)
  }
  for (const v of yt) {
    o.push(`<line x1="${m.l}" y1="${sy(v)}" x2="${m.l + pw}" y2="${sy(v)}" stroke="#e5e5e5"/>`)
    o.push(`<text x="${m.l - 8}" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`)
  }
  o.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  o.push(`<text x="${m.l + pw / 2}" y="${height - 18}" text-anchor="middle">${esc(spec.xLabel)}</text>`)
  o.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`)
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]
    const p = s.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y)).sort((a, b) => a.x - b.x)
    const width = i === 0 ? 3 : 1.5
    if (p.length > 1) o.push(`<polyline fill="none" stroke="${color}" stroke-width="${width}" points="${p.map((q) => `${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`).join(' ')}"/>`)
    for (const q of p) {
      o.push(`<circle cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="${i === 0 ? 4.5 : 3.5}" fill="${q.partial ? 'white' : color}" stroke="${color}" stroke-width="1.5"/>`)
      if (q.label && i === 0) o.push(`<text x="${(sx(q.x) + 6).toFixed(1)}" y="${(sy(q.y) - 6).toFixed(1)}" font-size="10" fill="${color}">${esc(q.label)}</text>`)
    }
    const ly = m.t + 10 + i * 20
    const lx = m.l + pw + 16
    o.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="${width}"/>`)
    o.push(`<circle cx="${lx + 11}" cy="${ly}" r="3.5" fill="${color}"/>`)
    o.push(`<text x="${lx + 28}" y="${ly + 4}">${esc(s.name)}</text>`)
  })
  if (spec.note) {
    const ly = m.t + 20 + spec.series.length * 20
    spec.note.split('\n').forEach((line, k) => o.push(`<text x="${m.l + pw + 16}" y="${ly + k * 14}" font-size="10" fill="#555">${esc(line)}</text>`))
  }
  o.push('</svg>')
  return o.join('\n') + '\n'
}

export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 96 }).png().toBuffer()
}
