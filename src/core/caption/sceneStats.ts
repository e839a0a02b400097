// Coarse scene statistics for the built-in captioner: named dominant colours, brightness, and what
// fills the top and bottom bands (sky above, vegetation/earth/water below). Pure integer-friendly
// arithmetic on a fixed sample grid, so the same pixels always give the same description.
import type { DetectorImage } from '../analysis/detector'

export type ColourName = 'black' | 'white' | 'grey' | 'red' | 'orange' | 'yellow' | 'green' | 'blue' | 'purple' | 'pink' | 'brown'

export interface SceneStats {
  /** Mean luma 0..255. */
  brightness: number
  /** Colour names covering at least 12% of the image, most common first (at most three). */
  dominant: ColourName[]
  /** Fraction of the image per colour name. */
  share: Record<ColourName, number>
  /** The top band looks like sky (blue or bright low-saturation, brighter than the bottom). */
  skyAbove: boolean
  /** What mostly fills the bottom band, if it reads as ground. */
  ground: 'vegetation' | 'earth' | 'water' | 'pavement' | 'snow' | null
  /** Mean saturation 0..1 (a flat grey/black frame has ~0). */
  saturation: number
}

const GRID = 48
const NAMES: ColourName[] = ['black', 'white', 'grey', 'red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'brown']

/** Names one RGB colour (0..255) by hue, saturation and value. */
export function colourName(r: number, g: number, b: number): ColourName {
  const max = Math.max(r, g, b)
  const min = Math.min(r, g, b)
  const v = max / 255
  const s = max === 0 ? 0 : (max - min) / max
  if (v < 0.18) return 'black'
  if (s < 0.16 || max - min < 18) return v > 0.8 ? 'white' : v < 0.3 ? 'black' : 'grey'
  let h: number
  const d = max - min
  if (max === r) h = ((g - b) / d + 6) % 6
  else if (max === g) h = (b - r) / d + 2
  else h = (r - g) / d + 4
  h *= 60
  if (h < 15 || h >= 340) return v < 0.55 && s > 0.3 ? 'brown' : s < 0.45 && v > 0.7 ? 'pink' : 'red'
  if (h < 45) return v < 0.6 ? 'brown' : 'orange'
  if (h < 70) return v < 0.45 ? 'brown' : 'yellow'
  if (h < 170) return 'green'
  if (h < 260) return 'blue'
  if (h < 300) return 'purple'
  return 'pink'
}

/** Mean colour of grid cell (gx, gy) of a GRID x GRID partition of the image. */
function cellMean(img: DetectorImage, gx: number, gy: number): [number, number, number] {
  const x0 = Math.floor((gx * img.width) / GRID)
  const x1 = Math.max(x0 + 1, Math.floor(((gx + 1) * img.width) / GRID))
  const y0 = Math.floor((gy * img.height) / GRID)
  const y1 = Math.max(y0 + 1, Math.floor(((gy + 1) * img.height) / GRID))
  // Sample at most 4x4 pixels per cell: enough for coarse statistics, fast on big photos.
  const sx = Math.max(1, Math.floor((x1 - x0) / 4))
  const sy = Math.max(1, Math.floor((y1 - y0) / 4))
  let r = 0
  let g = 0
  let b = 0
  let n = 0
  for (let y = y0; y < Math.min(y1, img.height); y += sy) {
    for (let x = x0; x < Math.min(x1, img.width); x += sx) {
      const i = 3 * (y * img.width + x)
      r += img.data[i]
      g += img.data[i + 1]
      b += img.data[i + 2]
      n++
    }
  }
  return n ? [r / n, g / n, b / n] : [0, 0, 0]
}

export function sceneStats(img: DetectorImage): SceneStats {
  const share = Object.fromEntries(NAMES.map((n) => [n, 0])) as Record<ColourName, number>
  const topShare = Object.fromEntries(NAMES.map((n) => [n, 0])) as Record<ColourName, number>
  const bottomShare = Object.fromEntries(NAMES.map((n) => [n, 0])) as Record<ColourName, number>
  let luma = 0
  let sat = 0
  let topLuma = 0
  let bottomLuma = 0
  const band = Math.floor(GRID / 4)
  for (let gy = 0; gy < GRID; gy++) {
    for (let gx = 0; gx < GRID; gx++) {
      const [r, g, b] = cellMean(img, gx, gy)
      const name = colourName(r, g, b)
      const y = 0.299 * r + 0.587 * g + 0.114 * b
      const max = Math.max(r, g, b)
      share[name]++
      luma += y
      sat += max > 0 ? (max - Math.min(r, g, b)) / max : 0
      if (gy < band) {
        topShare[name]++
        topLuma += y
      } else if (gy >= GRID - band) {
        bottomShare[name]++
        bottomLuma += y
      }
    }
  }
  const cells = GRID * GRID
  const bandCells = band * GRID
  for (const n of NAMES) {
    share[n] /= cells
    topShare[n] /= bandCells
    bottomShare[n] /= bandCells
  }
  const dominant = NAMES.filter((n) => share[n] >= 0.12)
    .sort((a, b) => share[b] - share[a] || NAMES.indexOf(a) - NAMES.indexOf(b))
    .slice(0, 3)
  topLuma /= bandCells
  bottomLuma /= bandCells
  const skyLike = topShare.blue + (topLuma > 170 ? topShare.white + topShare.grey : 0)
  const skyAbove = skyLike >= 0.5 && topLuma >= bottomLuma
  let ground: SceneStats['ground'] = null
  const bottomBest = NAMES.reduce((a, b) => (bottomShare[b] > bottomShare[a] ? b : a))
  if (bottomShare[bottomBest] >= 0.35) {
    if (bottomBest === 'green') ground = 'vegetation'
    else if (bottomBest === 'brown' || bottomBest === 'orange') ground = 'earth'
    else if (bottomBest === 'blue') ground = 'water'
    else if (bottomBest === 'grey') ground = 'pavement'
    else if (bottomBest === 'white' && bottomLuma > 190) ground = 'snow'
  }
  return { brightness: luma / cells, dominant, share, skyAbove, ground, saturation: sat / cells }
}
