// Called by training/segmentation/export_espnetv2.py: runs the PNGs it wrote (already at the model's input size)
// through the engine's runSegmentationModel (onnxruntime-node, the hash-verified model of the manifest), counts the
// pixels whose label equals PyTorch's, and times segmentImage on one 768x512 photo.
// Prints one JSON object: { agreement: [{ name, equal, pixels }], timing, machine }.
import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { readLabelMap, runSegmentationModel, segmentImage } from '../../src/core/analysis/segmentation'
import type { SegmentationDataset } from '../../src/core/analysis/segmentationClasses'
import { readImage, toPlanarFloat } from '../../src/core/image/rgbImage'

interface Job {
  modelsDir: string
  dataset: SegmentationDataset
  images: { image: string; torchLabels: string; name: string }[]
  timingRuns: number
  timingImage: string
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job
  const opts = { dir: job.modelsDir, dataset: job.dataset }
  const agreement: { name: string; equal: number; pixels: number }[] = []
  for (const im of job.images) {
    const labels = await runSegmentationModel(toPlanarFloat(await readImage(im.image)), opts)
    const ref = (await readLabelMap(im.torchLabels)).labels
    if (ref.length !== labels.length) throw new Error(`${im.name}: PyTorch labels have ${ref.length} pixels, onnxruntime ${labels.length}`)
    let equal = 0
    for (let i = 0; i < ref.length; i++) if (ref[i] === labels[i]) equal++
    agreement.push({ name: im.name, equal, pixels: ref.length })
  }

  const img = await readImage(job.timingImage)
  if (img.width !== 768 || img.height !== 512) throw new Error(`timing image is ${img.width}x${img.height}, expected 768x512`)
  await segmentImage(img, opts) // warm-up
  const ms: number[] = []
  for (let i = 0; i < job.timingRuns; i++) {
    const t0 = performance.now()
    await segmentImage(img, opts)
    ms.push(performance.now() - t0)
  }
  ms.sort((x, y) => x - y)
  const timing = { runs: ms.length, medianMs: ms[Math.floor(ms.length / 2)], minMs: ms[0], maxMs: ms[ms.length - 1] }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    note: 'shared machine: other agents and a PyTorch training job were running during the timing'
  }
  process.stdout.write(JSON.stringify({ agreement, timing, machine }))
}

main().catch((e) => {
  process.stderr.write(`segmentation_check: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
