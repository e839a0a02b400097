// Monocular depth at the station: mobile PyDNet (self-supervised on KITTI, 35 % pruned, int8 weights dequantised),
// run from resources/models/pydnet_mobile.onnx, which training/depth/convert_pydnet.py converts from the published
// tflite file (see the manifest entry for parity). The model sees the image resized to 640x192 (sharp's linear
// kernel, aspect not kept: KITTI frames are ~3.3:1 like the input) as RGB in 0..1 and gives a 320x96 map.
//
// The model's raw output is negative and falls as inverse depth rises, so the relative inverse depth is -output
// (docs/results/depth/README.md: chosen on KITTI frames that are not report frames). It has no metric scale: compare
// maps after median scaling (depthMetrics.ts).
import * as ort from 'onnxruntime-node'
import { resolve } from 'node:path'
import { defaultModelsDir, modelEntry, verifyModel, type ExecutionProvider } from '../modelAssets/manifest'
import { GscError, describeError } from '../util/errors'
import { assertRgbImage, resizeImage, toPlanarFloat, type RgbImage } from '../image/rgbImage'
import { analysisSessionOptions } from '../modelAssets/sessionOptions'
import { depthMetrics, inverseToDepth, resizeMapBilinear, type DepthEvalOptions, type DepthMetrics } from './depthMetrics'

export const DEPTH_MODEL_ID = 'pydnet_mobile'
export const DEPTH_INPUT_WIDTH = 640
export const DEPTH_INPUT_HEIGHT = 192
export const DEPTH_OUTPUT_WIDTH = 320
export const DEPTH_OUTPUT_HEIGHT = 96
/** onnxruntime intra-op threads for the depth session (see openDepthSession). */
export const DEPTH_INTRA_OP_THREADS = 1

export interface DepthOptions {
  executionProvider?: ExecutionProvider
  /** Models directory (default: resources/models). */
  dir?: string
}

/** Relative inverse depth (larger = nearer), row-major, DEPTH_OUTPUT_WIDTH x DEPTH_OUTPUT_HEIGHT. */
export interface DepthMap {
  width: number
  height: number
  inverseDepth: Float32Array
  /** Size of the image the map was computed from (for bringing it back to that size). */
  sourceWidth: number
  sourceHeight: number
}

const sessions = new Map<string, Promise<ort.InferenceSession>>()

function openDepthSession(opts: DepthOptions): Promise<ort.InferenceSession> {
  const dir = resolve(opts.dir ?? defaultModelsDir())
  const provider = opts.executionProvider ?? 'cpu'
  const key = `${dir}|${provider}|${modelEntry(DEPTH_MODEL_ID, dir).sha256}`
  let p = sessions.get(key)
  if (!p) {
    const v = verifyModel(DEPTH_MODEL_ID, dir)
    if (!v.ok) return Promise.reject(new GscError(v.error ?? 'depth model failed verification', 'EMODELHASH'))
    // One intra-op thread: on the shared 2-core station this small graph ran faster with one than with two (median
    // wall time in every interleaved comparison; docs/bench/analyses.md, session options).
    p = ort.InferenceSession.create(v.path, analysisSessionOptions(provider, DEPTH_INTRA_OP_THREADS)).catch((err) => {
      sessions.delete(key)
      const hint = provider === 'cuda' ? ' (is onnxruntime-node installed with CUDA support? use the cpu provider otherwise)' : ''
      throw new GscError(`cannot load the depth model with the ${provider} provider: ${describeError(err)}${hint}`, 'ENOMODEL')
    })
    sessions.set(key, p)
  }
  return p
}

/**
 * The model's raw output for a planar RGB tensor [3, 192, 640] in 0..1: [96 * 320] values exactly as the tflite
 * graph defines them (negative; see the header). Exposed for parity checks against the tflite reference.
 */
export async function runDepthModel(planar: Float32Array, opts: DepthOptions = {}): Promise<Float32Array> {
  const n = 3 * DEPTH_INPUT_WIDTH * DEPTH_INPUT_HEIGHT
  if (planar.length !== n) throw new GscError(`depth model input must hold ${n} values (3x${DEPTH_INPUT_HEIGHT}x${DEPTH_INPUT_WIDTH}); got ${planar.length}`)
  const session = await openDepthSession(opts)
  let out: ort.InferenceSession.OnnxValueMapType
  try {
    out = await session.run({ image: new ort.Tensor('float32', planar, [1, 3, DEPTH_INPUT_HEIGHT, DEPTH_INPUT_WIDTH]) })
  } catch (err) {
    throw new GscError(`depth model failed: ${describeError(err)}`, 'EMODEL')
  }
  const raw = Float32Array.from(out.inverse_depth_raw.data as Float32Array)
  for (const t of Object.values(out)) t.dispose?.()
  return raw
}

/** Relative inverse depth map of an RGB image of any size (at least 2x2). */
export async function depthMap(img: RgbImage, opts: DepthOptions = {}): Promise<DepthMap> {
  assertRgbImage(img)
  if (img.width < 2 || img.height < 2) throw new GscError(`depth needs an image of at least 2x2 pixels; got ${img.width}x${img.height}`)
  const small = img.width === DEPTH_INPUT_WIDTH && img.height === DEPTH_INPUT_HEIGHT ? img : await resizeImage(img, DEPTH_INPUT_WIDTH, DEPTH_INPUT_HEIGHT, 'linear')
  const raw = await runDepthModel(toPlanarFloat(small), opts)
  for (let i = 0; i < raw.length; i++) raw[i] = -raw[i]
  return { width: DEPTH_OUTPUT_WIDTH, height: DEPTH_OUTPUT_HEIGHT, inverseDepth: raw, sourceWidth: img.width, sourceHeight: img.height }
}

/** The map's relative depth (1 / inverse depth) at the source image's size, bilinear on inverse depth first. */
export function depthAtSourceSize(map: DepthMap): Float32Array {
  return inverseToDepth(resizeMapBilinear(map.inverseDepth, map.width, map.height, map.sourceWidth, map.sourceHeight))
}

/**
 * The paper's metrics for a depth map against sparse LiDAR depth in metres at the source image's size (0 = none),
 * with per-image median scaling; defaults: 80 m cap, Garg crop (the KITTI Eigen-split protocol).
 */
export function depthMapMetrics(map: DepthMap, lidar: Float32Array, opts: DepthEvalOptions = {}): DepthMetrics {
  return depthMetrics(depthAtSourceSize(map), lidar, map.sourceWidth, map.sourceHeight, { gargCrop: true, ...opts })
}

/**
 * Agreement of a reconstruction's depth with the original's (the planner's V for depth): the same metrics with the
 * original's depth map as the reference, every pixel of the 320x96 maps, median scaling of the reconstruction onto
 * the original. RMSE is in the original map's relative units, scaled so that its median depth is 1.
 */
export function depthAgreement(original: DepthMap, reconstruction: DepthMap): DepthMetrics {
  if (original.width !== reconstruction.width || original.height !== reconstruction.height)
    throw new GscError(`depth maps differ in size: ${original.width}x${original.height} and ${reconstruction.width}x${reconstruction.height}`)
  const ref = inverseToDepth(original.inverseDepth)
  const finite = ref.filter((v) => Number.isFinite(v)).sort()
  if (finite.length === 0) throw new GscError('the original depth map has no positive inverse depth')
  const med = finite[Math.floor(finite.length / 2)]
  for (let i = 0; i < ref.length; i++) ref[i] = Number.isFinite(ref[i]) ? ref[i] / med : 0
  return depthMetrics(inverseToDepth(reconstruction.inverseDepth), ref, original.width, original.height, { maxDepth: Infinity, minDepth: 0 })
}
