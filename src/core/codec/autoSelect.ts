// --channels auto: the sender encodes with every C, decodes each packet locally with the station's
// own decoder, runs the detector on original and reconstruction, and keeps the C minimising
// alpha * (1 - F1) + beta * bits (bits = whole packet). It sits above packing and the decoder; only encodeImage calls it.
import { detectionAgreement } from '../analysis/detections'
import { decodeGscPacket } from '../bitstream/gscPacket'
import { throwIfAborted } from './cancellation'
import { regenerate } from './decoder'
import { packChannels } from './packing'
import { getDetector } from './sharedDetector'
import type { AutoCandidate, EncodeOptions, PackResult, PreparedImage } from './types'

/** The C values --channels auto tries. */
export const CHANNEL_CHOICES = [1, 2, 4, 8, 16] as const

export function autoScore(alpha: number, beta: number, f1: number, bits: number): number {
  return alpha * (1 - f1) + beta * bits
}

export async function chooseChannelsAuto(
  prep: PreparedImage,
  opts: EncodeOptions,
  alpha: number,
  beta: number,
  choices: readonly number[] = CHANNEL_CHOICES
): Promise<{ best: PackResult; candidates: AutoCandidate[] }> {
  if (!(alpha >= 0) || !(beta >= 0)) throw new Error('alpha and beta must be >= 0')
  const detector = await getDetector(opts.executionProvider)
  const reference = prep.senderDetections ?? (await detector.detect(prep.image))
  const candidates: AutoCandidate[] = []
  const packs: PackResult[] = []
  for (let i = 0; i < choices.length; i++) {
    throwIfAborted(opts.signal, 'encode')
    opts.onProgress?.({ stage: `auto C=${choices[i]}`, done: i, total: choices.length })
    const pack = await packChannels(prep, choices[i], opts)
    // Decode exactly what the station will receive (the packet bytes), with the header's seed and steps.
    const rec = await regenerate(decodeGscPacket(pack.packet), prep.models, { signal: opts.signal })
    const dets = await detector.detect(rec.image)
    const agree = detectionAgreement(reference, dets)
    candidates.push({
      channels: pack.channels,
      channelIndices: pack.channelIndices,
      quantStep: pack.quantStep,
      bits: pack.bits,
      f1: agree.f1,
      precision: agree.precision,
      recall: agree.recall,
      score: autoScore(alpha, beta, agree.f1, pack.bits.total)
    })
    packs.push(pack)
  }
  opts.onProgress?.({ stage: 'auto', done: choices.length, total: choices.length })
  let bi = 0
  // lowest score; ties go to fewer bits
  for (let i = 1; i < candidates.length; i++) {
    const a = candidates[i]
    const b = candidates[bi]
    if (a.score < b.score || (a.score === b.score && a.bits.total < b.bits.total)) bi = i
  }
  return { best: packs[bi], candidates }
}
