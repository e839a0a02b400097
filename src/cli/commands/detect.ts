// `gsc detect`: run the COCO-80 object detector on one image.
import type { CommandSpec } from '../framework'
import { numberOpt, requirePositional } from '../framework'
import { loadDetector } from '../../core/analysis/detector'
import type { Detection } from '../../core/analysis/detections'
import { readImage } from '../../core/image/rgbImage'

interface DetectOutput {
  file: string
  width: number
  height: number
  scoreThreshold: number
  detections: Detection[]
  timing: { loadMs: number; readMs: number; detectMs: number }
}

const detectCommand: CommandSpec<DetectOutput> = {
  name: 'detect',
  summary: 'run the object detector on an image',
  usage:
    'gsc detect <image> [--threshold T] [--iou I] [--max N] [--provider cpu|cuda] [--json]\n' +
    '  NanoDet (COCO 80 classes, 416x416) from resources/models/detector.onnx; boxes are x1,y1,x2,y2 in image pixels.\n' +
    '  --threshold: minimum score 0..1 (default 0.3); --iou: NMS overlap (default 0.5); --max: at most N boxes (default 100).',
  options: {
    threshold: { type: 'string' },
    iou: { type: 'string' },
    max: { type: 'string' },
    provider: { type: 'string' }
  },
  async run(args) {
    const file = requirePositional(args, 0, '<image>')
    const scoreThreshold = numberOpt(args, 'threshold', 0.3, { min: 0, max: 1 })!
    const iouThreshold = numberOpt(args, 'iou', 0.5, { min: 0, max: 1 })!
    const maxDetections = numberOpt(args, 'max', 100, { int: true, min: 1 })!
    const provider = args.values.provider === 'cuda' ? 'cuda' : 'cpu'
    let t0 = performance.now()
    const img = await readImage(file)
    const readMs = performance.now() - t0
    t0 = performance.now()
    const det = await loadDetector({ executionProvider: provider })
    const loadMs = performance.now() - t0
    t0 = performance.now()
    const detections = await det.detect(img, { scoreThreshold, iouThreshold, maxDetections })
    const detectMs = performance.now() - t0
    const r1 = (v: number) => Math.round(v * 10) / 10
    return {
      file,
      width: img.width,
      height: img.height,
      scoreThreshold,
      detections: detections.map((d) => ({ ...d, score: Math.round(d.score * 1e4) / 1e4, box: d.box.map(r1) as Detection['box'] })),
      timing: { loadMs: r1(loadMs), readMs: r1(readMs), detectMs: r1(detectMs) }
    }
  },
  format(r) {
    const lines = r.detections.map(
      (d) => `${d.className.padEnd(14)} ${d.score.toFixed(2)}  [${d.box.map((v) => Math.round(v)).join(', ')}]`
    )
    return [
      `${r.file} (${r.width}x${r.height}): ${r.detections.length} object(s) with score >= ${r.scoreThreshold}`,
      ...lines,
      `detect ${r.timing.detectMs} ms (model load ${r.timing.loadMs} ms, image read ${r.timing.readMs} ms)`
    ].join('\n')
  }
}

export default detectCommand
