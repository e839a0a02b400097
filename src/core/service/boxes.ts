// Detection boxes as the interface shows them: normalised x1,y1,x2,y2 with the class name.
import type { TransmittedBox } from '../../shared/api'
import { cocoName } from '../analysis/coco'
import type { Detection } from '../analysis/detections'
import type { TransmittedDetection } from '../bitstream/types'

/** A detection the sender put in the packet (its box is normalised already). */
export function transmittedBox(d: TransmittedDetection): TransmittedBox {
  return { classId: d.classId, className: cocoName(d.classId), score: d.score, box: d.box }
}

/** A detection run on a reconstruction of `size` (pixel box, normalised here). */
export function detectedBox(d: Detection, size: { width: number; height: number }): TransmittedBox {
  const { width: w, height: h } = size
  return { classId: d.classId, className: d.className ?? cocoName(d.classId), score: d.score, box: [d.box[0] / w, d.box[1] / h, d.box[2] / w, d.box[3] / h] }
}
