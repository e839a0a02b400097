// Set 32's last station step (manifest modelSets[32].sharpenLuma): an unsharp mask on the decoded picture's luma,
// Y + amount x (Y - Gaussian(Y, sigma)), added to R, G and B alike so the chroma stays. Why: set 28's decoder, trained
// on two cores, draws its edges a few pixels too soft at every C, and the packet's planes say nothing finer than 1/4
// scale; steepening the edges it draws moves no edge and invents none (a flat area stays flat, the window averages the
// packet set stay where they are). Measured in docs/bench/latent-codec/ship-rule-set32.md.
import { GscError } from '../util/errors'
import { gaussianBlur } from './textureSynthesis'

export interface LumaSharpening {
  /** The Gaussian's sigma in pixels: the scale of the edges steepened. */
  sigma: number
  /** How much of the luma's detail beyond that Gaussian is added again (0: none). */
  amount: number
}

/** In place on planar RGB (3 x W x H, 0..1 scale): the luma's unsharp mask added to all three planes. */
export function sharpenLuma(rgb: Float32Array, W: number, H: number, p: LumaSharpening): void {
  const n = W * H
  if (rgb.length !== 3 * n) throw new GscError(`luma sharpening: ${rgb.length} values for a ${W}x${H} picture`)
  if (p.amount === 0) return
  const Y = new Float64Array(n)
  for (let i = 0; i < n; i++) Y[i] = 0.299 * rgb[i] + 0.587 * rgb[n + i] + 0.114 * rgb[2 * n + i]
  const blurred = gaussianBlur(Y, W, H, p.sigma)
  for (let i = 0; i < n; i++) {
    const d = p.amount * (Y[i] - blurred[i])
    rgb[i] += d
    rgb[n + i] += d
    rgb[2 * n + i] += d
  }
}
