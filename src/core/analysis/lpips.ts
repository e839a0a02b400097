// LPIPS v0.1 (SqueezeNet variant) between two images: the perceptual distance of Zhang et al. (CVPR 2018), run from two
// graphs that training/metrics/export_lpips.py converts from the ncnn SqueezeNet 1.1 backbone (whose weights are fp16)
// and the LPIPS v0.1 linear layers (see the manifest entries): resources/models/lpips_squeeze_features.onnx gives an
// image's 7 unit-normalised taps, resources/models/lpips_squeeze.onnx the distance of an image to taps given. 0 means
// identical; larger is more different (typically 0.0x for mild compression, 0.3-0.8 for strong blur).
//
// The first argument is the reference: its taps are kept (one image at a time), so comparing one original with its
// reconstructions one after another (`gsc bench`: GSC and the baselines at every C) runs the backbone once per
// reconstruction instead of twice per pair. The files are verified through the model registry (sha256 against the
// manifest; a mismatch is refused), but the sessions are ours: 1 intra-op thread without spin-waiting, which was
// faster than 2 on the shared 2-core station (docs/bench/analyses.md).
import { createHash } from 'node:crypto'
import * as ort from 'onnxruntime-node'
import { resolve } from 'node:path'
import { defaultModelsDir, modelEntry, verifyModel, type ExecutionProvider } from '../modelAssets/manifest'
import { GscError, describeError } from '../util/errors'
import { assertRgbImage, toPlanarFloat, type RgbImage } from '../image/rgbImage'
import { analysisSessionOptions } from '../modelAssets/sessionOptions'

export const LPIPS_MODEL_ID = 'lpips_squeeze'
export const LPIPS_FEATURES_MODEL_ID = 'lpips_squeeze_features'
/** The smallest side the SqueezeNet taps allow (the deepest taps are 1x1 at 17 pixels). */
export const LPIPS_MIN_SIDE = 17
/** onnxruntime intra-op threads for both LPIPS sessions. */
export const LPIPS_INTRA_OP_THREADS = 1
/** The taps take ~138 bytes per pixel (13.5 M floats at 768x512): a larger reference is not kept between calls. */
export const LPIPS_KEEP_MAX_PIXELS = 1 << 20
const TAP_COUNT = 7

export interface LpipsOptions {
  executionProvider?: ExecutionProvider
  /** Models directory (default: resources/models). */
  dir?: string
}

interface LpipsSessions {
  key: string
  features: ort.InferenceSession
  distance: ort.InferenceSession
}

const sessions = new Map<string, Promise<LpipsSessions>>()
/** The last reference image's taps, by sessions and image content. */
let kept: { key: string; taps: Promise<ort.Tensor[]> } | null = null

function openSession(id: string, dir: string, provider: ExecutionProvider): Promise<ort.InferenceSession> {
  const v = verifyModel(id, dir)
  if (!v.ok) return Promise.reject(new GscError(v.error ?? `LPIPS model '${id}' failed verification`, 'EMODELHASH'))
  return ort.InferenceSession.create(v.path, analysisSessionOptions(provider, LPIPS_INTRA_OP_THREADS)).catch((err) => {
    const hint = provider === 'cuda' ? ' (is onnxruntime-node installed with CUDA support? use the cpu provider otherwise)' : ''
    throw new GscError(`cannot load the LPIPS model '${id}' with the ${provider} provider: ${describeError(err)}${hint}`, 'ENOMODEL')
  })
}

function openLpipsSessions(opts: LpipsOptions): Promise<LpipsSessions> {
  const dir = resolve(opts.dir ?? defaultModelsDir())
  const provider = opts.executionProvider ?? 'cpu'
  // Hash the files once per (dir, provider, manifest hashes), as openModel does, not on every distance.
  const key = `${dir}|${provider}|${modelEntry(LPIPS_FEATURES_MODEL_ID, dir).sha256}|${modelEntry(LPIPS_MODEL_ID, dir).sha256}`
  let p = sessions.get(key)
  if (!p) {
    p = Promise.all([openSession(LPIPS_FEATURES_MODEL_ID, dir, provider), openSession(LPIPS_MODEL_ID, dir, provider)]).then(
      ([features, distance]) => ({ key, features, distance }),
      (err) => {
        sessions.delete(key)
        throw err
      }
    )
    sessions.set(key, p)
  }
  return p
}

async function computeTaps(s: LpipsSessions, img: RgbImage): Promise<ort.Tensor[]> {
  let out: ort.InferenceSession.OnnxValueMapType
  try {
    out = await s.features.run({ image: new ort.Tensor('float32', toPlanarFloat(img), [1, 3, img.height, img.width]) })
  } catch (err) {
    throw new GscError(`LPIPS features failed on a ${img.width}x${img.height} image: ${describeError(err)}`, 'EMODEL')
  }
  return Array.from({ length: TAP_COUNT }, (_, k) => out[`tap${k}`])
}

/** The reference image's taps: the kept ones when the same image (by content) comes again. */
function referenceTaps(s: LpipsSessions, img: RgbImage): Promise<ort.Tensor[]> {
  if (img.width * img.height > LPIPS_KEEP_MAX_PIXELS) return computeTaps(s, img)
  const key = `${s.key}|${img.width}x${img.height}|${createHash('sha1').update(img.data).digest('hex')}`
  if (kept?.key === key) return kept.taps
  const entry = { key, taps: computeTaps(s, img) }
  kept = entry
  entry.taps.catch(() => {
    if (kept === entry) kept = null
  })
  return entry.taps
}

/**
 * LPIPS distance between two RGB images of the same size (at least 17x17), computed at full resolution; `a` is the
 * reference whose taps are kept for the next call (see the header).
 * Throws GscError for images of different sizes, too small images, or a missing / altered model file.
 */
export async function lpipsDistance(a: RgbImage, b: RgbImage, opts: LpipsOptions = {}): Promise<number> {
  assertRgbImage(a)
  assertRgbImage(b)
  if (a.width !== b.width || a.height !== b.height)
    throw new GscError(`LPIPS compares images of one size; got ${a.width}x${a.height} and ${b.width}x${b.height}`)
  if (a.width < LPIPS_MIN_SIDE || a.height < LPIPS_MIN_SIDE)
    throw new GscError(`LPIPS needs images of at least ${LPIPS_MIN_SIDE}x${LPIPS_MIN_SIDE} pixels; got ${a.width}x${a.height}`)
  const s = await openLpipsSessions(opts)
  const taps = await referenceTaps(s, a)
  const feeds: Record<string, ort.Tensor> = { image: new ort.Tensor('float32', toPlanarFloat(b), [1, 3, b.height, b.width]) }
  taps.forEach((t, k) => (feeds[`reference_tap${k}`] = t))
  let out: ort.InferenceSession.OnnxValueMapType
  try {
    out = await s.distance.run(feeds)
  } catch (err) {
    throw new GscError(`LPIPS model failed on a ${a.width}x${a.height} pair: ${describeError(err)}`, 'EMODEL')
  }
  return (out.distance.data as Float32Array)[0]
}
