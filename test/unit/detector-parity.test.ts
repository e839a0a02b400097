// Our ONNX conversion against the original TF.js graph, on real photos: raw outputs within 1e-3.
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadDetector, prepareDetectorInput } from '../../src/core/analysis/detector'
import { readImage } from '../../src/core/image/rgbImage'
import { loadTfjsNanoDet, maxAbsDiff, runTfjs, TFJS_MODEL_JSON } from '../../training/detector/tfjsReference'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const IMAGES = [sharedData('kodak', 'kodim05.png'), sharedData('coco128', 'images', 'train2017', '000000000009.jpg')]
const haveData = haveSharedData('detector-parity', ...IMAGES)

describe.skipIf(!haveData || !existsSync(TFJS_MODEL_JSON))('detector ONNX vs TF.js reference', () => {
  it('agrees within 1e-3 on every raw output for real images', async () => {
    const [tfModel, det] = await Promise.all([loadTfjsNanoDet(), loadDetector()])
    for (const file of IMAGES) {
      const input = await prepareDetectorInput(await readImage(file))
      const ref = runTfjs(tfModel, input)
      const ours = await det.runRaw(input)
      expect(Object.keys(ours).sort()).toEqual(Object.keys(ref).sort())
      const { max } = maxAbsDiff(ref, ours)
      console.log(`detector-parity ${file.split('/').pop()}: max |onnx - tfjs| = ${max.toExponential(2)}`)
      expect(max).toBeLessThanOrEqual(1e-3)
      // Guard against a vacuous pass: outputs must actually vary.
      expect(Math.max(...ours.Identity_3.subarray(0, 1000)) - Math.min(...ours.Identity_3.subarray(0, 1000))).toBeGreaterThan(0.1)
    }
  })
})
