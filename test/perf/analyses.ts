// Analysis benchmark (issue 20's target: segmentation + depth + LPIPS under 150 ms per 768x512 image on 2 cores,
// beside the detector). Times each analysis as the engine runs it, interleaved in one process so that the ratios hold
// on a shared machine: wall clock and process CPU time per call, medians over runs x images.
//   npx tsx test/perf/analyses.ts [--runs 9] [--before DIR] [--candidates DIR] [--session-variants]
// --candidates DIR: Cityscapes ESPNetv2 graphs city_<W>x<H>.onnx (training/segmentation/export_size_candidates.py)
// are timed beside the shipped graph through the engine's letterbox path, and their labels compared with the shipped
// graph's on the KITTI selection frames (sorted image_2 names with NR%3 != 1; never the report frames).
// --session-variants: the segmentation and depth graphs under other onnxruntime session options (threads, optimisation
// level, spinning, denormals as zero), interleaved with the engine's options, on the same inputs.
// --before DIR: the graphs as they shipped before the last export changes (DIR/espnetv2_city_1024x512.onnx and
// DIR/lpips_squeeze.onnx taking image0/image1, e.g. from `git show <rev>:resources/models/<file>`), timed interleaved
// with today's graphs on the same inputs (session.run only), so the before/after ratio comes from one run.
// Rewrites the part of docs/bench/analyses.md between its bench markers; the rest of that file is kept.
import * as ort from 'onnxruntime-node'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { readImage, resizeImage, toPlanarFloat, type RgbImage } from '../../src/core/image/rgbImage'
import { SEGMENTATION_INTRA_OP_THREADS, labelsToImageSize, letterboxSegmentationInput, segmentImage, segmentationInputSize } from '../../src/core/analysis/segmentation'
import { DEPTH_INPUT_HEIGHT, DEPTH_INPUT_WIDTH, DEPTH_INTRA_OP_THREADS, DEPTH_MODEL_ID, depthMap } from '../../src/core/analysis/depth'
import { LPIPS_INTRA_OP_THREADS, lpipsDistance } from '../../src/core/analysis/lpips'
import { loadDetector } from '../../src/core/analysis/detector'
import { ConfusionMatrix } from '../../src/core/analysis/segmentationMetrics'
import { analysisSessionOptions } from '../../src/core/modelAssets/sessionOptions'
import { defaultModelsDir, modelEntry } from '../../src/core/modelAssets/manifest'
import { sharedData } from '../fixtures/sharedData'
import { median } from './median'

const ROOT = resolve(import.meta.dirname, '..', '..')
const DOC = join(ROOT, 'docs', 'bench', 'analyses.md')
const BEGIN = '<!-- bench:analyses begin (written by test/perf/analyses.ts) -->'
const END = '<!-- bench:analyses end -->'
const KODAK = ['kodim01', 'kodim05', 'kodim13'] // 768x512 landscape photos
const TARGET_MS = 150

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

interface Timing {
  wall: number[]
  cpu: number[]
}

/** Wall and process CPU time (user + system, all threads) of one call, in ms. */
async function timed<T>(t: Timing, f: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await f()
  t.wall.push(performance.now() - t0)
  const c = process.cpuUsage(c0)
  t.cpu.push((c.user + c.system) / 1000)
  return r
}

const fmt = (x: number) => x.toFixed(1)
const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' / ')

/** A stand-in reconstruction: the photo at 1/f size and back (timing does not depend on what the pixels are). */
async function standIn(img: RgbImage, f = 4): Promise<RgbImage> {
  return resizeImage(await resizeImage(img, Math.round(img.width / f), Math.round(img.height / f), 'linear'), img.width, img.height, 'linear')
}

async function candidateLabels(session: ort.InferenceSession, img: RgbImage, w: number, h: number): Promise<Uint8Array> {
  const { planar, content } = await letterboxSegmentationInput(img, w, h)
  const out = await session.run({ image: new ort.Tensor('float32', planar, [1, 3, h, w]) })
  const labels = labelsToImageSize(out.labels.data as Uint8Array, w, content, img.width, img.height)
  for (const t of Object.values(out)) t.dispose?.()
  return labels
}

async function candidates(dir: string, runs: number, photos: RgbImage[]): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => /^city_\d+x\d+\.onnx$/.test(f))
  const sizes = files.map((f) => f.match(/(\d+)x(\d+)/)!.slice(1).map(Number) as [number, number]).sort((a, b) => b[0] * b[1] - a[0] * a[1])
  const shipped = modelEntry('espnetv2_city', defaultModelsDir())
  const [sw, sh] = segmentationInputSize('city')
  const all: { label: string; w: number; h: number; session: ort.InferenceSession }[] = [
    { label: `${sw}x${sh} (shipped)`, w: sw, h: sh, session: await ort.InferenceSession.create(join(defaultModelsDir(), shipped.file), analysisSessionOptions('cpu', SEGMENTATION_INTRA_OP_THREADS)) }
  ]
  for (const [w, h] of sizes) {
    if (w === sw && h === sh) continue
    all.push({ label: `${w}x${h}`, w, h, session: await ort.InferenceSession.create(join(dir, `city_${w}x${h}.onnx`), analysisSessionOptions('cpu', SEGMENTATION_INTRA_OP_THREADS)) })
  }
  const t = all.map(() => ({ wall: [], cpu: [] }) as Timing)
  for (const c of all) await candidateLabels(c.session, photos[0], c.w, c.h)
  for (let r = 0; r < runs; r++) for (const p of photos) for (let i = 0; i < all.length; i++) await timed(t[i], () => candidateLabels(all[i].session, p, all[i].w, all[i].h))

  const kittiDir = sharedData('kitti', 'image_2')
  const frames = readdirSync(kittiDir).filter((f) => f.endsWith('.png')).sort().filter((_, i) => i % 3 !== 0)
  const cms = all.map(() => new ConfusionMatrix(20))
  const worst = all.map(() => 1)
  for (const f of frames) {
    const img = await readImage(join(kittiDir, f))
    const ref = await candidateLabels(all[0].session, img, all[0].w, all[0].h)
    for (let i = 1; i < all.length; i++) {
      const labels = await candidateLabels(all[i].session, img, all[i].w, all[i].h)
      cms[i].add(ref, labels)
      let same = 0
      for (let j = 0; j < ref.length; j++) if (ref[j] === labels[j]) same++
      worst[i] = Math.min(worst[i], same / ref.length)
    }
  }
  const rows = all.map((c, i) => {
    const a = i === 0 ? null : cms[i].result()
    const agree = a ? `${a.pixelAccuracy.toFixed(4)} | ${a.miou.toFixed(3)} | ${worst[i].toFixed(3)}` : 'reference | reference | reference'
    return `| ${c.label} | ${fmt(median(t[i].wall))} | ${fmt(Math.min(...t[i].wall))} | ${fmt(median(t[i].cpu))} | ${agree} |`
  })
  return [
    `### Cityscapes segmentation at other input sizes (--candidates ${dir})`,
    '',
    `Letterbox, graph and labels back to 768x512, Kodak ${KODAK.join(', ')}, ${runs} runs each, interleaved; agreement with the shipped graph on the ${frames.length} KITTI selection frames (${frames[0]} .. ${frames[frames.length - 1]}, every frame except every third from the first), counted at the frames' own size. Load average after: ${load()}.`,
    '',
    '| input | wall median ms | wall min ms | CPU median ms | pixel agreement | mIoU agreement | worst frame pixel agreement |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows
  ]
}

/** onnxruntime session options: the analyses' own (analysisSessionOptions) at 2 threads, and changes to it one at a time. */
function sessionVariants(): Record<string, ort.InferenceSession.SessionOptions> {
  const engine = analysisSessionOptions('cpu', 2)
  const noSpin = { session: { intra_op: { allow_spinning: '0' } } }
  return {
    '2 intra-op threads, level all, no spinning': engine,
    '1 intra-op thread': { ...engine, intraOpNumThreads: 1 },
    '2 threads, level extended (no NCHWc layout)': { ...engine, graphOptimizationLevel: 'extended' },
    '2 threads, spinning allowed': { ...engine, extra: {} },
    '2 threads, denormals as zero': { ...engine, extra: { session: { ...noSpin.session, set_denormal_as_zero: '1' } } }
  }
}

async function variantRows(model: string, file: string, input: Float32Array, dims: number[], runs: number): Promise<string[]> {
  const variants = Object.entries(sessionVariants())
  const sessions = await Promise.all(variants.map(([, o]) => ort.InferenceSession.create(file, o)))
  const feed = () => ({ image: new ort.Tensor('float32', input, dims) })
  const t = variants.map(() => ({ wall: [], cpu: [] }) as Timing)
  for (const s of sessions) await s.run(feed())
  for (let r = 0; r < runs; r++) for (let i = 0; i < sessions.length; i++) await timed(t[i], () => sessions[i].run(feed()))
  return variants.map(([name], i) => `| ${model} | ${name} | ${fmt(median(t[i].wall))} | ${fmt(Math.min(...t[i].wall))} | ${fmt(median(t[i].cpu))} |`)
}

async function sessionVariantSection(recon: RgbImage, runs: number): Promise<string[]> {
  const dir = defaultModelsDir()
  const [sw, sh] = segmentationInputSize('city')
  const seg = (await letterboxSegmentationInput(recon, sw, sh)).planar
  const depth = toPlanarFloat(await resizeImage(recon, DEPTH_INPUT_WIDTH, DEPTH_INPUT_HEIGHT, 'linear'))
  const rows = [
    ...(await variantRows(`Cityscapes ${sw}x${sh}`, join(dir, modelEntry('espnetv2_city', dir).file), seg, [1, 3, sh, sw], runs)),
    ...(await variantRows('depth 640x192', join(dir, modelEntry(DEPTH_MODEL_ID, dir).file), depth, [1, 3, DEPTH_INPUT_HEIGHT, DEPTH_INPUT_WIDTH], runs))
  ]
  return [
    '### onnxruntime session options (--session-variants)',
    '',
    `The graph alone (session.run) on the first stand-in reconstruction's model input, ${runs} runs per variant, interleaved. Load average after: ${load()}.`,
    '',
    '| graph | session options | wall median ms | wall min ms | CPU median ms |',
    '|---|---|---:|---:|---:|',
    ...rows
  ]
}

/** Old and new graphs interleaved, session.run only (inputs prepared once). */
async function beforeSection(dir: string, runs: number, photo: RgbImage, recon: RgbImage): Promise<string[]> {
  const models = defaultModelsDir()
  const [sw, sh] = segmentationInputSize('city')
  const seg = (await letterboxSegmentationInput(recon, sw, sh)).planar
  const open = (file: string, threads: number) => ort.InferenceSession.create(file, analysisSessionOptions('cpu', threads))
  const segOld = await open(join(dir, 'espnetv2_city_1024x512.onnx'), SEGMENTATION_INTRA_OP_THREADS)
  const segNew = await open(join(models, modelEntry('espnetv2_city', models).file), SEGMENTATION_INTRA_OP_THREADS)
  const lpOld1 = await open(join(dir, 'lpips_squeeze.onnx'), LPIPS_INTRA_OP_THREADS)
  const lpOld2 = await open(join(dir, 'lpips_squeeze.onnx'), 2)
  const lpTaps = await open(join(models, modelEntry('lpips_squeeze_features', models).file), LPIPS_INTRA_OP_THREADS)
  const lpDist = await open(join(models, modelEntry('lpips_squeeze', models).file), LPIPS_INTRA_OP_THREADS)
  const dims = [1, 3, photo.height, photo.width]
  const [x, y] = [toPlanarFloat(photo), toPlanarFloat(recon)]
  const segFeed = () => ({ image: new ort.Tensor('float32', seg, [1, 3, sh, sw]) })
  const pairFeed = () => ({ image0: new ort.Tensor('float32', x, dims), image1: new ort.Tensor('float32', y, dims) })
  const taps = await lpTaps.run({ image: new ort.Tensor('float32', x, dims) })
  const distFeed = (t: ort.InferenceSession.OnnxValueMapType) => {
    const f: Record<string, ort.Tensor> = { image: new ort.Tensor('float32', y, dims) }
    for (let k = 0; k < 7; k++) f[`reference_tap${k}`] = t[`tap${k}`]
    return f
  }
  const cases: [string, () => Promise<unknown>][] = [
    ['Cityscapes 1024x512, before (prefix-sum pooling)', () => segOld.run(segFeed())],
    ['Cityscapes 1024x512, now (average pools)', () => segNew.run(segFeed())],
    ['LPIPS pair graph, before, 2 threads (as shipped)', () => lpOld2.run(pairFeed())],
    ['LPIPS pair graph, before, 1 thread', () => lpOld1.run(pairFeed())],
    ['LPIPS now, new original (taps graph + distance graph)', async () => lpDist.run(distFeed(await lpTaps.run({ image: new ort.Tensor('float32', x, dims) })))],
    ["LPIPS now, original's taps kept (distance graph)", () => lpDist.run(distFeed(taps))]
  ]
  const t = cases.map(() => ({ wall: [], cpu: [] }) as Timing)
  for (const [, f] of cases) await f()
  for (let r = 0; r < runs; r++) for (let i = 0; i < cases.length; i++) await timed(t[i], cases[i][1])
  return [
    `### Before and after, one run (--before ${dir})`,
    '',
    `The graphs alone (session.run, inputs prepared once) on Kodak ${KODAK[0]} and its stand-in reconstruction, ${runs} runs per case, interleaved; the engine's session options (1 intra-op thread unless stated). Load average after: ${load()}.`,
    '',
    '| graph | wall median ms | wall min ms | CPU median ms |',
    '|---|---:|---:|---:|',
    ...cases.map(([name], i) => `| ${name} | ${fmt(median(t[i].wall))} | ${fmt(Math.min(...t[i].wall))} | ${fmt(median(t[i].cpu))} |`)
  ]
}

async function main(): Promise<void> {
  const runs = Number(arg('--runs') ?? 9)
  const candDir = arg('--candidates')
  const paths = KODAK.map((k) => sharedData('kodak', `${k}.png`))
  if (!paths.every(existsSync)) {
    console.log(`SKIP: ${paths.find((p) => !existsSync(p))} is missing (the shared test data is not beside the checkout); nothing measured.`)
    return
  }
  const loadBefore = load()
  const photos = await Promise.all(paths.map((p) => readImage(p)))
  const recons = await Promise.all(photos.map((p) => standIn(p)))
  const others = await Promise.all(photos.map((p) => standIn(p, 3))) // a second reconstruction of the same original
  const det = await loadDetector()
  const names = [
    'segmentation (Cityscapes)',
    'depth',
    'LPIPS, original seen in the call before (its taps kept)',
    'LPIPS, new original (both images through the backbone)',
    'segmentation (PASCAL)',
    'detector',
    'seg + depth + LPIPS, one after another',
    'seg + depth + LPIPS, started together'
  ]
  const t: Record<string, Timing> = Object.fromEntries(names.map((n) => [n, { wall: [], cpu: [] }]))
  // warm-up: sessions open, first-run allocations
  await segmentImage(recons[0])
  await segmentImage(recons[0], { dataset: 'pascal' })
  await depthMap(recons[0])
  await lpipsDistance(photos[0], recons[0])
  await det.detect(recons[0])
  // Per round and photo, as `gsc bench` runs a reconstruction of an original it has already seen (LPIPS keeps the
  // original's taps; the original's segmentation and depth are computed once per original there): the first LPIPS
  // call of a photo pays for the original's taps, the next ones do not.
  for (let r = 0; r < runs; r++)
    for (let i = 0; i < photos.length; i++) {
      const [x, y, y2] = [photos[i], recons[i], others[i]]
      await timed(t[names[3]], () => lpipsDistance(x, y2))
      await timed(t[names[6]], async () => {
        await timed(t[names[0]], () => segmentImage(y))
        await timed(t[names[1]], () => depthMap(y))
        await timed(t[names[2]], () => lpipsDistance(x, y))
      })
      await timed(t[names[7]], () => Promise.all([segmentImage(y2), depthMap(y2), lpipsDistance(x, y2)]))
      await timed(t[names[4]], () => segmentImage(y, { dataset: 'pascal' }))
      await timed(t[names[5]], () => det.detect(y))
    }
  const cpu = os.cpus()
  const machine = `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, node ${process.version}, onnxruntime-node ${JSON.parse(readFileSync(join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version} (cpu provider, no spinning; intra-op threads: segmentation ${SEGMENTATION_INTRA_OP_THREADS}, depth ${DEPTH_INTRA_OP_THREADS}, LPIPS ${LPIPS_INTRA_OP_THREADS}, detector 2)`
  const seq = median(t[names[6]].wall)
  const together = median(t[names[7]].wall)
  const seqCpu = median(t[names[6]].cpu)
  const best = Math.min(seq, together)
  const lines = [
    BEGIN,
    `## Measured (${new Date().toISOString()})`,
    '',
    `- Command: \`npx tsx test/perf/analyses.ts ${process.argv.slice(2).join(' ')}\``,
    `- Machine: ${machine}. **Shared**: other agents and a PyTorch training job ran at the same time; load average (1 / 5 / 15 min) ${loadBefore} before, ${load()} after. CPU time is the process's user + system time over all its threads; the wall time of a call cannot fall below its CPU time divided by the cores it can use (1 for a 1-thread session, 2 at most).`,
    `- Per 768x512 reconstruction: Kodak ${KODAK.join(', ')} as the original and two stand-in reconstructions (the photo at 1/4 and at 1/3 size and back up), each engine call as the image view and \`gsc bench\` make it: \`segmentImage(recon)\` (letterbox into the model input, labels back to 768x512), \`depthMap(recon)\` (resize to 640x192), \`lpipsDistance(original, recon)\` (both at 768x512), \`detect(recon)\`. Per round and photo: LPIPS of the 1/3 reconstruction first (a new original: its taps are computed), then segmentation, depth and LPIPS of the 1/4 one one after another (the original's taps kept, as for every reconstruction after the first in \`gsc bench\`), then the three started together on the 1/3 one, then PASCAL segmentation and the detector. ${runs} rounds x ${photos.length} images, after one warm-up call each. The original's own segmentation and depth are not in these figures: \`gsc bench\` and the image view compute them once per original.`,
    '',
    '| analysis | wall median ms | wall min ms | CPU median ms |',
    '|---|---:|---:|---:|',
    ...names.map((n) => `| ${n} | ${fmt(median(t[n].wall))} | ${fmt(Math.min(...t[n].wall))} | ${fmt(median(t[n].cpu))} |`),
    '',
    `**Target (${TARGET_MS} ms for segmentation + depth + LPIPS per 768x512 image): ${best < TARGET_MS ? 'met' : 'not met'}** in this run: ${fmt(best)} ms median wall (${fmt(seq)} one after another, ${fmt(together)} started together), ${fmt(seqCpu)} ms CPU, i.e. at least ${fmt(seqCpu / 2)} ms wall even on two idle cores with the work spread over both.`
  ]
  const beforeDir = arg('--before')
  if (beforeDir) lines.push('', ...(await beforeSection(beforeDir, runs, photos[0], recons[0])))
  if (candDir) lines.push('', ...(await candidates(candDir, runs, recons)))
  if (process.argv.includes('--session-variants')) lines.push('', ...(await sessionVariantSection(recons[0], runs)))
  lines.push(END)
  const block = lines.join('\n')
  console.log(block)
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : ''
  const [a, b] = [doc.indexOf(BEGIN), doc.indexOf(END)]
  const next = a >= 0 && b > a ? doc.slice(0, a) + block + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n${block}\n`
  writeFileSync(DOC, next)
}

main().catch((e) => {
  console.error(`bench analyses: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
