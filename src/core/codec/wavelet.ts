// The CDF 9/7 wavelet (JPEG 2000's irreversible transform: lifting, whole-sample symmetric extension) over a plane,
// in place, in the subband layout of docs/bitstream.md 6.4 (colourThumbnail.ts). The encoder transforms set 22's
// colour thumbnails before quantising them; the station undoes it on the dequantised coefficients. No block anywhere:
// every basis function overlaps its neighbours, so a coarsely coded thumbnail blurs instead of drawing a grid.
import { waveletLevels } from '../bitstream/colourThumbnail'

const ALPHA = -1.586134342059924
const BETA = -0.052980118572961
const GAMMA = 0.882911075530934
const DELTA = 0.443506852043971
const K = 1.230174104914001

/** Index into [0, n) with whole-sample symmetric extension (n >= 2). */
function mirror(i: number, n: number): number {
  if (i < 0) return -i
  if (i >= n) return 2 * (n - 1) - i
  return i
}

/** One lifting pass on samples of one parity (start 1: odd, 0: even), each from its two neighbours. */
function lift(x: Float64Array, n: number, start: number, c: number): void {
  for (let j = start; j < n; j += 2) x[j] += c * (x[mirror(j - 1, n)] + x[mirror(j + 1, n)])
}

/** 1-D forward on x[0..n): low-pass (ceil(n/2)) then high-pass (floor(n/2)) in t. */
function forward1d(x: Float64Array, n: number, t: Float64Array): void {
  if (n < 2) return
  lift(x, n, 1, ALPHA)
  lift(x, n, 0, BETA)
  lift(x, n, 1, GAMMA)
  lift(x, n, 0, DELTA)
  const half = (n + 1) >> 1
  for (let j = 0; j < n; j++) t[j & 1 ? half + (j >> 1) : j >> 1] = j & 1 ? x[j] * (K / 2) : x[j] / K
  for (let j = 0; j < n; j++) x[j] = t[j]
}

/** 1-D inverse of forward1d. */
function inverse1d(x: Float64Array, n: number, t: Float64Array): void {
  if (n < 2) return
  const half = (n + 1) >> 1
  for (let j = 0; j < n; j++) t[j] = j & 1 ? x[half + (j >> 1)] / (K / 2) : x[j >> 1] * K
  for (let j = 0; j < n; j++) x[j] = t[j]
  lift(x, n, 0, -DELTA)
  lift(x, n, 1, -GAMMA)
  lift(x, n, 0, -BETA)
  lift(x, n, 1, -ALPHA)
}

/** Applies f to every column (length hh) then every row (length ww) of the top-left hh x ww region of plane. */
function eachLine(plane: Float64Array, w: number, hh: number, ww: number, f: (x: Float64Array, n: number, t: Float64Array) => void, columnsFirst: boolean): void {
  const line = new Float64Array(Math.max(hh, ww))
  const t = new Float64Array(line.length)
  const columns = () => {
    for (let x = 0; x < ww; x++) {
      for (let y = 0; y < hh; y++) line[y] = plane[y * w + x]
      f(line, hh, t)
      for (let y = 0; y < hh; y++) plane[y * w + x] = line[y]
    }
  }
  const rows = () => {
    for (let y = 0; y < hh; y++) {
      for (let x = 0; x < ww; x++) line[x] = plane[y * w + x]
      f(line, ww, t)
      for (let x = 0; x < ww; x++) plane[y * w + x] = line[x]
    }
  }
  if (columnsFirst) {
    columns()
    rows()
  } else {
    rows()
    columns()
  }
}

/** Sizes of the region each level transforms: level 1 the whole h x w, each next one its low-pass corner. */
function levelSizes(h: number, w: number): [number, number][] {
  const sizes: [number, number][] = []
  let hh = h
  let ww = w
  for (let l = 0; l < waveletLevels(h, w); l++) {
    sizes.push([hh, ww])
    hh = (hh + 1) >> 1
    ww = (ww + 1) >> 1
  }
  return sizes
}

/** Forward transform of an h x w plane (row-major), in place: columns, then rows, level after level. */
export function forwardWavelet(plane: Float64Array, h: number, w: number): void {
  for (const [hh, ww] of levelSizes(h, w)) eachLine(plane, w, hh, ww, forward1d, true)
}

/** Inverse of forwardWavelet, in place: from the coarsest level, rows then columns. */
export function inverseWavelet(plane: Float64Array, h: number, w: number): void {
  for (const [hh, ww] of levelSizes(h, w).reverse()) eachLine(plane, w, hh, ww, inverse1d, false)
}
