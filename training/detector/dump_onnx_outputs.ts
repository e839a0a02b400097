// Writes the product's detector input and onnxruntime-node's raw outputs for two Kodak photos as float32 files,
// for training/set1/detector_torch.py --check (the PyTorch copy of the detector used as a training loss).
// Run: npx tsx training/detector/dump_onnx_outputs.ts OUT_DIR
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadDetector, prepareDetectorInput } from '../../src/core/analysis/detector'
import { readImage } from '../../src/core/image/rgbImage'

const out = process.argv[2]
if (!out) {
  console.error('usage: npx tsx training/detector/dump_onnx_outputs.ts OUT_DIR')
  process.exit(2)
}
mkdirSync(out, { recursive: true })
const kodak = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'kodak')
const det = await loadDetector()
for (const name of ['kodim05', 'kodim21']) {
  const input = await prepareDetectorInput(await readImage(join(kodak, `${name}.png`)))
  writeFileSync(join(out, `${name}.input.f32`), Buffer.from(input.buffer))
  for (const [k, v] of Object.entries(await det.runRaw(input))) writeFileSync(join(out, `${name}.${k}.f32`), Buffer.from(v.buffer, v.byteOffset, v.byteLength))
}
await det.close()
