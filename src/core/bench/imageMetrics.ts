/**
 * The image-quality metrics `gsc bench` measures on every reconstruction (GSC and each baseline), in one list:
 * the cache records, the summaries, the report's tables, definitions and best-baseline comparisons, and the plots
 * are all driven by it. Adding a metric (e.g. LPIPS) is one entry here; the metric keys are part of the bench
 * cache fingerprint, so cached cells measured without it are recomputed rather than read with a hole.
 */
import { createHash } from 'node:crypto'
import { msssimAgainst, msssimReference, psnr, type MsssimReference } from '../analysis/metrics'
import { BLOCKINESS_EPS, BLOCK_GRID, COLOUR_SCALE, blockiness, colourError } from '../analysis/perceptual'
import { lpipsDistance } from '../analysis/lpips'
import { FLAT_CELL, FLAT_SHARE, falseTexture } from '../analysis/falseTexture'
import type { RgbImage } from '../image/rgbImage'

export interface ImageMetric {
  key: string
  /** Column header in the report's tables. */
  label: string
  /** Decimals shown in the report. */
  digits: number
  better: 'higher' | 'lower'
  /** One sentence for the report's method section (what it measures, how; its direction is added there). */
  definition: string
  /** Plot of this metric against bits per pixel, written as <dataset>-<file>.{svg,png}. */
  plot?: { file: string; axis: string }
  /** In the report's comparison of GSC with the best baseline beside the goal table (the goal's own metrics are there already). */
  compare: boolean
  compute(original: RgbImage, reconstruction: RgbImage): number | Promise<number>
}

/** MS-SSIM's original side, kept for the last original (by content) while the bench compares each of its
 *  reconstructions (GSC at every C, every baseline) with it: the same value as msssim, without recomputing that side. */
let keptMsssim: { key: string; reference: MsssimReference } | null = null
function msssimToOriginal(original: RgbImage, reconstruction: RgbImage): number {
  const key = `${original.width}x${original.height}|${createHash('sha1').update(original.data).digest('hex')}`
  if (keptMsssim?.key !== key) {
    keptMsssim = null // the previous original's scales are not held while the next one's are built
    keptMsssim = { key, reference: msssimReference(original) }
  }
  return msssimAgainst(keptMsssim.reference, reconstruction)
}

export const IMAGE_METRICS = [
  {
    key: 'psnr',
    label: 'PSNR dB',
    digits: 2,
    better: 'higher',
    definition: 'PSNR: 10·log10(255² / MSE) over all RGB samples, in dB.',
    plot: { file: 'psnr', axis: 'PSNR (dB)' },
    compare: false,
    compute: psnr
  },
  {
    key: 'msssim',
    label: 'MS-SSIM',
    digits: 4,
    better: 'higher',
    definition: 'MS-SSIM: on BT.601 luma, 5 scales with the standard weights (Wang, Simoncelli, Bovik 2003), Gaussian 11×11 window, σ 1.5, 2×2 average pooling between scales; 1 = identical.',
    plot: { file: 'msssim', axis: 'MS-SSIM' },
    compare: false,
    compute: msssimToOriginal
  },
  {
    key: 'ciede2000',
    label: 'ΔE00',
    digits: 2,
    better: 'lower',
    definition: `ΔE00 (colour error): mean CIEDE2000 (Sharma, Wu, Dalal 2005; sRGB D65 → CIELAB) between the original and the reconstruction, both box-downscaled by ${COLOUR_SCALE} (the mean of each ${COLOUR_SCALE}×${COLOUR_SCALE} block, partial edge blocks over the pixels they have), over all downscaled pixels: the colour of regions, not texture or exact position; 0 = identical, about 1 = just noticeable side by side.`,
    plot: { file: 'ciede2000', axis: 'ΔE00 at 1/8 scale (lower is better)' },
    compare: true,
    compute: colourError
  },
  {
    key: 'blockiness',
    label: 'blockiness',
    digits: 3,
    better: 'lower',
    definition: `blockiness (${BLOCK_GRID}-px grid): on the reconstruction's BT.601 luma (0..255), the mean squared difference between horizontal neighbours across the ${BLOCK_GRID}-pixel block boundaries (columns x with (x + 1) mod ${BLOCK_GRID} = 0) over the mean elsewhere, likewise vertically, and the mean of the two ratios; ${BLOCKINESS_EPS} is added to each mean so a flat image scores 1. 1.0 = no block grid (a photo scores about 1), higher = a visible grid; it does not look at the original.`,
    plot: { file: 'blockiness', axis: '16-px blockiness (1 = no grid)' },
    compare: true,
    compute: (_original: RgbImage, reconstruction: RgbImage) => blockiness(reconstruction)
  },
  {
    key: 'lpips',
    label: 'LPIPS',
    digits: 3,
    better: 'lower',
    definition: 'LPIPS (v0.1, SqueezeNet 1.1 backbone; Zhang et al. 2018): the learned perceptual distance between original and reconstruction at full resolution, converted by this project from the published linear layers and an fp16 copy of the ImageNet backbone (resources/models/lpips_squeeze.onnx), so values differ slightly from the float original; 0 = identical. It rewards texture and barely sees colour, so it is read beside ΔE00.',
    plot: { file: 'lpips', axis: 'LPIPS-squeeze (lower is better)' },
    compare: true,
    compute: (original: RgbImage, reconstruction: RgbImage) => lpipsDistance(original, reconstruction)
  },
  {
    key: 'falseTexture',
    label: 'false texture',
    digits: 3,
    better: 'lower',
    definition: `false texture: the reconstruction's squared Laplacian response (summed over BT.601 Y, Cb, Cr) averaged over the original's flattest ${FLAT_SHARE * 100} % of ${FLAT_CELL}-px cells, over the original's there; 1 = as much fine detail as the photograph has in its flattest parts. Read beside LPIPS, which rewards fine energy whether or not the photograph has it: a codec that draws grain, ringing or blocks into a sky or a wall reads high; one that blurs reads near 0 here, so this is no realism score, only a check on what is drawn where the photograph has nothing. Means over images are pulled up by a few very flat photographs.`,
    plot: { file: 'false-texture', axis: "false texture (1 = the photo's own detail in its flattest quarter)" },
    compare: false,
    compute: falseTexture
  }
] as const satisfies readonly ImageMetric[]

export type ImageMetricKey = (typeof IMAGE_METRICS)[number]['key']

/** The metric values of one reconstruction. */
export type ImageMetricValues = Record<ImageMetricKey, number>

export async function measureImage(original: RgbImage, reconstruction: RgbImage): Promise<ImageMetricValues> {
  const out = {} as ImageMetricValues
  for (const m of IMAGE_METRICS) out[m.key] = await m.compute(original, reconstruction)
  return out
}

/** True when `a` is strictly better than `b` on metric `m`. */
export function isBetter(m: Pick<ImageMetric, 'better'>, a: number, b: number): boolean {
  return m.better === 'higher' ? a > b : a < b
}
