// The depth ceiling: mobile PyDNet on KITTI originals through the engine (src/core/analysis/depth.ts), scored against
// the sparse LiDAR depth with the Eigen metrics, per-image median scaling, Garg crop and the 80 m cap; the mean of the
// per-frame metrics (as Monodepth2 reports). Frames: the report frames, every third of image_2 sorted by name from
// the first. Also times depthMap on each frame (median of --runs calls after a warm-up). With --degrade N, also scores
// a stand-in reconstruction (the frame shrunk N times and enlarged back, sharp linear) against the LiDAR and against
// the original's depth map (depthAgreement), to show how the measures move when detail is lost; no codec involved.
// Usage: npx tsx training/depth/kitti_depth_eval.ts [--kitti DIR] [--runs 5] [--degrade N] [--json OUT.json]
import { readdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { depthAgreement, depthMap, depthMapMetrics } from '../../src/core/analysis/depth'
import { readLidarDepthPng } from '../../src/core/analysis/depthLidar'
import type { DepthMetrics } from '../../src/core/analysis/depthMetrics'
import { readImage, resizeImage } from '../../src/core/image/rgbImage'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const KEYS = ['delta1', 'delta2', 'delta3', 'absRel', 'sqRel', 'rmse', 'rmseLog'] as const

async function main(): Promise<void> {
  const kitti = resolve(arg('--kitti', join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'kitti')))
  const runs = Number(arg('--runs', '5'))
  const names = readdirSync(join(kitti, 'image_2')).filter((n) => n.endsWith('.png')).sort()
  const report = names.filter((_, i) => i % 3 === 0)
  const degrade = Number(arg('--degrade', '0'))
  const frames: { frame: string; size: string; metrics: DepthMetrics; medianMs: number; degraded?: { lidar: DepthMetrics; agreement: DepthMetrics } }[] = []
  for (const n of report) {
    const img = await readImage(join(kitti, 'image_2', n))
    const lidar = await readLidarDepthPng(join(kitti, 'depth_velodyne', n))
    if (lidar.width !== img.width || lidar.height !== img.height) throw new Error(`${n}: LiDAR map ${lidar.width}x${lidar.height} vs image ${img.width}x${img.height}`)
    const map = await depthMap(img)
    const ms: number[] = []
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now()
      await depthMap(img)
      ms.push(performance.now() - t0)
    }
    ms.sort((a, b) => a - b)
    let degraded: { lidar: DepthMetrics; agreement: DepthMetrics } | undefined
    if (degrade > 1) {
      const small = await resizeImage(img, Math.round(img.width / degrade), Math.round(img.height / degrade), 'linear')
      const recon = await depthMap(await resizeImage(small, img.width, img.height, 'linear'))
      degraded = { lidar: depthMapMetrics(recon, lidar.depth), agreement: depthAgreement(map, recon) }
    }
    frames.push({ frame: n, size: `${img.width}x${img.height}`, metrics: depthMapMetrics(map, lidar.depth), medianMs: ms[Math.floor(ms.length / 2)], degraded })
    process.stderr.write(`kitti_depth_eval: ${n} delta1 ${frames[frames.length - 1].metrics.delta1.toFixed(3)}\n`)
  }
  const mean = Object.fromEntries(KEYS.map((k) => [k, frames.reduce((s, f) => s + f.metrics[k], 0) / frames.length]))
  const meanOf = (pick: (f: (typeof frames)[number]) => DepthMetrics | undefined) =>
    Object.fromEntries(KEYS.map((k) => [k, frames.reduce((s, f) => s + (pick(f)?.[k] ?? NaN), 0) / frames.length]))
  const degradedMean = degrade > 1 ? { factor: degrade, lidar: meanOf((f) => f.degraded?.lidar), agreement: meanOf((f) => f.degraded?.agreement) } : undefined
  const times = frames.map((f) => f.medianMs).sort((a, b) => a - b)
  const result = {
    frames: frames.length,
    pixels: frames.reduce((s, f) => s + f.metrics.count, 0),
    mean,
    degradedMean,
    perFrame: frames,
    depthMapMedianMs: times[Math.floor(times.length / 2)],
    protocol: 'depthMap (640x192 input, sharp linear resize) -> -raw output as inverse depth -> bilinear (half-pixel) to the frame size -> depth = 1/inv; Garg crop; GT in (1e-3, 80) m; median scaling per frame; prediction clamped to [1e-3, 80] m; mean of per-frame metrics',
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, loadAverage: loadavg().map((v) => Math.round(v * 100) / 100) }
  }
  const out = arg('--json', '')
  if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  process.stdout.write(JSON.stringify({ frames: result.frames, pixels: result.pixels, mean, degradedMean, depthMapMedianMs: result.depthMapMedianMs, machine: result.machine }, null, 2) + '\n')
}

main().catch((e: unknown) => {
  process.stderr.write(`kitti_depth_eval: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
