// Kodak evaluation of the exported codec transform through onnxruntime-node, with real rounding:
// PSNR of g_s(round(g_a(x))) (all 320 channels, quantisation step 1) on 8-bit RGB, plus timings of
// g_a, g_s and one generator step on 768x512 (latent 48x32) on this machine.
// Usage: npx tsx training/eval/eval_codec_kodak.ts [modelsDir] [out.json]
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import * as ort from 'onnxruntime-node'

const modelsDir = resolve(process.argv[2] ?? 'resources/models')
const outFile = process.argv[3]
const kodak = resolve('../shared/data/kodak')

async function main(): Promise<void> {
  if (!existsSync(kodak)) {
    console.error(`Kodak images not found at ${kodak}; skipping the evaluation`)
    process.exit(2)
  }
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 2 }
  const ga = await ort.InferenceSession.create(join(modelsDir, 'g_a.onnx'), opts)
  const gs = await ort.InferenceSession.create(join(modelsDir, 'g_s.onnx'), opts)
  const gen = await ort.InferenceSession.create(join(modelsDir, 'generator.onnx'), opts)
  const files = readdirSync(kodak).filter((f) => f.endsWith('.png')).sort()
  const perImage: { file: string; psnr: number }[] = []
  const tA: number[] = []
  const tS: number[] = []
  for (const f of files) {
    const { data, info } = await sharp(join(kodak, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    const [w, h] = [info.width, info.height]
    const [W, H] = [Math.ceil(w / 16) * 16, Math.ceil(h / 16) * 16]
    const x = new Float32Array(3 * W * H)
    for (let c = 0; c < 3; c++)
      for (let yy = 0; yy < H; yy++)
        for (let xx = 0; xx < W; xx++) x[c * W * H + yy * W + xx] = data[3 * (Math.min(yy, h - 1) * w + Math.min(xx, w - 1)) + c] / 255
    let t0 = performance.now()
    const y = (await ga.run({ image: new ort.Tensor('float32', x, [1, 3, H, W]) })).latent
    tA.push(performance.now() - t0)
    const q = Float32Array.from(y.data as Float32Array, Math.round)
    t0 = performance.now()
    const r = (await gs.run({ latent: new ort.Tensor('float32', q, y.dims) })).image.data as Float32Array
    tS.push(performance.now() - t0)
    let se = 0
    for (let c = 0; c < 3; c++)
      for (let yy = 0; yy < h; yy++)
        for (let xx = 0; xx < w; xx++) {
          const v = Math.round(Math.min(1, Math.max(0, r[c * W * H + yy * W + xx])) * 255)
          se += (v - data[3 * (yy * w + xx) + c]) ** 2
        }
    perImage.push({ file: f, psnr: 10 * Math.log10((255 * 255) / (se / (3 * w * h))) })
  }
  const [lh, lw] = [32, 48]
  const z = new Float32Array(320 * lh * lw).map((_, i) => Math.sin(i * 0.37))
  const feeds = {
    r_t: new ort.Tensor('float32', z, [1, 320, lh, lw]),
    t: new ort.Tensor('float32', Float32Array.from([0.5]), [1]),
    caption: new ort.Tensor('float32', new Float32Array(128), [1, 128]),
    y_sel: new ort.Tensor('float32', new Float32Array(320 * lh * lw), [1, 320, lh, lw]),
    mask: new ort.Tensor('float32', new Float32Array(320), [1, 320]),
    centre: new ort.Tensor('float32', new Float32Array(320 * lh * lw), [1, 320, lh, lw])
  }
  await gen.run(feeds)
  const tG: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    await gen.run(feeds)
    tG.push(performance.now() - t0)
  }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]
  const mean = perImage.reduce((s, p) => s + p.psnr, 0) / perImage.length
  const result = {
    dataset: 'kodak (24 PNG, 768x512 / 512x768)',
    quantStep: 1,
    psnrAllChannels_dB: +mean.toFixed(3),
    psnrMin_dB: +Math.min(...perImage.map((p) => p.psnr)).toFixed(3),
    perImage: perImage.map((p) => ({ file: p.file, psnr: +p.psnr.toFixed(3) })),
    timing_ms: { g_a_768x512_median: +median(tA).toFixed(1), g_s_768x512_median: +median(tS).toFixed(1), generatorStep_48x32_median: +median(tG).toFixed(1) },
    machine: `${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), onnxruntime-node, intraOpNumThreads 2`,
    measuredWith: 'onnxruntime-node, exported ONNX files, rounding quantisation'
  }
  if (outFile) writeFileSync(outFile, JSON.stringify(result, null, 1))
  console.log(JSON.stringify({ psnrAllChannels_dB: result.psnrAllChannels_dB, psnrMin_dB: result.psnrMin_dB, timing_ms: result.timing_ms }))
}

main().catch((e) => {
  console.error(`eval_codec_kodak: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
