// Codec benchmark of the encoder's default model set (manifest defaultModelSet): bits on Kodak with the built-in
// captioner (per C, per part), and on one 768x512 image the encode time (fixed C), decode time (default steps) and
// peak memory (RSS of a child process).
// Usage: npx tsx test/perf/codec.ts [--images N] [--runs R]     (writes docs/bench/codec.md)
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { msssim, psnr } from '../../src/core/analysis/metrics'
import { loadCodecModels } from '../../src/core/codec/codecModels'
import { decodePacket } from '../../src/core/codec/decoder'
import { encodeImage } from '../../src/core/codec/encoder'
import { DEFAULT_LUMA_RULE, LUMA_SEARCH_SETS } from '../../src/core/codec/lumaSearch'
import { packChannels } from '../../src/core/codec/packing'
import { prepareImage } from '../../src/core/codec/prepare'
import { targetBpp } from '../../src/core/codec/quantize'
import { readImage } from '../../src/core/image/rgbImage'
import { sharedData } from '../fixtures/sharedData'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '../..')
const KODAK = sharedData('kodak')
const TIMING_IMAGE = path.join(KODAK, 'kodim23.png')
const CHOICES = [1, 2, 4, 8, 16]

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

/** Child mode: one encode + one decode of the timing image, then print peak RSS (VmHWM). */
async function child(): Promise<void> {
  const img = await readImage(TIMING_IMAGE)
  const r = await encodeImage(img, { channels: 16 })
  await decodePacket(r.packet)
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  process.stdout.write(JSON.stringify({ peakRssMB: hwm ? Number(hwm[1]) / 1024 : process.memoryUsage().rss / 2 ** 20 }) + '\n')
}

async function main(): Promise<void> {
  if (!existsSync(KODAK)) {
    console.log(`codec bench skipped: Kodak images missing at ${KODAK} (see ../shared/data/README.md)`)
    return
  }
  const maxImages = arg('images', 24)
  const runs = arg('runs', 5)
  const cpu = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}`
  const load = os.loadavg().map((v) => v.toFixed(2)).join(' ')
  console.log(`machine: ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average at start ${load}`)
  const models = await loadCodecModels()
  const manifest = JSON.parse(readFileSync(path.join(process.env.GSC_MODELS_DIR ?? path.join(ROOT, 'resources/models'), 'manifest.json'), 'utf8'))
  // the network that regenerates the picture: set 1's flow generator, a learned set's decoder
  const trained = manifest.models[models.files.generator?.id ?? models.files.decoder?.id]

  // ---- bits on Kodak, every C, built-in captioner ----
  const files = readdirSync(KODAK).filter((f) => f.endsWith('.png')).sort().slice(0, maxImages)
  type Row = { total: number; bpp: number; header: number; caption: number; latents: number; step: number; fits: boolean }
  const rows = new Map<number, Row[]>(CHOICES.map((c) => [c, []]))
  for (const f of files) {
    const img = await readImage(path.join(KODAK, f))
    const prep = await prepareImage(img, {})
    for (const c of CHOICES) {
      const p = await packChannels(prep, c)
      rows.get(c)!.push({ total: p.bits.total, bpp: p.bits.bpp, header: p.bits.header, caption: p.bits.caption, latents: p.bits.latents, step: p.quantStep, fits: p.fitsTarget })
    }
    process.stderr.write(`\rbits: ${f}`)
  }
  process.stderr.write('\n')

  // ---- time and quality on one 768x512 image ----
  const img = await readImage(TIMING_IMAGE)
  await encodeImage(img, { channels: 4 }) // warm-up (first ONNX runs, detector load)
  const encMs: number[] = []
  const encCpuMs: number[] = []
  // set 28's luma rules (--luma-rule) at C = 16, where every searching rule searches, timed in the same runs,
  // interleaved, so their ratio is fair on a shared machine
  const searching = DEFAULT_LUMA_RULE === 'fixed' ? 'search' : DEFAULT_LUMA_RULE
  const lumaRules = LUMA_SEARCH_SETS.includes(models.modelId) ? ['fixed' as const, searching] : []
  const ruleMs: Record<string, number[]> = Object.fromEntries(lumaRules.map((r) => [r, []]))
  let packet: Uint8Array = new Uint8Array()
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    const c0 = process.cpuUsage()
    const r = await encodeImage(img, { channels: 4 })
    encMs.push(performance.now() - t)
    const c = process.cpuUsage(c0)
    encCpuMs.push((c.user + c.system) / 1000)
    packet = r.packet
    for (const lumaRule of lumaRules) {
      const t2 = performance.now()
      await encodeImage(img, { channels: 16, lumaRule })
      ruleMs[lumaRule].push(performance.now() - t2)
    }
  }
  const decMs: number[] = []
  const decCpuMs: number[] = []
  const parts: Record<string, number[]> = {}
  let steps = 0
  let q = { psnr: 0, msssim: 0 }
  await decodePacket(packet)
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    const c0 = process.cpuUsage()
    const d = await decodePacket(packet)
    decMs.push(performance.now() - t)
    const c = process.cpuUsage(c0)
    decCpuMs.push((c.user + c.system) / 1000)
    for (const [k, v] of Object.entries(d.timingsMs)) (parts[k] ??= []).push(v)
    steps = d.steps
    q = { psnr: psnr(img, d.image), msssim: msssim(img, d.image) }
  }
  const quality: { c: number; psnr: number; msssim: number; bpp: number }[] = []
  for (const c of [1, 16]) {
    const r = await encodeImage(img, { channels: c })
    const d = await decodePacket(r.packet)
    quality.push({ c, psnr: psnr(img, d.image), msssim: msssim(img, d.image), bpp: r.bits.bpp })
  }

  // ---- channel-selection rule: SSIM-vs-luma (trained) vs channel energy, full decodes ----
  const compareN = arg('compare', 3)
  const cmp: { rule: string; c: number; bpp: number[]; psnr: number[]; msssim: number[] }[] = []
  for (const rule of ['ssim', 'energy'] as const)
    for (const c of [4, 16]) cmp.push({ rule, c, bpp: [], psnr: [], msssim: [] })
  for (const f of files.slice(0, compareN)) {
    const im = await readImage(path.join(KODAK, f))
    for (const rule of ['ssim', 'energy'] as const) {
      const prep = await prepareImage(im, { selection: rule })
      for (const c of [4, 16]) {
        const p = await packChannels(prep, c)
        const d = await decodePacket(p.packet)
        const row = cmp.find((x) => x.rule === rule && x.c === c)!
        row.bpp.push(p.bits.bpp)
        row.psnr.push(psnr(im, d.image))
        row.msssim.push(msssim(im, d.image))
      }
    }
    process.stderr.write(`\rselection comparison: ${f}`)
  }
  process.stderr.write('\n')

  // ---- peak memory in a fresh process ----
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx')
  const mem = spawnSync(tsx, [fileURLToPath(import.meta.url), '--child'], { encoding: 'utf8', cwd: ROOT })
  const peak = mem.status === 0 ? (JSON.parse(mem.stdout.trim().split('\n').pop()!) as { peakRssMB: number }).peakRssMB : NaN
  if (mem.status !== 0) console.error(mem.stderr)

  // ---- report ----
  let gpu = 'none'
  try {
    gpu = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' }).trim() || 'none'
  } catch {
    /* no GPU on this machine */
  }
  const lines: string[] = []
  const yes = (ok: boolean) => (ok ? 'met' : '**not met**')
  lines.push('# Codec benchmark', '')
  lines.push(`Generated by \`npx tsx test/perf/codec.ts\` on ${new Date().toISOString().slice(0, 16)}Z.`, '')
  lines.push(`- Machine: ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, GPU: ${gpu}; load average at start ${load} (a shared machine: other jobs may have run, so times are indicative).`)
  lines.push(`- Models: resources/models, model set ${models.modelId} (the encoder's default, kind ${models.kind}; its ${models.kind === 'dct-flow' ? 'generator' : 'decoder'} trained ${trained?.steps} steps on ${trained?.hardware}); execution provider cpu.`)
  lines.push(`- Bits: Kodak (${files.length} images, 768x512 / 512x768), built-in captioner (detector + scene statistics), caption included; seed 0 and the default step hint in the header.`)
  lines.push('')
  lines.push('## Bits per image (means over Kodak)', '')
  lines.push('| C | total bpp | total bits | header+CRC | caption | latents | target bpp | images within target | quant steps used |')
  lines.push('|---|---|---|---|---|---|---|---|---|')
  for (const c of CHOICES) {
    const r = rows.get(c)!
    const stepsUsed = [...new Set(r.map((x) => x.step))].sort((a, b) => a - b).join(', ')
    lines.push(
      `| ${c} | ${mean(r.map((x) => x.bpp)).toFixed(5)} | ${mean(r.map((x) => x.total)).toFixed(0)} | ${mean(r.map((x) => x.header)).toFixed(0)} | ${mean(r.map((x) => x.caption)).toFixed(0)} | ${mean(r.map((x) => x.latents)).toFixed(0)} | ${targetBpp(c).toFixed(4)} | ${r.filter((x) => x.fits).length}/${r.length} | ${stepsUsed} |`
    )
  }
  const b1 = mean(rows.get(1)!.map((x) => x.bpp))
  const b16 = mean(rows.get(16)!.map((x) => x.bpp))
  lines.push('')
  lines.push(`Target C = 1 mean <= 0.004 bpp: ${b1.toFixed(5)} (${yes(b1 <= 0.004)}). Target C = 16 mean <= 0.02 bpp: ${b16.toFixed(5)} (${yes(b16 <= 0.02)}).`)
  lines.push(`The step rule picks, per image, the finest step of the set's grid (${models.quantSteps[0]} to ${models.quantSteps[models.quantSteps.length - 1]}, src/core/codec/quantize.ts and the manifest's wireQuantSteps) whose whole packet fits the target.`)
  lines.push('')
  lines.push(`## Speed and memory, ${img.width}x${img.height} (${path.basename(TIMING_IMAGE)}), CPU, medians of ${runs} warm runs`, '')
  lines.push('| measure | value | target | |')
  lines.push('|---|---|---|---|')
  const ruleNote = lumaRules.length ? `, luma rule ${DEFAULT_LUMA_RULE} (the default)` : ''
  lines.push(`| encode, C = 4 (detector + caption + g_a + selection + step search + entropy coding${ruleNote}) | ${(median(encMs) / 1000).toFixed(2)} s | <= 1.5 s | ${yes(median(encMs) <= 1500)} |`)
  for (const r of lumaRules) {
    const ratio = r === 'fixed' ? '' : ` (${(median(ruleMs[r]) / median(ruleMs.fixed)).toFixed(1)}x the fixed rule's, runs interleaved)`
    lines.push(`| encode, C = 16, \`--luma-rule ${r}\`${ratio} | ${(median(ruleMs[r]) / 1000).toFixed(2)} s | | |`)
  }
  const decodeKind = models.kind === 'dct-flow' ? `${steps} flow step${steps === 1 ? '' : 's'} (default)` : 'one pass'
  lines.push(`| decode, ${decodeKind}, 1 sample | ${(median(decMs) / 1000).toFixed(2)} s | <= 2 s (issue 16) | ${yes(median(decMs) <= 2000)} |`)
  lines.push(`| peak RSS, fresh process: load models, encode C = 16, decode | ${peak.toFixed(0)} MB | <= 1536 MB | ${yes(peak <= 1536)} |`)
  lines.push('')
  lines.push(`Process CPU time (user + system, all threads), medians: encode ${(median(encCpuMs) / 1000).toFixed(2)} s, decode ${(median(decCpuMs) / 1000).toFixed(2)} s. On an otherwise idle 2-core machine the wall time would lie between CPU time / 2 (both cores busy, as ONNX Runtime runs) and CPU time, so this shows what the code costs independently of the load from other jobs.`)
  lines.push('')
  lines.push(`Decode breakdown (medians, ms): ${Object.entries(parts).map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ')}.`)
  lines.push('')
  for (const r of lumaRules) lines.push(`Encode runs at C = 16 with \`--luma-rule ${r}\` (s): ${ruleMs[r].map((v) => (v / 1000).toFixed(2)).join(', ')}.`, '')
  lines.push(`Encode runs (s): ${encMs.map((v) => (v / 1000).toFixed(2)).join(', ')}. Decode runs (s): ${decMs.map((v) => (v / 1000).toFixed(2)).join(', ')}.`)
  lines.push('')
  lines.push('Reconstruction of this image (seed 0, default steps): ' + quality.map((x) => `C = ${x.c}: ${x.bpp.toFixed(4)} bpp, PSNR ${x.psnr.toFixed(2)} dB, MS-SSIM ${x.msssim.toFixed(3)}`).join('; ') + `; C = 4: PSNR ${q.psnr.toFixed(2)} dB, MS-SSIM ${q.msssim.toFixed(3)}.`)
  lines.push('')
  lines.push(`## Channel-selection rule (first ${compareN} Kodak images, full decodes, seed 0, default steps)`, '')
  lines.push('`ssim` is the rule the networks were trained with (each channel\'s own gain in local SSIM of its colour plane, docs/bench/codec-method.md); `energy` ranks channels by their variance (`--selection energy`).', '')
  lines.push('| rule | C | mean bpp | PSNR dB | MS-SSIM |')
  lines.push('|---|---|---|---|---|')
  for (const r of cmp) lines.push(`| ${r.rule} | ${r.c} | ${mean(r.bpp).toFixed(5)} | ${mean(r.psnr).toFixed(2)} | ${mean(r.msssim).toFixed(3)} |`)
  lines.push('')
  lines.push(gpu === 'none' ? 'GPU: none on this machine, so no GPU numbers (the same code runs with `--ep cuda` where onnxruntime-node has CUDA).' : `GPU present (${gpu}); run with the cuda provider for GPU numbers.`)
  const md = lines.join('\n') + '\n'
  mkdirSync(path.join(ROOT, 'docs/bench'), { recursive: true })
  writeFileSync(path.join(ROOT, 'docs/bench/codec.md'), md)
  console.log(md)
}

if (process.argv.includes('--child')) await child()
else await main()
