// COCO-style mean average precision at IoU 0.5 (101-point interpolated), per class and overall.
import { iou, type Box } from './detections'

export interface MapImage {
  predictions: { classId: number; score: number; box: Box }[]
  groundTruth: { classId: number; box: Box }[]
}

export interface ClassAp {
  classId: number
  ap: number
  groundTruth: number
  predictions: number
  truePositives: number
}

export interface MapResult {
  /** Mean of per-class AP over the classes that have ground truth (COCO convention). */
  map50: number
  perClass: ClassAp[]
}

const RECALL_POINTS = 101

/** Average precision of one ranked list: tp flags sorted by descending score, nGt ground-truth boxes. */
export function averagePrecision101(tp: boolean[], nGt: number): number {
  if (nGt === 0) return NaN
  const n = tp.length
  const precision = new Float64Array(n)
  const recall = new Float64Array(n)
  let ctp = 0
  for (let i = 0; i < n; i++) {
    if (tp[i]) ctp++
    precision[i] = ctp / (i + 1)
    recall[i] = ctp / nGt
  }
  // Precision envelope: best precision at any recall at least this high.
  for (let i = n - 2; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1])
  let sum = 0
  let k = 0
  for (let r = 0; r < RECALL_POINTS; r++) {
    const target = r / (RECALL_POINTS - 1)
    while (k < n && recall[k] < target - 1e-12) k++
    sum += k < n ? precision[k] : 0
  }
  return sum / RECALL_POINTS
}

export function meanAveragePrecision50(perImage: MapImage[], iouThreshold = 0.5): MapResult {
  const classes = new Set<number>()
  for (const im of perImage) {
    for (const g of im.groundTruth) classes.add(g.classId)
    for (const p of im.predictions) classes.add(p.classId)
  }
  const perClass: ClassAp[] = []
  for (const c of [...classes].sort((a, b) => a - b)) {
    const preds: { img: number; score: number; box: Box }[] = []
    const gts: Box[][] = []
    let nGt = 0
    perImage.forEach((im, i) => {
      gts[i] = im.groundTruth.filter((g) => g.classId === c).map((g) => g.box)
      nGt += gts[i].length
      for (const p of im.predictions) if (p.classId === c) preds.push({ img: i, score: p.score, box: p.box })
    })
    // Stable sort by score keeps the result independent of engine sort details for ties.
    preds.sort((a, b) => b.score - a.score)
    const used = gts.map((g) => new Uint8Array(g.length))
    const tp = preds.map((p) => {
      const g = gts[p.img]
      let best = -1
      let bestIou = iouThreshold
      for (let j = 0; j < g.length; j++) {
        if (used[p.img][j]) continue
        const v = iou(g[j], p.box)
        if (v >= bestIou && (best === -1 || v > bestIou)) {
          best = j
          bestIou = v
        }
      }
      if (best < 0) return false
      used[p.img][best] = 1
      return true
    })
    if (nGt === 0) continue // COCO ignores classes without ground truth
    perClass.push({
      classId: c,
      ap: averagePrecision101(tp, nGt),
      groundTruth: nGt,
      predictions: preds.length,
      truePositives: tp.filter(Boolean).length
    })
  }
  const map50 = perClass.length ? perClass.reduce((s, c) => s + c.ap, 0) / perClass.length : 0
  return { map50, perClass }
}
