// Runs DIR/qlinear_all.onnx (per_op_check.py build) on one 513x513x3 uint8 input and writes every output as raw
// bytes, DIR/<output name>.bin, with their shapes in DIR/dims.json, for per_op_check.py compare.
//   npx tsx training/segmentation/deeplab_edgetpu/dump_intermediates.ts DIR INPUT.u8
import * as ort from 'onnxruntime-node'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SEGMENTATION_INTRA_OP_THREADS } from '../../../src/core/analysis/segmentation'
import { analysisSessionOptions } from '../../../src/core/modelAssets/sessionOptions'
import { DEEPLAB_INPUT_SIZE, planarFromPixels } from './letterbox'

async function main(): Promise<void> {
  const [dir, input] = process.argv.slice(2)
  if (!dir || !input) throw new Error('usage: dump_intermediates.ts DIR INPUT.u8')
  const session = await ort.InferenceSession.create(join(dir, 'qlinear_all.onnx'), analysisSessionOptions('cpu', SEGMENTATION_INTRA_OP_THREADS))
  const n = DEEPLAB_INPUT_SIZE // per_op_check.py compares at the tflite graph's own size
  const out = await session.run({ image: new ort.Tensor('float32', planarFromPixels(new Uint8Array(readFileSync(input))), [1, 3, n, n]) })
  const dims: Record<string, readonly number[]> = {}
  for (const [name, t] of Object.entries(out)) {
    const d = t.data as Uint8Array
    writeFileSync(join(dir, `${name}.bin`), Buffer.from(d.buffer, d.byteOffset, d.byteLength))
    dims[name] = t.dims
  }
  writeFileSync(join(dir, 'dims.json'), JSON.stringify(dims))
  console.log(`${Object.keys(out).length} outputs -> ${dir}`)
}

main().catch((err) => {
  console.error(`dump_intermediates: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
