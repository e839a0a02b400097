// The TF.js reference for the detector: runs the original nanodet.json/.bin graph with
// @tensorflow/tfjs (pure JS CPU backend, weights read from node_modules, no network) and compares
// its raw outputs with our ONNX conversion on the same input tensor.
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const TFJS_MODEL_JSON = join(ROOT, 'node_modules', '@vladmandic', 'human-models', 'models', 'nanodet.json')

export async function loadTfjsNanoDet(modelJson = TFJS_MODEL_JSON): Promise<tf.GraphModel> {
  await tf.setBackend('cpu')
  const j = JSON.parse(readFileSync(modelJson, 'utf8'))
  const group = j.weightsManifest[0]
  const bins = (group.paths as string[]).map((p) => readFileSync(join(dirname(modelJson), p)))
  const all = Buffer.concat(bins)
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)
  return tf.loadGraphModel({
    load: async () => ({
      modelTopology: j.modelTopology,
      weightSpecs: j.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData,
      format: j.format,
      generatedBy: j.generatedBy,
      convertedBy: j.convertedBy,
      signature: j.signature
    })
  })
}

/** Runs the TF.js graph on a 1x3x416x416 input; returns outputs keyed like the ONNX outputs. */
export function runTfjs(model: tf.GraphModel, input: Float32Array, size = 416): Record<string, Float32Array> {
  return tf.tidy(() => {
    const outs = model.execute(tf.tensor4d(input, [1, 3, size, size])) as tf.Tensor[]
    const res: Record<string, Float32Array> = {}
    model.outputs.forEach((o, k) => {
      res[o.name.split(':')[0]] = outs[k].dataSync() as Float32Array
    })
    return res
  })
}

/** Largest |a - b| over every output tensor present in both. */
export function maxAbsDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): { max: number; perOutput: Record<string, number> } {
  const perOutput: Record<string, number> = {}
  let max = 0
  for (const k of Object.keys(a)) {
    const x = a[k]
    const y = b[k]
    if (!y || y.length !== x.length) throw new Error(`output ${k}: shapes differ (${x.length} vs ${y?.length})`)
    let m = 0
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]))
    perOutput[k] = m
    max = Math.max(max, m)
  }
  return { max, perOutput }
}
