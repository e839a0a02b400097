// Does the generator use its conditions? The product's own encoder and decoder on Kodak (onnxruntime-node,
// the exported models), for C = 0 (caption only), 1, 2, 4, 8, 16, each packet made by the step rule:
//   generator  = decodePacket(packet) at the manifest's recommended steps, temperature and held frequencies;
//   prior      = decodePacket(packet, steps 0): the generator's prior (conditional-mean) estimate without the flow;
//   mean-fill  = the packet's transmitted channels dequantised, every other channel at its training mean, g_s;
//   bicubic    = that decode averaged over each 16x16 block and bicubically upsampled (sharp, 'cubic').
// Each is scored against the original: MS-SSIM (luma, 5 scales), PSNR, and detection agreement (F1 at IoU 0.5
// of detections at score >= 0.3 on the reconstruction vs on the original, as gsc bench measures it: the mean of
// per-image F1, where an image with no detection on either side counts 1). Also the pooled F1 over the set
// (matches, detections and reference detections summed over images before dividing): images without
// detections then weigh nothing, and each object counts once, so a few empty images cannot swing it.
// Usage: npx tsx training/eval/eval_conditions.ts [--data dir] [--every K] [--limit N] [--out file.json] [--temperature T] [--steps N] [--hold-below F]
// (the manifest's numbers: --out training/runs/cpu/metrics_conditions.json on all of Kodak, then export again)
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { detectionAgreement, pooledAgreement, type DetectionCounts } from '../../src/core/analysis/detections'
import { msssim, psnr } from '../../src/core/analysis/metrics'
import { AGREEMENT_SCORE } from '../../src/core/bench/measurement'
import { machineInfo } from '../../src/core/bench/machine'
import { LATENT_FACTOR } from '../../src/core/codec/channelSelection'
import { loadFlowModels } from '../../src/core/codec/codecModels'
import { decodePacket } from '../../src/core/codec/decoder'
import { packChannels } from '../../src/core/codec/packing'
import { prepareImage } from '../../src/core/codec/prepare'
import { dequantize, quantize } from '../../src/core/codec/quantize'
import { getDetector } from '../../src/core/codec/sharedDetector'
import { cropImage, fromPlanarFloat, readImage, resizeImage, type RgbImage } from '../../src/core/image/rgbImage'

const CS = [0, 1, 2, 4, 8, 16]
const KINDS = ['generator', 'prior', 'meanFill', 'bicubic'] as const
type Kind = (typeof KINDS)[number]
type Row = { msssim: number[]; psnr: number[]; f1: number[]; counts: DetectionCounts[] }

/** Mean of every 16x16 block (edge blocks: their pixels inside the image), bicubically upsampled back. */
async function blockBicubic(img: RgbImage): Promise<RgbImage> {
  const bw = Math.ceil(img.width / LATENT_FACTOR)
  const bh = Math.ceil(img.height / LATENT_FACTOR)
  const sum = new Float64Array(3 * bw * bh)
  const cnt = new Float64Array(bw * bh)
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const b = Math.floor(y / LATENT_FACTOR) * bw + Math.floor(x / LATENT_FACTOR)
      cnt[b]++
      for (let c = 0; c < 3; c++) sum[3 * b + c] += img.data[3 * (y * img.width + x) + c]
    }
  const small = new Uint8Array(3 * bw * bh)
  for (let b = 0; b < bw * bh; b++) for (let c = 0; c < 3; c++) small[3 * b + c] = Math.round(sum[3 * b + c] / cnt[b])
  return resizeImage({ width: bw, height: bh, data: small }, img.width, img.height, 'cubic')
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { limit: { type: 'string' }, every: { type: 'string' }, out: { type: 'string' }, temperature: { type: 'string' }, steps: { type: 'string' }, 'hold-below': { type: 'string' }, data: { type: 'string' } }
  })
  const dir = resolve(values.data ?? '../shared/data/kodak')
  if (!existsSync(dir)) throw new Error(`images not found at ${dir}`)
  const files = readdirSync(dir)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .filter((_, i) => i % Number(values.every ?? 1) === 0)
    .slice(0, values.limit ? Number(values.limit) : undefined)
  const temperature = values.temperature !== undefined ? Number(values.temperature) : undefined
  const steps = values.steps !== undefined ? Number(values.steps) : undefined
  const holdBelowFrequency = values['hold-below'] !== undefined ? Number(values['hold-below']) : undefined
  // set 1's prior, flow and g_s are driven directly, so this tool measures the flow set (model set 1)
  const models = await loadFlowModels()
  const detector = await getDetector()
  const detect = async (img: RgbImage) => (await detector.detect(img, { scoreThreshold: AGREEMENT_SCORE })).map((d) => ({ classId: d.classId, score: d.score, box: d.box }))
  const rows: Record<string, Record<Kind, Row>> = {}
  const bits: Record<string, number[]> = {}
  for (const c of CS) {
    rows[c] = Object.fromEntries(KINDS.map((k) => [k, { msssim: [], psnr: [], f1: [], counts: [] }])) as unknown as Record<Kind, Row>
    bits[c] = []
  }
  const t0 = performance.now()
  for (const f of files) {
    const original = await readImage(join(dir, f))
    const reference = await detect(original)
    const prep = await prepareImage(original, { modelSet: models.modelId })
    for (const c of CS) {
      const pack = await packChannels(prep, c)
      bits[c].push(pack.bits.total)
      const gen = (await decodePacket(pack.packet, { temperature, steps, holdBelowFrequency })).image
      const prior = (await decodePacket(pack.packet, { steps: 0 })).image
      // mean-fill: transmitted channels at their dequantised values, the rest at the training mean
      const n = prep.lh * prep.lw
      const y = new Float32Array(models.latentChannels * n)
      for (let k = 0; k < models.latentChannels; k++) y.fill(models.mean[k], k * n, (k + 1) * n)
      for (const k of pack.channelIndices) y.set(dequantize(quantize(prep.latent.subarray(k * n, (k + 1) * n), pack.quantStep), pack.quantStep), k * n)
      const full = fromPlanarFloat(await models.synthesis(y, prep.lh, prep.lw), prep.lw * LATENT_FACTOR, prep.lh * LATENT_FACTOR)
      const meanFill = cropImage(full, original.width, original.height)
      const bicubic = await blockBicubic(meanFill)
      for (const [kind, img] of [['generator', gen], ['prior', prior], ['meanFill', meanFill], ['bicubic', bicubic]] as const) {
        const r = rows[c][kind]
        r.msssim.push(msssim(original, img))
        r.psnr.push(psnr(original, img))
        const found = await detect(img)
        const agreement = detectionAgreement(reference, found, 0.5)
        r.f1.push(agreement.f1)
        r.counts.push({ matched: agreement.matched, found: found.length, reference: reference.length })
      }
    }
    console.log(`${f} done ${((performance.now() - t0) / 1000).toFixed(0)}s`)
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4
  const perC = Object.fromEntries(
    CS.map((c) => [
      c,
      {
        meanBits: Math.round(mean(bits[c])),
        ...Object.fromEntries(
          KINDS.map((k) => [k, { msssim: r4(mean(rows[c][k].msssim)), psnr: r4(mean(rows[c][k].psnr)), f1: r4(mean(rows[c][k].f1)), pooledF1: r4(pooledAgreement(rows[c][k].counts).f1) }])
        )
      }
    ])
  )
  const result = {
    dataset: `${dir.split('/').pop()} (${files.length} images)`,
    method:
      'product encoder (step rule, built-in captioner) and decoder through onnxruntime-node; F1 at IoU 0.5, detections at score >= 0.3 vs those on the original; f1 = mean of per-image F1 (no detection on either side = 1), pooledF1 = F1 of the summed counts',
    referenceDetections: rows[CS[0]].generator.counts.map((c) => c.reference),
    temperature: temperature ?? models.recommendedTemperature,
    steps: steps ?? models.recommendedSteps,
    holdBelowFrequency: holdBelowFrequency ?? models.recommendedHoldBelow,
    perC,
    perImage: Object.fromEntries(CS.map((c) => [c, Object.fromEntries(KINDS.map((k) => [k, { msssim: rows[c][k].msssim.map(r4), f1: rows[c][k].f1.map(r4), matchedFound: rows[c][k].counts.map((n) => [n.matched, n.found]) }]))])),
    machine: machineInfo(),
    seconds: Math.round((performance.now() - t0) / 1000)
  }
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 1))
  console.log(JSON.stringify(perC, null, 1))
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`eval_conditions: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
)
