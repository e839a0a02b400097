// EdgeTPU-DeepLab-slim (Cityscapes, converted by training/segmentation/deeplab_edgetpu/convert.py) against the
// shipped Cityscapes ESPNetv2 graph: session.run only, inputs prepared once, interleaved in one process so that the
// ratio holds on a shared machine; the engine's session options (analysisSessionOptions, 1 intra-op thread).
//   npx tsx test/perf/deeplabTiming.ts --graph float=/tmp/deeplab/deeplab_float.onnx --graph qlinear=... [--runs 9]
// A graph converted at another input size (convert.py --size) is given as LABEL=FILE@WxH.
// Prints a Markdown table (medians of wall and process CPU time per run, over runs x photos) for
// docs/bench/segmentation-deeplab.md.
import * as ort from 'onnxruntime-node'
import os from 'node:os'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readImage } from '../../src/core/image/rgbImage'
import { SEGMENTATION_INTRA_OP_THREADS, letterboxSegmentationInput, segmentationInputSize } from '../../src/core/analysis/segmentation'
import { analysisSessionOptions } from '../../src/core/modelAssets/sessionOptions'
import { defaultModelsDir, modelEntry } from '../../src/core/modelAssets/manifest'
import { sharedData } from '../fixtures/sharedData'
import { DEEPLAB_INPUT_SIZE, deeplabInput } from '../../training/segmentation/deeplab_edgetpu/letterbox'
import { median } from './median'

const KODAK = ['kodim01', 'kodim05', 'kodim13'] // 768x512 landscape photos, as test/perf/analyses.ts

interface Graph {
  label: string
  session: ort.InferenceSession
  inputs: ort.Tensor[]
  wall: number[]
  cpu: number[]
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  let runs = 9
  const extra: [string, string, number, number][] = []
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--runs') runs = Number(argv[i + 1])
    else if (argv[i] === '--graph') {
      const m = /^([^=]+)=([^@]+)(?:@(\d+)x(\d+))?$/.exec(argv[i + 1] ?? '')
      if (!m || !existsSync(m[2])) throw new Error(`--graph ${argv[i + 1]}: expected LABEL=FILE[@WxH] of an existing file`)
      extra.push([m[1], m[2], Number(m[3] ?? DEEPLAB_INPUT_SIZE), Number(m[4] ?? DEEPLAB_INPUT_SIZE)])
    } else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer')
  const opts = analysisSessionOptions('cpu', SEGMENTATION_INTRA_OP_THREADS)
  const photos = await Promise.all(KODAK.map((k) => readImage(sharedData('kodak', `${k}.png`))))
  const [sw, sh] = segmentationInputSize('city')
  const dir = defaultModelsDir()
  const graphs: Graph[] = [{
    label: `ESPNetv2 city ${sw}x${sh} (shipped)`,
    session: await ort.InferenceSession.create(join(dir, modelEntry('espnetv2_city', dir).file), opts),
    inputs: await Promise.all(photos.map(async (p) => new ort.Tensor('float32', (await letterboxSegmentationInput(p, sw, sh)).planar, [1, 3, sh, sw]))),
    wall: [],
    cpu: []
  }]
  for (const [label, file, w, h] of extra) {
    graphs.push({
      label: `DeepLab ${label} ${w}x${h}`,
      session: await ort.InferenceSession.create(file, opts),
      inputs: await Promise.all(photos.map(async (p) => new ort.Tensor('float32', (await deeplabInput(p, w, h)).planar, [1, 3, h, w]))),
      wall: [],
      cpu: []
    })
  }
  for (const g of graphs) for (const x of g.inputs) await g.session.run({ image: x }) // warm-up
  const loadBefore = os.loadavg()
  for (let r = 0; r < runs; r++) {
    for (let p = 0; p < photos.length; p++) {
      for (const g of graphs) {
        const c0 = process.cpuUsage()
        const t0 = performance.now()
        const out = await g.session.run({ image: g.inputs[p] })
        g.wall.push(performance.now() - t0)
        const c = process.cpuUsage(c0)
        g.cpu.push((c.user + c.system) / 1000)
        for (const t of Object.values(out)) t.dispose?.()
      }
    }
  }
  const loadAfter = os.loadavg()
  const ref = median(graphs[0].cpu)
  const f = (x: number) => x.toFixed(1)
  console.log(`${runs} runs x ${photos.length} photos (Kodak ${KODAK.join(', ')}, letterboxed), interleaved; load average before ${loadBefore.map((v) => v.toFixed(2)).join(' / ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' / ')}; ${os.cpus()[0]?.model ?? 'cpu'} x ${os.cpus().length}.`)
  console.log('')
  console.log('| graph | wall median ms | wall min ms | CPU median ms | CPU min ms | CPU median / ESPNetv2 |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const g of graphs) console.log(`| ${g.label} | ${f(median(g.wall))} | ${f(Math.min(...g.wall))} | ${f(median(g.cpu))} | ${f(Math.min(...g.cpu))} | ${(median(g.cpu) / ref).toFixed(3)} |`)
}

main().catch((err) => {
  console.error(`deeplabTiming: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
