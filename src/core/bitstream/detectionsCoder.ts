// Transmitted detections: count (adaptive Exp-Golomb), then per detection class (7 bits),
// score (8 bits, round(score*255)) and box corners (4 x 8 bits, round(v*255)), all equiprobable.
import { BitModels, EG_MODELS, encodeEG, decodeEG } from '../entropy/bitModels'
import type { RangeDecoder, RangeEncoder } from '../entropy/rangeCoder'
import { GscError } from '../util/errors'
import type { TransmittedDetection } from './types'

export const MAX_DETECTIONS = 255
export const MAX_CLASS_ID = 127
const SCORE_LEVELS = 255
const BOX_LEVELS = 255

function unit(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new GscError(`detection ${what} must be within 0..1, got ${String(v)}`)
  return v
}

/** The detection exactly as it will come out of the decoder (score and box quantized). */
export function quantizeDetection(d: TransmittedDetection): TransmittedDetection {
  if (!Number.isInteger(d.classId) || d.classId < 0 || d.classId > MAX_CLASS_ID) throw new GscError(`detection classId must be 0..${MAX_CLASS_ID}, got ${d.classId}`)
  if (!Array.isArray(d.box) || d.box.length !== 4) throw new GscError('detection box must have 4 numbers')
  const q = (v: number, levels: number) => Math.round(v * levels) / levels
  return {
    classId: d.classId,
    score: q(unit(d.score, 'score'), SCORE_LEVELS),
    box: d.box.map((v) => q(unit(v, 'box coordinate'), BOX_LEVELS)) as [number, number, number, number]
  }
}

export function encodeDetections(enc: RangeEncoder, dets: TransmittedDetection[]): number {
  if (dets.length > MAX_DETECTIONS) throw new GscError(`at most ${MAX_DETECTIONS} detections per packet, got ${dets.length}`)
  for (const d of dets) quantizeDetection(d)
  const m = new BitModels(EG_MODELS)
  encodeEG(m, enc, 0, dets.length)
  for (const d of dets) {
    enc.encodeDirect(d.classId, 7)
    enc.encodeDirect(Math.round(d.score * SCORE_LEVELS), 8)
    for (const v of d.box) enc.encodeDirect(Math.round(v * BOX_LEVELS), 8)
  }
  return m.cost + dets.length * (7 + 8 + 32)
}

export function decodeDetections(dec: RangeDecoder): { detections: TransmittedDetection[]; cost: number } {
  const m = new BitModels(EG_MODELS)
  const n = decodeEG(m, dec, 0, MAX_DETECTIONS)
  const detections: TransmittedDetection[] = []
  for (let i = 0; i < n; i++) {
    const classId = dec.decodeDirect(7)
    const score = dec.decodeDirect(8) / SCORE_LEVELS
    const box = [0, 0, 0, 0].map(() => dec.decodeDirect(8) / BOX_LEVELS) as [number, number, number, number]
    detections.push({ classId, score, box })
  }
  return { detections, cost: m.cost + n * (7 + 8 + 32) }
}
