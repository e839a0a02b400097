// Runs exported ONNX models in onnxruntime-node on the cases written by export_onnx.py and prints the
// max abs difference to the PyTorch outputs as one JSON object (so the export can refuse a bad file).
import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'

interface T { dims: number[]; type: 'float32' | 'int64'; data: number[] }
interface Case { file: string; inputs: Record<string, T>; outputs: Record<string, T> }

function toTensor(t: T): ort.Tensor {
  if (t.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(t.data.map((v) => BigInt(v))), t.dims)
  return new ort.Tensor('float32', Float32Array.from(t.data), t.dims)
}

async function main(): Promise<void> {
  const cases = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Record<string, Case>
  const result: Record<string, { maxAbsDiff: number; relMaxAbsDiff: number }> = {}
  for (const [id, c] of Object.entries(cases)) {
    const s = await ort.InferenceSession.create(c.file, { executionProviders: ['cpu'] })
    const feeds: Record<string, ort.Tensor> = {}
    for (const [k, v] of Object.entries(c.inputs)) feeds[k] = toTensor(v)
    const out = await s.run(feeds)
    let max = 0
    let refMax = 0
    for (const [k, ref] of Object.entries(c.outputs)) {
      const got = out[k].data as Float32Array
      if (got.length !== ref.data.length) throw new Error(`${id}: output ${k} has ${got.length} values, expected ${ref.data.length}`)
      for (let i = 0; i < got.length; i++) {
        max = Math.max(max, Math.abs(got[i] - ref.data[i]))
        refMax = Math.max(refMax, Math.abs(ref.data[i]))
      }
    }
    result[id] = { maxAbsDiff: max, relMaxAbsDiff: max / Math.max(1, refMax) }
    await s.release()
  }
  process.stdout.write(JSON.stringify(result))
}

main().catch((e) => {
  process.stderr.write(`onnx_check: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
