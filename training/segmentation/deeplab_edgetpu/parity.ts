// Parity of the converted EdgeTPU-DeepLab ONNX graphs with the uint8 reference interpreter (uint8_reference.py) on
// the inputs written by make_inputs.ts: fraction of equal argmax labels over each frame's content box (the image's
// pixels in the 513x513 input, not the letterbox bars), pooled over the frames, and the worst frame. Writes each
// graph's labels to DIR/<frame>.onnx-<label>.labels for the agreement step.
//   npx tsx training/segmentation/deeplab_edgetpu/parity.ts DIR --graph float=FILE --graph qlinear=FILE
import * as ort from 'onnxruntime-node'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ContentBox } from '../../../src/core/analysis/segmentation'
import { SEGMENTATION_INTRA_OP_THREADS } from '../../../src/core/analysis/segmentation'
import { analysisSessionOptions } from '../../../src/core/modelAssets/sessionOptions'
import { planarFromPixels } from './letterbox'
import { readFrames } from './frames'

const REFERENCES = ['trunc', 'round', 'float', 'single-trunc', 'single-float'] // uint8_reference.py outputs (--rounding, --resize)

/** [equal, total] labels inside the content box of a map inputWidth wide. */
function agreeInBox(a: Uint8Array, b: Uint8Array, box: ContentBox, inputWidth: number): [number, number] {
  let same = 0
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) if (a[y * inputWidth + x] === b[y * inputWidth + x]) same++
  return [same, box.width * box.height]
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const dir = argv[0]
  const graphs: [string, string][] = []
  for (let i = 1; i < argv.length; i += 2) {
    if (argv[i] !== '--graph') throw new Error(`unknown argument ${argv[i]}`)
    const [label, file] = argv[i + 1].split('=')
    if (!file || !existsSync(file)) throw new Error(`--graph ${argv[i + 1]}: expected LABEL=FILE of an existing file`)
    graphs.push([label, file])
  }
  if (!dir || graphs.length === 0) throw new Error('usage: parity.ts DIR --graph LABEL=FILE ...')
  const frames = readFrames(dir)
  const names = Object.keys(frames).sort()
  // without reference labels (e.g. a graph converted at another input size) the graphs' labels are only written
  const refs = REFERENCES.filter((r) => existsSync(join(dir, `${names[0]}.ref-${r}.labels`)))
  // pairs compared: every graph with every reference, and the references with one another
  const pairs: [string, string][] = []
  for (const [g] of graphs) for (const r of refs) pairs.push([`onnx-${g}`, `ref-${r}`])
  for (let i = 0; i < refs.length; i++) for (let j = i + 1; j < refs.length; j++) pairs.push([`ref-${refs[i]}`, `ref-${refs[j]}`])
  const totals = pairs.map(() => [0, 0])
  const worst = pairs.map(() => ({ frac: 1, frame: '' }))
  const sessions = await Promise.all(graphs.map(([, f]) => ort.InferenceSession.create(f, analysisSessionOptions('cpu', SEGMENTATION_INTRA_OP_THREADS))))
  for (const name of names) {
    const labels: Record<string, Uint8Array> = {}
    const planar = planarFromPixels(new Uint8Array(readFileSync(join(dir, `${name}.u8`))))
    for (let g = 0; g < graphs.length; g++) {
      const out = await sessions[g].run({ image: new ort.Tensor('float32', planar, [1, 3, frames[name].inputHeight, frames[name].inputWidth]) })
      labels[`onnx-${graphs[g][0]}`] = Uint8Array.from(out.labels.data as Uint8Array)
      writeFileSync(join(dir, `${name}.onnx-${graphs[g][0]}.labels`), labels[`onnx-${graphs[g][0]}`])
    }
    for (const r of refs) labels[`ref-${r}`] = new Uint8Array(readFileSync(join(dir, `${name}.ref-${r}.labels`)))
    pairs.forEach(([a, b], k) => {
      const [same, total] = agreeInBox(labels[a], labels[b], frames[name].content, frames[name].inputWidth)
      totals[k][0] += same
      totals[k][1] += total
      if (same / total < worst[k].frac) worst[k] = { frac: same / total, frame: name }
    })
  }
  if (pairs.length === 0) {
    console.log(`${names.length} frames: labels written, no reference labels to compare with`)
    return
  }
  console.log(`${names.length} frames (${names[0]} .. ${names[names.length - 1]}), content box of the 513x513 input, ${totals[0][1]} pixels.`)
  console.log('')
  console.log('| labels | against | pixel agreement | worst frame |')
  console.log('|---|---|---:|---|')
  pairs.forEach(([a, b], k) => console.log(`| ${a} | ${b} | ${(100 * totals[k][0] / totals[k][1]).toFixed(3)} % | ${(100 * worst[k].frac).toFixed(3)} % (${worst[k].frame}) |`))
}

main().catch((err) => {
  console.error(`parity: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
