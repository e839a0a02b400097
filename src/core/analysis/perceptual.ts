/**
 * Metrics that see what a person sees, beside PSNR and MS-SSIM (metrics.ts):
 * - colourError: mean CIEDE2000 (Sharma, Wu, Dalal 2005) between two images box-downscaled by 8, so it weighs
 *   the colour of regions, not texture or alignment;
 * - blockiness: gradient energy on the 16-pixel block grid over gradient energy elsewhere (1.0 = no grid).
 * Lower is better for both. training/metrics/perceptual_metrics.py computes the same numbers on tensors.
 */
import { GscError } from '../util/errors'
import { luma, type RgbImage } from '../image/rgbImage'

/** Side of the box filter colourError averages over. */
export const COLOUR_SCALE = 8
/** Block grid blockiness looks for (the old g_a's 16x16 block DCT). */
export const BLOCK_GRID = 16
/**
 * Added to both mean squared luma differences (8-bit luma units squared) before dividing, so a flat image
 * (both 0) scores exactly 1. Far below the energy of uint8 rounding in any photo, so it never moves a real ratio.
 */
export const BLOCKINESS_EPS = 1e-3

/** A float image, interleaved channels, any range. */
export interface FloatImage {
  width: number
  height: number
  channels: number
  data: Float64Array
}

/**
 * Box downscale by `factor`: every output pixel is the mean of the (up to) factor x factor input pixels it covers.
 * The output is ceil(w / factor) x ceil(h / factor); partial blocks on the right and bottom edges are averaged over
 * the pixels they have. Values stay in the input's range (sRGB 0..255 for an RgbImage).
 */
export function boxDownscale(img: RgbImage, factor = COLOUR_SCALE): FloatImage {
  if (!Number.isInteger(factor) || factor < 1) throw new GscError(`boxDownscale: factor must be a positive integer, got ${factor}`)
  const { width: w, height: h, data } = img
  const ow = Math.ceil(w / factor)
  const oh = Math.ceil(h / factor)
  const sum = new Float64Array(ow * oh * 3)
  const count = new Float64Array(ow * oh)
  for (let y = 0; y < h; y++) {
    const orow = Math.floor(y / factor) * ow
    for (let x = 0; x < w; x++) {
      const o = orow + Math.floor(x / factor)
      const i = 3 * (y * w + x)
      sum[3 * o] += data[i]
      sum[3 * o + 1] += data[i + 1]
      sum[3 * o + 2] += data[i + 2]
      count[o]++
    }
  }
  for (let o = 0; o < count.length; o++) for (let c = 0; c < 3; c++) sum[3 * o + c] /= count[o]
  return { width: ow, height: oh, channels: 3, data: sum }
}

/** D65 reference white of the sRGB matrix below (CIE 1931 2° observer). */
const WHITE = [0.95047, 1.0, 1.08883]
const DELTA = 6 / 29

function srgbToLinear(v: number): number {
  const c = v / 255
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
}

function labF(t: number): number {
  return t > DELTA ** 3 ? Math.cbrt(t) : t / (3 * DELTA * DELTA) + 4 / 29
}

/** sRGB (0..255, may be fractional) -> CIELAB (D65): IEC 61966-2-1 transfer curve, sRGB -> XYZ matrix, CIE 1976 L*a*b*. */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const R = srgbToLinear(r)
  const G = srgbToLinear(g)
  const B = srgbToLinear(b)
  const X = 0.4124564 * R + 0.3575761 * G + 0.1804375 * B
  const Y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B
  const Z = 0.0193339 * R + 0.119192 * G + 0.9503041 * B
  const fx = labF(X / WHITE[0])
  const fy = labF(Y / WHITE[1])
  const fz = labF(Z / WHITE[2])
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)]
}

const RAD = Math.PI / 180
const POW25_7 = 25 ** 7

/**
 * CIEDE2000 colour difference ΔE00 between two CIELAB colours, exactly as in G. Sharma, W. Wu, E. N. Dalal,
 * "The CIEDE2000 color-difference formula: implementation notes, supplementary test data, and mathematical
 * observations", Color Res. Appl. 30 (2005), eqs. (1)-(17), with kL = kC = kH = 1 by default. Hue angles are
 * in degrees; where a chroma is 0 its hue is 0, Δh' is 0 and the mean hue is the sum, as the paper specifies.
 */
export function ciede2000(lab1: readonly number[], lab2: readonly number[], kL = 1, kC = 1, kH = 1): number {
  const [L1, a1, b1] = lab1
  const [L2, a2, b2] = lab2
  const Cab = (Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2
  const Cab7 = Cab ** 7
  const G = 0.5 * (1 - Math.sqrt(Cab7 / (Cab7 + POW25_7)))
  const ap1 = (1 + G) * a1
  const ap2 = (1 + G) * a2
  const Cp1 = Math.hypot(ap1, b1)
  const Cp2 = Math.hypot(ap2, b2)
  const hue = (b: number, ap: number) => {
    if (b === 0 && ap === 0) return 0
    const h = Math.atan2(b, ap) / RAD
    return h < 0 ? h + 360 : h
  }
  const hp1 = hue(b1, ap1)
  const hp2 = hue(b2, ap2)
  const dL = L2 - L1
  const dC = Cp2 - Cp1
  const CC = Cp1 * Cp2
  let dh = 0
  if (CC !== 0) {
    dh = hp2 - hp1
    if (dh > 180) dh -= 360
    else if (dh < -180) dh += 360
  }
  const dH = 2 * Math.sqrt(CC) * Math.sin((dh / 2) * RAD)
  const Lm = (L1 + L2) / 2
  const Cm = (Cp1 + Cp2) / 2
  let hm = hp1 + hp2
  if (CC !== 0) {
    if (Math.abs(hp1 - hp2) <= 180) hm /= 2
    else hm = hm < 360 ? (hm + 360) / 2 : (hm - 360) / 2
  }
  const T = 1 - 0.17 * Math.cos((hm - 30) * RAD) + 0.24 * Math.cos(2 * hm * RAD) + 0.32 * Math.cos((3 * hm + 6) * RAD) - 0.2 * Math.cos((4 * hm - 63) * RAD)
  const dTheta = 30 * Math.exp(-(((hm - 275) / 25) ** 2))
  const Cm7 = Cm ** 7
  const RC = 2 * Math.sqrt(Cm7 / (Cm7 + POW25_7))
  const Lm50 = (Lm - 50) ** 2
  const SL = 1 + (0.015 * Lm50) / Math.sqrt(20 + Lm50)
  const SC = 1 + 0.045 * Cm
  const SH = 1 + 0.015 * Cm * T
  const RT = -Math.sin(2 * dTheta * RAD) * RC
  const tL = dL / (kL * SL)
  const tC = dC / (kC * SC)
  const tH = dH / (kH * SH)
  return Math.sqrt(tL * tL + tC * tC + tH * tH + RT * tC * tH)
}

/**
 * Colour error: mean CIEDE2000 between `a` and `b` after both are box-downscaled by `factor` (default 8) in sRGB,
 * over all downscaled pixels. 0 for identical images; lower is better.
 */
export function colourError(a: RgbImage, b: RgbImage, factor = COLOUR_SCALE): number {
  let s = 0
  const n = eachCellLab(a, b, factor, (la, lb) => (s += ciede2000(la, lb)))
  return s / n
}

/** Both images box-downscaled by `factor`, then f(CIELAB of a's cell, CIELAB of b's cell, index) for every cell; the
 *  cell count. The colour measures' common first step. */
function eachCellLab(a: RgbImage, b: RgbImage, factor: number, f: (la: [number, number, number], lb: [number, number, number], i: number) => void): number {
  if (a.width !== b.width || a.height !== b.height) throw new GscError(`images differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`)
  const da = boxDownscale(a, factor).data
  const db = boxDownscale(b, factor).data
  const n = da.length / 3
  for (let i = 0; i < n; i++) {
    const j = 3 * i
    f(srgbToLab(da[j], da[j + 1], da[j + 2]), srgbToLab(db[j], db[j + 1], db[j + 2]), i)
  }
  return n
}

/** The most colourful share of cells colourfulChromaLoss looks at. */
export const COLOURFUL_SHARE = 0.1

/**
 * Chroma lost where the original is most colourful: both images box-downscaled by `factor` (default 8), the cells whose
 * original CIELAB chroma C*ab is in its top `share` (ties at the cut included), the mean of max(0, C*ab original - C*ab
 * reconstruction) over them. Why: a small red or yellow object fading to grey moves mean ΔE00 little (it averages over
 * every cell) but is what a person misses first; a reconstruction that adds colour is not counted here. 0 = none lost.
 */
export function colourfulChromaLoss(a: RgbImage, b: RgbImage, factor = COLOUR_SCALE, share = COLOURFUL_SHARE): number {
  const cells = Math.ceil(a.width / factor) * Math.ceil(a.height / factor)
  const original = new Float64Array(cells)
  const decoded = new Float64Array(cells)
  const n = eachCellLab(a, b, factor, (la, lb, i) => {
    original[i] = Math.hypot(la[1], la[2])
    decoded[i] = Math.hypot(lb[1], lb[2])
  })
  const cut = Float64Array.from(original).sort()[Math.min(n - 1, Math.floor((1 - share) * n))]
  let sum = 0
  let count = 0
  for (let i = 0; i < n; i++) {
    if (original[i] < cut) continue
    sum += Math.max(0, original[i] - decoded[i])
    count++
  }
  return sum / count
}

/** (E_boundary + eps) / (E_elsewhere + eps) for one direction; 1 when there is no boundary position at all. */
function gridRatio(y: Float64Array, w: number, h: number, horizontal: boolean, grid: number): number {
  let sb = 0
  let nb = 0
  let so = 0
  let no = 0
  // horizontal: d(x, y) = L(x+1, y) - L(x, y), x = 0..w-2; vertical: the same down the columns
  const along = horizontal ? w : h
  const across = horizontal ? h : w
  const step = horizontal ? 1 : w
  const stride = horizontal ? w : 1
  for (let k = 0; k < across; k++) {
    const base = k * stride
    for (let t = 0; t + 1 < along; t++) {
      const i = base + t * step
      const d = y[i + step] - y[i]
      if ((t + 1) % grid === 0) {
        sb += d * d
        nb++
      } else {
        so += d * d
        no++
      }
    }
  }
  if (nb === 0 || no === 0) return 1
  return (sb / nb + BLOCKINESS_EPS) / (so / no + BLOCKINESS_EPS)
}

/**
 * Blockiness on the `grid`-pixel block grid (default 16), on BT.601 full-range luma (0..255) of `img`:
 * horizontal differences d(x, y) = L(x+1, y) - L(x, y); boundary positions are x with (x + 1) % grid == 0 (the step
 * from the last column of one block to the first of the next); ratio_h = (mean d² on boundary positions + eps) /
 * (mean d² elsewhere + eps), eps = BLOCKINESS_EPS; ratio_v the same down the columns; blockiness = (ratio_h + ratio_v) / 2.
 * 1.0 = no grid (a flat image is exactly 1; a direction with no boundary inside the image counts as 1); a visible
 * block grid gives values well above 1. Lower is better, down to 1. No reference image is needed.
 */
export function blockiness(img: RgbImage, grid = BLOCK_GRID): number {
  if (!Number.isInteger(grid) || grid < 2) throw new GscError(`blockiness: grid must be an integer >= 2, got ${grid}`)
  const y = luma(img)
  const { width: w, height: h } = img
  return (gridRatio(y, w, h, true, grid) + gridRatio(y, w, h, false, grid)) / 2
}
