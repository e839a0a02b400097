// The sender's side: image -> caption -> g_a -> channel selection -> quantisation -> one CCSDS packet, with the
// model set chosen by EncodeOptions.modelSet (default: the manifest's default set), whose id the header carries.
// C is either given, or chosen in closed loop by autoSelect.ts (encode, decode, detect for every C).
import type { RgbImage } from '../image/rgbImage'
import { chooseChannelsAuto } from './autoSelect'
import { throwIfAborted } from './cancellation'
import { packChannels } from './packing'
import { prepareImage } from './prepare'
import { withinTrainedSteps } from './quantize'
import type { AutoCandidate, EncodeOptions, EncodeResult, PackResult } from './types'

const now = () => performance.now()

export async function encodeImage(img: RgbImage, opts: EncodeOptions = {}): Promise<EncodeResult> {
  const timings: Record<string, number> = {}
  const t0 = now()
  const prep = await prepareImage(img, opts, timings)
  throwIfAborted(opts.signal, 'encode')
  let pack: PackResult
  let candidates: AutoCandidate[] | undefined
  const alpha = opts.alpha ?? 1
  const beta = opts.beta ?? 1e-4
  if (opts.channels === 'auto') {
    const auto = await chooseChannelsAuto(prep, opts, alpha, beta)
    candidates = auto.candidates
    pack = auto.best
  } else {
    const t = now()
    pack = await packChannels(prep, opts.channels ?? 1, opts)
    timings.packMs = now() - t
  }
  timings.totalMs = now() - t0
  return {
    packet: pack.packet,
    // set 32's sender may send set 28's packet (sharpenChoice.ts): the set is the packet's
    modelSet: pack.header.modelId,
    width: img.width,
    height: img.height,
    channels: pack.channels,
    channelIndices: pack.channelIndices,
    quantStep: pack.quantStep,
    roundingTolerance: pack.roundingTolerance,
    snapAnchored: pack.snapAnchored,
    ...(pack.colourStep !== undefined ? { colourStep: pack.colourStep } : {}),
    ...(pack.textureStrength !== undefined ? { textureStrength: pack.textureStrength } : {}),
    ...(pack.lumaChoice ? { lumaChoice: pack.lumaChoice } : {}),
    ...(pack.lumaSearch ? { lumaSearch: pack.lumaSearch } : {}),
    ...(pack.sharpening ? { sharpening: pack.sharpening } : {}),
    quantStepTrained: withinTrainedSteps(pack.quantStep, prep.models.trainedQuantSteps),
    selection: prep.selection,
    seed: pack.header.seed,
    steps: pack.header.steps,
    caption: prep.caption,
    captionMode: pack.header.captionMode,
    captionSource: prep.captionSource,
    bits: pack.bits,
    targetBits: pack.targetBits,
    fitsTarget: pack.fitsTarget,
    stepsTried: pack.stepsTried,
    senderDetections: prep.senderDetections,
    transmittedDetections: prep.transmittedDetections,
    candidates,
    alpha: opts.channels === 'auto' ? alpha : undefined,
    beta: opts.channels === 'auto' ? beta : undefined,
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))
  }
}
