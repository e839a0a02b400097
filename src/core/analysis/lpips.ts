// LPIPS v0.1 (SqueezeNet variant) between two images: the perceptual distance of Zhang et al. (CVPR 2018), run from
// resources/models/lpips_squeeze.onnx (converted by training/metrics/export_lpips.py from the ncnn SqueezeNet 1.1 backbone,
// whose weights are fp16, and the LPIPS v0.1 linear layers; see the manifest entry). 0 means identical; larger is
// more different (typically 0.0x for mild compression, 0.3-0.8 for strong blur).
//
// The file is verified through the model registry (sha256 against the manifest; a mismatch is refused), but the
// session is ours, as for the detector: 2 intra-op threads without spin-waiting on the shared 2-core station CPU.
import * as ort from 'onnxruntime-node'
import { resolve } from 'node:path'
import { defaultModelsDir, modelEntry, verifyModel, type ExecutionProvider } from '../modelAssets/manifest'
import { GscError, describeError } from '../util/errors'
import { assertRgbImage, toPlanarFloat, type RgbImage } from '../image/rgbImage'
import { analysisSessionOptions } from '../modelAssets/sessionOptions'

export const LPIPS_MODEL_ID = 'lpips_squeeze'
/** The smallest side the SqueezeNet taps allow (the deepest taps are 1x1 at 17 pixels). */
export const LPIPS_MIN_SIDE = 17

export interface LpipsOptions {
  executionProvider?: ExecutionProvider
  /** Models directory (default: resources/models). */
  dir?: string
}

const sessions = new Map<string, Promise<ort.InferenceSession>>()

function openLpipsSession(opts: LpipsOptions): Promise<ort.InferenceSession> {
  const dir = resolve(opts.dir ?? defaultModelsDir())
  const provider = opts.executionProvider ?? 'cpu'
  // Hash the file once per (dir, provider, manifest hash), as openModel does, not on every distance.
  const key = `${dir}|${provider}|${modelEntry(LPIPS_MODEL_ID, dir).sha256}`
  let p = sessions.get(key)
  if (!p) {
    const v = verifyModel(LPIPS_MODEL_ID, dir)
    if (!v.ok) return Promise.reject(new GscError(v.error ?? 'LPIPS model failed verification', 'EMODELHASH'))
    p = ort.InferenceSession.create(v.path, analysisSessionOptions(provider, 2)).catch((err) => {
      sessions.delete(key)
      const hint = provider === 'cuda' ? ' (is onnxruntime-node installed with CUDA support? use the cpu provider otherwise)' : ''
      throw new GscError(`cannot load the LPIPS model with the ${provider} provider: ${describeError(err)}${hint}`, 'ENOMODEL')
    })
    sessions.set(key, p)
  }
  return p
}

/**
 * LPIPS distance between two RGB images of the same size (at least 17x17), computed at full resolution.
 * Throws GscError for images of different sizes, too small images, or a missing / altered model file.
 */
export async function lpipsDistance(a: RgbImage, b: RgbImage, opts: LpipsOptions = {}): Promise<number> {
  assertRgbImage(a)
  assertRgbImage(b)
  if (a.width !== b.width || a.height !== b.height)
    throw new GscError(`LPIPS compares images of one size; got ${a.width}x${a.height} and ${b.width}x${b.height}`)
  if (a.width < LPIPS_MIN_SIDE || a.height < LPIPS_MIN_SIDE)
    throw new GscError(`LPIPS needs images of at least ${LPIPS_MIN_SIDE}x${LPIPS_MIN_SIDE} pixels; got ${a.width}x${a.height}`)
  const session = await openLpipsSession(opts)
  const dims = [1, 3, a.height, a.width]
  const feeds = {
    image0: new ort.Tensor('float32', toPlanarFloat(a), dims),
    image1: new ort.Tensor('float32', toPlanarFloat(b), dims)
  }
  let out: ort.InferenceSession.OnnxValueMapType
  try {
    out = await session.run(feeds)
  } catch (err) {
    throw new GscError(`LPIPS model failed on a ${a.width}x${a.height} pair: ${describeError(err)}`, 'EMODEL')
  }
  const d = (out.distance.data as Float32Array)[0]
  for (const t of Object.values(out)) t.dispose?.()
  return d
}
