// Set 32's sender: the station's luma sharpening (lumaSharpening.ts) is kept only where it costs no detections. The
// sender decodes its packet as set 32's station will (sharpened) and as set 28's (the same planes, not sharpened),
// runs the detector on both, and sends set 28's packet (the same bytes but for the model id and CRC) when the
// unsharpened decode agrees better with the original's detections. Why: on 53 photos no rule had seen, sharpening every
// packet lowered LPIPS by 0.052 but matched 48 of the original's detections against set 28's 56, most of them lost on
// one photo (docs/bench/latent-codec/ship-rule-set32.md); the sender has the original and the station's detector, so it
// can see where that happens. Not part of the wire: each packet names the set whose station decodes it.
import { decodeGscPacket, encodeGscPacket, type GscHeader } from '../bitstream/gscPacket'
import { detectionAgreement } from '../analysis/detections'
import { GscError } from '../util/errors'
import { regenerate } from './decoder'
import { getDetector } from './sharedDetector'
import type { PackResult, PreparedImage } from './types'

/** The set whose packets carry the same planes without the sharpening (set 32 runs set 28's networks and wire). */
export const UNSHARPENED_SET: Readonly<Record<number, number>> = { 32: 28 }

/** Changes whenever the choice picks different packets (bench caches key on it). */
export const SHARPEN_CHOICE_VERSION = 1

/** Whether packets of this set go through the choice. */
export function choosesSharpening(modelId: number): boolean {
  return UNSHARPENED_SET[modelId] !== undefined
}

/**
 * Whether to send `pack` (a set-32 packet) as it is: not when its unsharpened decode has a higher detection F1 against
 * the original's detections (ties keep the sharpened one); then `plain` is the same payload under the unsharpened set's
 * id, which the caller sends instead.
 */
export async function chooseSharpening(
  prep: PreparedImage,
  pack: Pick<PackResult, 'packet' | 'header'>
): Promise<{ sharpening: NonNullable<PackResult['sharpening']>; plain?: { packet: Uint8Array; header: GscHeader } }> {
  const plainSet = UNSHARPENED_SET[prep.models.modelId]
  if (plainSet === undefined || prep.models.kind !== 'learned-generative' || !prep.models.lumaSharpening)
    throw new GscError(`model set ${prep.models.modelId} has no sharpening to choose`)
  const parsed = decodeGscPacket(pack.packet)
  const sharpened = (await regenerate(parsed, prep.models, { texture: false })).image
  const plain = (await regenerate(parsed, { ...prep.models, lumaSharpening: undefined }, { texture: false })).image
  const detector = await getDetector()
  const reference = prep.senderDetections ?? (await detector.detect(prep.image))
  const f1 = async (img: typeof plain) => detectionAgreement(reference, await detector.detect(img)).f1
  const [sharpF1, plainF1] = [await f1(sharpened), await f1(plain)]
  if (sharpF1 >= plainF1) return { sharpening: { sent: true, sharpenedF1: sharpF1, plainF1 } }
  // The same payload under set 28's id: its header field is shorter or as long, so the packet stays within its target
  const header = { ...pack.header, modelId: plainSet }
  const packet = encodeGscPacket(
    { header, caption: parsed.caption, latents: parsed.latents, detections: parsed.detections, ...(parsed.colour ? { colour: parsed.colour } : {}) },
    { apid: parsed.primary.apid, sequenceCount: parsed.primary.sequenceCount }
  )
  return { sharpening: { sent: false, sharpenedF1: sharpF1, plainF1 }, plain: { packet, header } }
}
