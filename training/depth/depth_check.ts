// Called by training/depth/export_pydnet.py: runs the raw depth model through the engine (runDepthModel:
// onnxruntime-node, the hash-verified model of the manifest) on the float input tensors the Python side wrote, writes
// the outputs beside them for comparison with the tflite reference, and times depthMap on one KITTI frame.
// Prints one JSON object: { timing, machine }.
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { depthMap, runDepthModel } from '../../src/core/analysis/depth'
import { readImage } from '../../src/core/image/rgbImage'

interface Job {
  modelsDir: string
  tensors: { input: string; output: string }[]
  timingImage: string
  timingRuns: number
}

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b)
  return { runs: s.length, medianMs: s[Math.floor(s.length / 2)], minMs: s[0], maxMs: s[s.length - 1] }
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job
  const opts = { dir: job.modelsDir }
  for (const t of job.tensors) {
    const buf = readFileSync(t.input)
    const planar = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
    const out = await runDepthModel(planar, opts)
    writeFileSync(t.output, Buffer.from(out.buffer, out.byteOffset, out.byteLength))
  }
  const img = await readImage(job.timingImage)
  await depthMap(img, opts) // warm-up
  const whole: number[] = []
  for (let i = 0; i < job.timingRuns; i++) {
    const t0 = performance.now()
    await depthMap(img, opts)
    whole.push(performance.now() - t0)
  }
  const planar = new Float32Array(3 * 640 * 192).fill(0.5)
  const model: number[] = []
  for (let i = 0; i < job.timingRuns; i++) {
    const t0 = performance.now()
    await runDepthModel(planar, opts)
    model.push(performance.now() - t0)
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    note: 'shared machine: other agents and a PyTorch training job were running during the timing'
  }
  const timing = { depthMap: stats(whole), model: stats(model), image: `${img.width}x${img.height}` }
  process.stdout.write(JSON.stringify({ timing, machine }) + '\n')
}

main().catch((e: unknown) => {
  process.stderr.write(`depth_check: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
