// report.md: every number comes from the summaries (nothing typed in by hand).
import { BASELINES } from '../baselines/codecs'
import { RESAMPLE_KERNEL, SCALES, SCALES_TRIED } from '../baselines/fitToSize'
import { ANALYSIS_METRICS, type AnalysisMetric } from './analysisMetrics'
import { BOOTSTRAP_RESAMPLES, CONFIDENCE_LEVEL, excludesZero } from './confidence'
import { KITTI_TO_COCO } from './datasets'
import { IMAGE_METRICS } from './imageMetrics'
import { AGREEMENT_SCORE, MAP_SCORE } from './measurement'
import { plottedFor } from './plotSpecs'
import type { BaselineSummary, BenchResults, BestBaseline, CSummary, CodecSummary, ComparedKey, DatasetSummary } from './types'

const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d))
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`)

/** Column header of an image metric: its label, with an arrow saying which way is better. */
const metricHead = (m: (typeof IMAGE_METRICS)[number]) => `${m.label} ${m.better === 'higher' ? '↑' : '↓'}`

function row(name: string, s: CodecSummary, extra: string, analyses: readonly AnalysisMetric[]): string {
  const metrics = [...IMAGE_METRICS.map((m) => f(s[m.key], m.digits)), ...analyses.map((m) => f(s[m.key], m.digits))].join(' | ')
  return `| ${name} | ${extra} | ${f(s.meanBytes, 0)} | ${f(s.meanBpp, 4)} | ${metrics} | ${f(s.precision)} | ${f(s.recall)} | ${f(s.f1)} | ${f(s.map50)} | ${ms(s.medianEncodeMs)} | ${ms(s.medianDecodeMs)} |`
}

const arrow = (m: { better: 'higher' | 'lower' }) => (m.better === 'higher' ? '↑' : '↓')

/** Column header of a paired difference with its interval. */
const DIFF_HEAD = `GSC − best [${Math.round(CONFIDENCE_LEVEL * 100)} % CI]`

/** "+0.0184", "-0.034", "0.000": a difference with its sign (none when it rounds to 0). */
function signed(v: number, digits: number): string {
  const a = Math.abs(v).toFixed(digits)
  return Number(a) === 0 ? a : `${v > 0 ? '+' : '-'}${a}`
}

/**
 * GSC minus the best baseline on metric `key` at one C with its interval, "+0.0184 [+0.0102, +0.0260]", in bold where
 * the interval excludes 0; '–' where there is no interval (no baseline, fewer than 2 images, results from before
 * intervals) or it belongs to another baseline than the one shown.
 */
function diffCell(c: CSummary, key: ComparedKey, digits: number, codec = c.best[key]?.codec): string {
  const i = c.intervals?.[key]
  if (!i || i.codec !== codec) return '–'
  const d = i.difference
  const text = `${signed(d.estimate, digits)} [${signed(d.lo, digits)}, ${signed(d.hi, digits)}]`
  return excludesZero(d) ? `**${text}**` : text
}

/** The metrics whose GSC-vs-best difference the report's tables show, with their direction. */
function shownDifferences(d: DatasetSummary): { key: ComparedKey; better: 'higher' | 'lower' }[] {
  return [{ key: 'f1', better: 'higher' }, { key: 'msssim', better: 'higher' }, ...IMAGE_METRICS.filter((m) => m.compare), ...measuredAnalyses(d)]
}

/** One sentence: of the differences shown, how many intervals exclude 0, and in whose favour. */
function intervalSummary(d: DatasetSummary): string {
  const cells = d.perC.flatMap((c) => shownDifferences(d).flatMap((m) => (c.intervals?.[m.key] ? [{ i: c.intervals[m.key]!.difference, m }] : [])))
  if (!cells.length) return 'No GSC-vs-best-baseline difference has an interval here (no baseline compared, or fewer than 2 images).'
  const clear = cells.filter((x) => excludesZero(x.i))
  const gscBetter = clear.filter((x) => (x.m.better === 'higher' ? x.i.lo > 0 : x.i.hi < 0)).length
  return `Of the ${cells.length} GSC − best-baseline differences in these tables (metric × C, F1 counted once), ${clear.length} have a ${Math.round(CONFIDENCE_LEVEL * 100)} % interval that excludes 0 (bold): GSC better in ${gscBetter}, worse in ${clear.length - gscBetter}; the other ${cells.length - clear.length} are within what resampling the images gives.`
}

/** The analysis metrics measured on this dataset (a value for GSC at some C). */
function measuredAnalyses(d: DatasetSummary): AnalysisMetric[] {
  return ANALYSIS_METRICS.filter((m) => d.perC.some((c) => c.gsc[m.key] !== null && c.gsc[m.key] !== undefined))
}

/** "GSC wins" / "GSC loses to jxl" / "tie", for one metric at one C. */
function outcome(gsc: number | null | undefined, b: BestBaseline | null, better: 'higher' | 'lower'): string {
  if (!b || gsc === null || gsc === undefined) return '–'
  const g = b.gsc
  if (g === b.value) return 'tie'
  return (better === 'higher' ? g > b.value : g < b.value) ? 'GSC better' : `**GSC worse** (${b.codec})`
}

/** The scene-analysis table per C: GSC against the best baseline at equal bytes on each analysis metric and F1. */
function analysisSection(d: DatasetSummary): string[] {
  const ms_ = measuredAnalyses(d)
  if (!ms_.length) return []
  const o: string[] = []
  const cols = [...ms_.map((m) => ({ key: m.key, label: m.label, digits: m.digits, better: m.better })), { key: 'f1' as const, label: 'detection F1', digits: 3, better: 'higher' as const }]
  o.push('### Scene analyses: GSC vs the best baseline at equal bytes')
  o.push('')
  const ceiling = ms_.filter((m) => d.originalAnalysis?.[m.key] !== null && d.originalAnalysis?.[m.key] !== undefined)
  if (ceiling.length) o.push(`On the **original** images (the ceiling for every codec): ${ceiling.map((m) => `${m.label} ${f(d.originalAnalysis![m.key], m.digits)}`).join(', ')}.`)
  if (d.medianAnalysisMs !== null && d.medianAnalysisMs !== undefined) o.push(`Median time of these analyses per reconstruction: ${ms(d.medianAnalysisMs)} (this machine, shared).`)
  o.push('')
  o.push('Per metric the best baseline is chosen by that metric\'s own direction among the same codecs as for the goal; "GSC worse" names the baseline that beats GSC.')
  o.push('')
  o.push(`| C | GSC bytes (mean) | metric | GSC | best baseline at equal bytes | ${DIFF_HEAD} | GSC vs best |`)
  o.push('|---|---|---|---|---|---|---|')
  for (const c of d.perC)
    for (const m of cols)
      o.push(`| ${c.c} | ${f(c.gsc.meanBytes, 0)} | ${m.label} ${arrow(m)} | ${f(c.gsc[m.key], m.digits)} | ${best(c.best[m.key], m.digits, c.gsc.n)} | ${diffCell(c, m.key, m.digits)} | ${outcome(c.gsc[m.key], c.best[m.key], m.better)} |`)
  o.push('')
  const losses = d.perC.flatMap((c) => cols.filter((m) => outcome(c.gsc[m.key], c.best[m.key], m.better).startsWith('**GSC worse')).map((m) => `C=${c.c} ${m.label} (${c.best[m.key]!.codec})`))
  const compared = d.perC.flatMap((c) => cols.filter((m) => outcome(c.gsc[m.key], c.best[m.key], m.better) !== '–'))
  o.push(
    losses.length
      ? `GSC loses to the best baseline in ${losses.length} of ${compared.length} metric × C cells: ${losses.join('; ')}.`
      : compared.length
        ? `GSC is at least as good as the best baseline in all ${compared.length} metric × C cells.`
        : 'No baseline reached the GSC packet size often enough to compare.'
  )
  o.push('')
  return o
}

/** "0.56 (webp)", or on a subset "0.49 (webp; GSC 0.42 on these 127/128 images)". */
function best(b: BestBaseline | null, digits: number, all: number): string {
  if (!b) return '–'
  return b.images === all ? `${f(b.value, digits)} (${b.codec})` : `${f(b.value, digits)} (${b.codec}; GSC ${f(b.gsc, digits)} on these ${b.images}/${all} images)`
}

function baselineExtra(b: BaselineSummary): string {
  if (b.errors.length) return `error: ${b.errors[0]}`
  if (b.complete) return `${b.n}/${b.images}`
  if (b.n === 0) return `0/${b.images} (smallest file ${b.smallestUnreachedBytes ?? '?'} B)`
  return `${b.n}/${b.images} partial (smallest miss ${b.smallestUnreachedBytes ?? '?'} B)`
}

function datasetSection(d: DatasetSummary, r: BenchResults): string[] {
  const run = r.datasets.find((x) => x.dataset.name === d.name)!
  const o: string[] = []
  o.push(`## ${d.name}`)
  o.push('')
  const subset =
    run.dataset.imagesUsed >= run.dataset.imagesTotal
      ? ''
      : run.dataset.every && run.dataset.every > 1
        ? ` (subset of the ${run.dataset.imagesTotal} images in file-name order${r.config.limit !== null ? `, the first ${run.dataset.imagesUsed} taken, --limit` : ''})`
        : ` (subset: the first ${run.dataset.imagesUsed} of ${run.dataset.imagesTotal} images in file-name order, --limit)`
  const nth = (n: number) => `${n}${n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`
  const every = run.dataset.every && run.dataset.every > 1 ? ` Taken: every ${nth(run.dataset.every)} image in file-name order from the first (--every ${run.dataset.every}), before --limit.` : ''
  o.push(`${d.images} images${subset}, layout ${run.dataset.layout}${d.labelled ? ', with ground-truth boxes' : ', no ground truth'}.${every}`)
  if (d.originalMap50 !== null) o.push(`Detector mAP@0.5 on the **original** images: ${f(d.originalMap50)} (the ceiling for every codec).`)
  o.push('')
  o.push('### GSC vs the best baseline at equal bits')
  o.push('')
  o.push(`| C | GSC bytes (mean) | GSC bpp | GSC F1 | best baseline F1 | F1: ${DIFF_HEAD} | GSC MS-SSIM | best baseline MS-SSIM | MS-SSIM: ${DIFF_HEAD} | F1 goal | MS-SSIM goal |`)
  o.push('|---|---|---|---|---|---|---|---|---|---|---|')
  for (const c of d.perC) {
    const g = c.goal
    o.push(
      `| ${c.c} | ${f(c.gsc.meanBytes, 0)} | ${f(c.gsc.meanBpp, 4)} | ${f(c.gsc.f1)} | ${best(g.bestF1, 3, c.gsc.n)} | ${diffCell(c, 'f1', 3, g.bestF1?.codec)} | ${f(c.gsc.msssim, 4)} | ${best(g.bestMsssim, 4, c.gsc.n)} | ${diffCell(c, 'msssim', 4, g.bestMsssim?.codec)} | ${g.f1} | ${g.msssim} |`
    )
  }
  o.push('')
  o.push(`GSC − best: the paired difference of the means over the same images, with its ${Math.round(CONFIDENCE_LEVEL * 100)} % interval (Method); bold where the interval excludes 0. The goal columns judge the means alone.`)
  o.push('')
  const compared = IMAGE_METRICS.filter((m) => m.compare)
  if (compared.length) {
    o.push('### What a person sees: GSC vs the best baseline at equal bits')
    o.push('')
    o.push(`Not part of the goal. ${compared.map((m) => `${m.label}: ${m.better} is better`).join('; ')}; the best baseline is chosen among the same codecs as for the goal, by each metric's own direction.`)
    o.push('')
    o.push(`| C | ${compared.map((m) => `GSC ${metricHead(m)} | best baseline ${metricHead(m)} | ${m.label}: ${DIFF_HEAD}`).join(' | ')} |`)
    o.push(`|---|${compared.map(() => '---|---|---').join('|')}|`)
    for (const c of d.perC) o.push(`| ${c.c} | ${compared.map((m) => `${f(c.gsc[m.key], m.digits)} | ${best(c.best[m.key], m.digits, c.gsc.n)} | ${diffCell(c, m.key, m.digits)}`).join(' | ')} |`)
    o.push('')
  }
  o.push(intervalSummary(d))
  o.push('')
  o.push(...analysisSection(d))
  const analyses = measuredAnalyses(d)
  for (const c of d.perC) {
    o.push(`### ${d.name}, C = ${c.c}`)
    o.push('')
    o.push(
      `GSC packets: mean ${f(c.gsc.meanBytes, 0)} bytes (whole CCSDS packet), ${c.gsc.fitsTarget}/${c.gsc.n} within the step rule's bit target;${c.gsc.packetSets ? ` packets by the model set they name: ${Object.entries(c.gsc.packetSets).map(([set, n]) => `set ${set} ${n}`).join(', ')};` : ''} mean bits per section: header ${f(c.gsc.sections.header, 0)}, caption ${f(c.gsc.sections.caption, 0)}, latents ${f(c.gsc.sections.latents, 0)}, detections ${f(c.gsc.sections.detections, 0)}; peak RSS ${c.gsc.peakRssMiB} MiB; median pack ${ms(c.gsc.medianPackMs)}. Baselines were each driven to the largest file not above each image's GSC packet size.`
    )
    o.push('')
    const heads = [...IMAGE_METRICS.map(metricHead), ...analyses.map((m) => `${m.label} ${arrow(m)}`)]
    o.push(`| codec | images reached | mean bytes | bpp | ${heads.join(' | ')} | det. precision | det. recall | det. F1 | mAP@0.5 vs GT | median encode | median decode |`)
    o.push(`|---|---|---|---|${heads.map(() => '---|').join('')}---|---|---|---|---|---|`)
    o.push(row('**GSC**', c.gsc, `${c.gsc.n}/${c.gsc.images}`, analyses))
    for (const b of c.baselines) o.push(row(b.codec, b, baselineExtra(b), analyses))
    o.push('')
  }
  o.push(plottedFor(d).map((p) => `![${p.label.split(' (')[0]} vs bpp](${d.name}-${p.file}.svg)`).join(' '))
  o.push('')
  return o
}

export function renderReport(r: BenchResults): string {
  const o: string[] = []
  o.push('# GSC vs baseline codecs at equal bits')
  o.push('')
  o.push(`Generated by \`${r.command}\` on ${r.createdAt} — nothing in this file is edited by hand.`)
  o.push('')
  o.push(
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.platform}, node ${r.machine.node}, onnxruntime-node ${r.machine.onnxruntime}, sharp ${r.machine.sharp}; load average at the end ${r.machine.loadAverage.join(' / ')} (shared machine: timings are indicative). Git commit ${r.git.commit ?? 'unknown'}${r.git.dirty ? ' (working tree had uncommitted changes)' : ''}.`
  )
  o.push('')
  const models = 'error' in r.models ? `no model manifest (${r.models.error})` : Object.entries(r.models).map(([id, m]) => `${id} ${m.sha256.slice(0, 12)}${m.steps !== null && m.steps !== undefined ? ` (training steps: ${m.steps})` : ''}`).join(', ')
  o.push(`Models (sha256 prefix, from resources/models/manifest.json): ${models}. Detector: ${r.detector}.`)
  o.push('')
  o.push('## The goal')
  o.push('')
  o.push('**At every C, GSC beats the best baseline at equal bits on detection F1 and on MS-SSIM.**')
  o.push('')
  o.push('| dataset | C | detection F1 | MS-SSIM | goal |')
  o.push('|---|---|---|---|---|')
  for (const d of r.summaries) for (const c of d.perC) o.push(`| ${d.name} | ${c.c} | ${c.goal.f1} | ${c.goal.msssim} | **${c.goal.met ? 'MET' : 'NOT MET'}** |`)
  const all = r.summaries.flatMap((d) => d.perC)
  o.push('')
  o.push(all.length && all.every((c) => c.goal.met) ? 'Overall: **met at every C on every dataset.**' : `Overall: **not met** (met at ${all.filter((c) => c.goal.met).length} of ${all.length} dataset × C cells).`)
  o.push('')
  o.push(
    '"Best baseline" is, per dataset and C, the baseline with the highest mean among those that reached the GSC packet size on every image; where none did, among those that reached at least 90 % of the images, each compared with GSC on the same images (shown as "GSC x vs" and the image count); "beats" means a strictly higher mean (a tie is "not met"). "no baseline fits" means no baseline codec could make a file that small for 90 % of the images (their smallest files are listed in the tables): there is nothing to compare with, and the cell does not count as met.'
  )
  o.push('')
  o.push('## Method')
  o.push('')
  o.push(`- Bits: GSC = the whole CCSDS Space Packet (6-octet primary header, GSC header, caption, latents, CRC); baselines = the whole file (container included). bpp = bits / (width × height) of the original.`)
  o.push(`- Baselines: ${Object.values(BASELINES).map((b) => `${b.id} = ${b.label}, counted as ${b.container}`).join('; ')}.`)
  o.push(
    `- Size search: scales 2^(-k/2), k = 0..${SCALES.length - 1} (1 down to 1/64, sides rounded, at least 8 px); the largest scale whose lowest-quality file fits is bisected, it and the ${SCALES_TRIED - 1} next smaller scales are tried; at each the quality knob is bisected for the largest file not above the target; of those the one with the highest PSNR against the original is kept (an encoder-side choice). Downscaling and upscaling back to the original size: sharp ${RESAMPLE_KERNEL}.`
  )
  o.push(
    `- Detection agreement: the detector runs on the original and on each reconstruction; detections with score ≥ ${AGREEMENT_SCORE} are matched one-to-one (same class, IoU ≥ 0.5); precision = matched / detections on the reconstruction, recall = matched / detections on the original, F1 their harmonic mean (1 when both are empty). Means are over images.`
  )
  o.push(
    `- mAP@0.5: detections with score ≥ ${MAP_SCORE} on the reconstructions against ground truth (COCO 101-point AP, mean over classes present); only where the dataset has labels and the codec reconstructed every image. KITTI classes are mapped to COCO: ${Object.entries(KITTI_TO_COCO).map(([k, v]) => `${k}→${v.join('+')}`).join(', ')} (COCO ids; a Cyclist box counts as both bicycle and person); Misc and DontCare are ignored.`
  )
  o.push(`- Image metrics, per image on the reconstruction at the original size, then the mean over images (↑ higher is better, ↓ lower is better):`)
  for (const m of IMAGE_METRICS) o.push(`  - ${m.definition} ${m.better === 'higher' ? 'Higher' : 'Lower'} is better.`)
  const analysed = ANALYSIS_METRICS.filter((m) => r.summaries.some((d) => measuredAnalyses(d).includes(m)))
  if (analysed.length) {
    o.push(
      `- Scene analyses (\`--analyses\`; which ran on each dataset is in results.json \`datasets[].analyses\`): on the original and on every reconstruction at the original size, beside detection. The Cityscapes ESPNetv2 model on KITTI (street scenes), the PASCAL VOC model elsewhere; depth only where the dataset has LiDAR:`
    )
    for (const m of analysed) o.push(`  - ${m.definition} ${m.better === 'higher' ? 'Higher' : 'Lower'} is better; ${m.aggregate}.`)
  }
  o.push(
    `- ${Math.round(CONFIDENCE_LEVEL * 100)} % confidence intervals ("GSC − best [${Math.round(CONFIDENCE_LEVEL * 100)} % CI]", and in results.json \`summaries[].perC[].intervals\` with each side's own interval): a percentile bootstrap over images, ${BOOTSTRAP_RESAMPLES} resamples of the compared images with replacement (a fixed-seed PRNG, so the same results give the same digits), the 2.5th and 97.5th percentiles of the resampled statistic. The comparison is paired: GSC and the best baseline are compared on the same images (those the baseline reached) and each resample draws whole images, so the interval is that of the mean per-image difference (usually much narrower than the two codecs' own intervals, since an image hard for one codec tends to be hard for the other). mIoU against ground truth (one confusion matrix over the images) is re-pooled on each resample; mAP@0.5 has no interval. Bold: the interval excludes 0, i.e. the lead (or the gap) survives resampling which images were measured; an interval that includes 0 means these images do not establish which codec is better. The goal verdict stays on the means (strictly higher mean), whatever the interval. Why a bootstrap and not a t interval: one method for means and for the pooled mIoU, and no normality assumed for metrics bounded at 0 and 1 (per-image F1 is often exactly 0 or 1); its cost is that for small samples it is narrow (on kodak's 24 images about 10 % narrower than the t interval of the same differences, about 1 % at 128 images), so read an interval that only just excludes 0 with care.`
  )
  o.push(`- Times: GSC encode = caption + g_a + channel ranking (shared by all C) + packing for that C; decode = caption encoder, the generator (prior and flow steps) and g_s. Baseline encode/decode = the chosen file's encode and decode+upscale (the size search itself took more; see results.json searchMs). Medians over images.`)
  o.push('')
  for (const d of r.summaries) o.push(...datasetSection(d, r))
  o.push('## Reproduce')
  o.push('')
  o.push('```')
  o.push(r.command)
  o.push('```')
  o.push('')
  o.push(`Per image and C results are cached in the output folder's cache/ (delete it to re-measure). This invocation: ${r.timing.wallS.toFixed(0)} s wall, ${r.timing.computed} image × C units measured now and ${r.timing.cached} taken from the cache written by earlier invocations of the same command (an interrupted run resumes; per-unit times are in results.json); this process's peak RSS ${r.timing.maxRssMiB} MiB.`)
  o.push('')
  return o.join('\n')
}
