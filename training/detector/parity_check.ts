// Parity of detector.onnx with the TF.js graph on a few Kodak and COCO128 photos; writes
// training/detector/parity.json (read by register_manifest.py). Run: npx tsx training/detector/parity_check.ts
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadDetector, prepareDetectorInput } from '../../src/core/analysis/detector'
import { readImage } from '../../src/core/image/rgbImage'
import { loadTfjsNanoDet, maxAbsDiff, runTfjs } from './tfjsReference'

const DATA = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data')
const coco = join(DATA, 'coco128', 'images', 'train2017')
const files = [join(DATA, 'kodak', 'kodim05.png'), join(DATA, 'kodak', 'kodim21.png'),
  ...(existsSync(coco) ? readdirSync(coco).sort().slice(0, 3).map((f) => join(coco, f)) : [])].filter((f) => existsSync(f))
if (!files.length) {
  console.log(`SKIP: no images under ${DATA}`)
  process.exit(0)
}
const [tfModel, det] = await Promise.all([loadTfjsNanoDet(), loadDetector()])
const perImage: Record<string, number> = {}
for (const f of files) {
  const input = await prepareDetectorInput(await readImage(f))
  const { max } = maxAbsDiff(runTfjs(tfModel, input), await det.runRaw(input))
  perImage[f.split('/').pop()!] = max
  console.log(`${f}: max abs diff ${max.toExponential(3)}`)
}
const maxAll = Math.max(...Object.values(perImage))
writeFileSync(resolve(import.meta.dirname, 'parity.json'), JSON.stringify({ date: new Date().toISOString(), maxAbsDiff: maxAll, perImage }, null, 2) + '\n')
console.log(`max over ${files.length} images: ${maxAll.toExponential(3)} (limit 1e-3)`)
if (maxAll > 1e-3) process.exit(1)
