// Mean intersection-over-union between label maps, the standard semantic-segmentation metric:
// IoU_c = TP_c / (TP_c + FP_c + FN_c) from a confusion matrix of (reference, predicted) pixel pairs, averaged over
// the classes that occur in the reference or the prediction (union > 0); classes absent from both are left out,
// not counted as 0 or 1. Reference pixels equal to the ignore label are skipped. Over a data set, one matrix is
// accumulated over all images and mIoU is taken once at the end (not a mean of per-image mIoU).
import { GscError } from '../util/errors'
import { IGNORE_LABEL } from './segmentationClasses'

export interface MiouResult {
  /** Mean IoU over the classes with union > 0, in 0..1; NaN when no pixel was counted. */
  miou: number
  /** IoU per class index; NaN for classes absent from both reference and prediction. */
  perClass: number[]
  /** Fraction of counted pixels whose labels agree (pixel accuracy). */
  pixelAccuracy: number
  /** Pixels counted (reference not ignored). */
  pixels: number
}

export class ConfusionMatrix {
  readonly counts: Float64Array

  constructor(readonly numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 255) throw new GscError(`a confusion matrix needs 1..255 classes; got ${numClasses}`)
    this.counts = new Float64Array(numClasses * numClasses)
  }

  /** Adds the pixel pairs of one image. Labels >= numClasses (other than the ignore label) are refused. */
  add(reference: Uint8Array, predicted: Uint8Array, ignore = IGNORE_LABEL): this {
    if (reference.length !== predicted.length) throw new GscError(`label maps differ in size: ${reference.length} and ${predicted.length} pixels`)
    const k = this.numClasses
    for (let i = 0; i < reference.length; i++) {
      const r = reference[i]
      if (r === ignore) continue
      const p = predicted[i]
      if (r >= k || p >= k) throw new GscError(`label ${r >= k ? r : p} is outside the ${k} classes (pixel ${i})`)
      this.counts[r * k + p]++
    }
    return this
  }

  result(): MiouResult {
    const k = this.numClasses
    const perClass: number[] = []
    let sum = 0
    let present = 0
    let correct = 0
    let total = 0
    const rowSums = new Float64Array(k)
    const colSums = new Float64Array(k)
    for (let r = 0; r < k; r++)
      for (let p = 0; p < k; p++) {
        const v = this.counts[r * k + p]
        rowSums[r] += v
        colSums[p] += v
        total += v
      }
    for (let c = 0; c < k; c++) {
      const tp = this.counts[c * k + c]
      correct += tp
      const union = rowSums[c] + colSums[c] - tp
      if (union > 0) {
        const iou = tp / union
        perClass.push(iou)
        sum += iou
        present++
      } else perClass.push(NaN)
    }
    return { miou: present > 0 ? sum / present : NaN, perClass, pixelAccuracy: total > 0 ? correct / total : NaN, pixels: total }
  }
}

/** mIoU of one predicted label map against a reference label map of the same size. */
export function meanIou(reference: Uint8Array, predicted: Uint8Array, numClasses: number, ignore = IGNORE_LABEL): MiouResult {
  return new ConfusionMatrix(numClasses).add(reference, predicted, ignore).result()
}
