// Box geometry shared by the detector, the agreement metric and mAP: IoU, class-wise NMS, matching.

/** [x1, y1, x2, y2] with x2 >= x1, y2 >= y1 (pixels or normalised: only ratios matter here). */
export type Box = [number, number, number, number]

export interface Detection {
  classId: number
  className: string
  score: number
  /** x1, y1, x2, y2 in pixels of the analysed image. */
  box: Box
}

export interface DetectionAgreement {
  precision: number
  recall: number
  f1: number
  /** Number of test detections matched to a reference detection of the same class. */
  matched: number
}

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1])
}

/** Intersection over union; 0 when both boxes are empty. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0])
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1])
  if (w <= 0 || h <= 0) return 0
  const inter = w * h
  const union = boxArea(a) + boxArea(b) - inter
  return union > 0 ? inter / union : 0
}

/**
 * Greedy class-wise non-maximum suppression: per class, keep the highest-scoring box and drop
 * every lower one overlapping it by more than `iouThreshold`. Result sorted by score, descending.
 * Ties in score keep input order, so the result is deterministic.
 */
export function nonMaxSuppression<T extends { classId: number; score: number; box: Box }>(items: T[], iouThreshold = 0.5, maxOut = Infinity): T[] {
  const order = items.map((_, i) => i).sort((i, j) => items[j].score - items[i].score || i - j)
  const kept: T[] = []
  const keptByClass = new Map<number, T[]>()
  for (const i of order) {
    if (kept.length >= maxOut) break
    const d = items[i]
    const same = keptByClass.get(d.classId) ?? []
    if (same.some((k) => iou(k.box, d.box) > iouThreshold)) continue
    same.push(d)
    keptByClass.set(d.classId, same)
    kept.push(d)
  }
  return kept
}

/**
 * Greedy class-aware matching by score: each test box (highest score first) takes the unmatched
 * reference box of its class with the highest IoU, if that IoU >= threshold. Returns, per test
 * item, the index of its matched reference or -1.
 */
export function matchDetections(
  reference: { classId: number; box: Box }[],
  test: { classId: number; score: number; box: Box }[],
  iouThreshold = 0.5
): number[] {
  const used = new Uint8Array(reference.length)
  const result = new Array<number>(test.length).fill(-1)
  const order = test.map((_, i) => i).sort((i, j) => test[j].score - test[i].score || i - j)
  for (const t of order) {
    let best = -1
    let bestIou = iouThreshold
    for (let r = 0; r < reference.length; r++) {
      if (used[r] || reference[r].classId !== test[t].classId) continue
      const v = iou(reference[r].box, test[t].box)
      if (v >= bestIou) {
        // Strictly better IoU wins; equal IoU keeps the first reference (deterministic).
        if (best === -1 || v > bestIou) {
          best = r
          bestIou = v
        }
      }
    }
    if (best >= 0) {
      used[best] = 1
      result[t] = best
    }
  }
  return result
}

/**
 * How well detections on a reconstruction (`test`) agree with detections on the original
 * (`reference`): precision = matched/|test|, recall = matched/|reference|, F1 their harmonic
 * mean. Both empty counts as full agreement (F1 = 1); one side empty gives F1 = 0.
 */
export function detectionAgreement(
  reference: { classId: number; box: Box }[],
  test: { classId: number; score: number; box: Box }[],
  iouThreshold = 0.5
): DetectionAgreement {
  if (reference.length === 0 && test.length === 0) return { precision: 1, recall: 1, f1: 1, matched: 0 }
  const matched = matchDetections(reference, test, iouThreshold).filter((m) => m >= 0).length
  const precision = test.length ? matched / test.length : 0
  const recall = reference.length ? matched / reference.length : 0
  return { precision, recall, f1: harmonicMean(precision, recall), matched }
}

function harmonicMean(a: number, b: number): number {
  return a + b > 0 ? (2 * a * b) / (a + b) : 0
}

/** One image's detection counts: matched at the IoU threshold, found on the reconstruction, on the original. */
export interface DetectionCounts {
  matched: number
  found: number
  reference: number
}

/**
 * Agreement over a set of images, pooled: matches, detections and reference detections are summed before
 * dividing, so each object counts once and images without detections on either side weigh nothing (the
 * mean of per-image F1 counts each such image as 1). No detection anywhere counts as full agreement.
 */
export function pooledAgreement(counts: readonly DetectionCounts[]): DetectionAgreement {
  const sum = (k: keyof DetectionCounts) => counts.reduce((s, c) => s + c[k], 0)
  const [matched, found, reference] = [sum('matched'), sum('found'), sum('reference')]
  if (found === 0 && reference === 0) return { precision: 1, recall: 1, f1: 1, matched: 0 }
  const precision = found ? matched / found : 0
  const recall = reference ? matched / reference : 0
  return { precision, recall, f1: harmonicMean(precision, recall), matched }
}
