// The station's reconstruction of set 22's colour thumbnail (src/core/codec/colourThumbnailCodec.ts) for seeded random
// thumbnails, set 28's luma plane and last step (fineLuma.ts, consistentThumbnail.ts) and set 29's luma detail, as JSON on stdout:
// training/latent/colour_wire.py's and fine_luma_wire.py's simulations are checked against it (check_colour_wire.py;
// CI's smoke test runs both).
import { makeThumbnailConsistent } from '../../src/core/codec/consistentThumbnail'
import { coarseLumaThumbnail, fineLumaPlane, lumaDetail } from '../../src/core/codec/fineLuma'
import { COLOUR_THUMBNAIL_SETS } from '../../src/core/bitstream/colourThumbnail'
import { colourCoefficients, quantizeColourThumbnail, reconstructColourThumbnail } from '../../src/core/codec/colourThumbnailCodec'

const layout = COLOUR_THUMBNAIL_SETS[22]
let seed = 12345
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
const cases = []
for (const [h, w, quantStep, k] of [[8, 8, 96, 0], [16, 16, 128, -2], [32, 48, 256, 3], [7, 13, 64, 0], [33, 50, 512, 8]]) {
  const n = h * w
  const latent = new Float32Array(4 * n)
  for (let i = n; i < 4 * n; i++) latent[i] = (rand() - 0.5) * 1500 + 300 * Math.sin(i / 7)
  const payload = quantizeColourThumbnail(colourCoefficients(latent, layout, h, w), 1, h, w, quantStep, k)
  cases.push({ h, w, quantStep, k, planes: Array.from(latent.subarray(n)), out: Array.from(reconstructColourThumbnail(payload, h, w, quantStep)) })
}
// the station's last step (consistentThumbnail.ts) on a random picture and thumbnails
const [lh, lw] = [3, 5]
const rgb = Float32Array.from({ length: 3 * 256 * lh * lw }, (_, i) => rand() * 0.6 + 0.2 + 0.1 * Math.sin(i / 50))
const thumbnails = Float32Array.from({ length: 3 * lh * lw }, () => (rand() - 0.5) * 200)
const norm = { scale: [1066.0694, 2131.0851, 2233.6959], offset: [-481.73588, -1002.8471, -1148.5704], planes: [0, 1, 2] }
const before = Array.from(rgb)
const fineRgb = Float32Array.from(rgb)
makeThumbnailConsistent(rgb, lh, lw, thumbnails, norm)
// set 28 (fineLuma.ts): the luma plane of an 8-bit picture at factor 4, the networks' Y thumbnail from it, and the last
// step with the luma on a 4x plane (random targets around the picture's own)
const W = 16 * lw
const H = 16 * lh
const pixels = new Uint8Array(3 * W * H)
for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) pixels[3 * i + c] = Math.round(255 * fineRgb[c * W * H + i])
const plane = fineLumaPlane({ width: W, height: H, data: pixels }, 4, norm)
const coarse = coarseLumaThumbnail(plane, lh, lw, 4)
const fineTargets = Float32Array.from([...Array.from(plane, (v) => v + (rand() - 0.5) * 100), ...Array.from(thumbnails.subarray(lh * lw))])
const fineBefore = Array.from(fineRgb)
makeThumbnailConsistent(fineRgb, lh, lw, fineTargets, norm, 4)
// set 29's decoder input: the plane's detail over the networks' Y thumbnail at 1/4 scale, from a 4x and a 2x plane
const plane2 = Float64Array.from({ length: 4 * lh * lw }, () => (rand() - 0.5) * 300)
const detail = { 4: Array.from(lumaDetail(plane, coarse, lh, lw, 4)), 2: Array.from(lumaDetail(plane2, coarseLumaThumbnail(plane2, lh, lw, 2), lh, lw, 2)), plane2: Array.from(plane2) }
const fine = { factor: 4, pixels: Array.from(pixels), plane: Array.from(plane), coarse: Array.from(coarse), rgb: fineBefore, targets: Array.from(fineTargets), out: Array.from(fineRgb), detail }
process.stdout.write(JSON.stringify({ cases, consistent: { lh, lw, rgb: before, thumbnails: Array.from(thumbnails), norm, out: Array.from(rgb) }, fine }))
