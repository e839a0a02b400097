// Called by training/metrics/export_lpips.py: computes LPIPS for the pairs it wrote, through the engine's lpipsDistance
// (onnxruntime-node, the hash-verified models of the manifest), and times lpipsDistance on one 768x512 pair: with a
// new reference image on every call (both images through the backbone) and with the same one (its taps kept).
// Prints one JSON object: { distances, timing, timingSameReference, machine }.
import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { lpipsDistance } from '../../src/core/analysis/lpips'
import { readImage, type RgbImage } from '../../src/core/image/rgbImage'

interface Job {
  modelsDir: string
  pairs: { a: string; b: string; name: string }[]
  timingRuns: number
  timingImage: string
}

/** A deterministic integer distortion, so the timed pair is not the identical-image case. */
function shifted(img: RgbImage, bit = 8): RgbImage {
  const data = new Uint8Array(img.data.length)
  for (let i = 0; i < data.length; i++) data[i] = img.data[i] ^ bit
  return { width: img.width, height: img.height, data }
}

async function timeCalls(runs: number, call: (i: number) => Promise<unknown>): Promise<{ runs: number; medianMs: number; minMs: number; maxMs: number }> {
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await call(i)
    ms.push(performance.now() - t0)
  }
  ms.sort((x, y) => x - y)
  return { runs: ms.length, medianMs: ms[Math.floor(ms.length / 2)], minMs: ms[0], maxMs: ms[ms.length - 1] }
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job
  const opts = { dir: job.modelsDir }
  const distances: number[] = []
  for (const p of job.pairs) distances.push(await lpipsDistance(await readImage(p.a), await readImage(p.b), opts))
  // the smallest allowed size runs too
  const tiny = { width: 17, height: 20, data: new Uint8Array(3 * 17 * 20).fill(100) }
  await lpipsDistance(tiny, shifted(tiny), opts)

  const a = await readImage(job.timingImage)
  if (a.width !== 768 || a.height !== 512) throw new Error(`timing image is ${a.width}x${a.height}, expected 768x512`)
  const b = shifted(a)
  const refs = [a, shifted(a, 16)] // alternating references: the kept taps never match
  await lpipsDistance(a, b, opts) // warm-up
  const timing = await timeCalls(job.timingRuns, (i) => lpipsDistance(refs[(i + 1) % 2], b, opts))
  await lpipsDistance(a, b, opts)
  const timingSameReference = await timeCalls(job.timingRuns, () => lpipsDistance(a, b, opts))
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    note: 'shared machine: a PyTorch training job and other work were running during the timing'
  }
  process.stdout.write(JSON.stringify({ distances, timing, timingSameReference, machine }))
}

main().catch((e) => {
  process.stderr.write(`lpips_check: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
