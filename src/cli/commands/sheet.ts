// `gsc sheet`: comparison sheets (original, then GSC at each C beside the best baseline at the same bytes).
import { existsSync } from 'node:fs'
import { parseBaselineList } from '../../core/baselines/codecs'
import { BEST_BASELINE_RULE, DEFAULT_SHEET_CHANNELS, MAX_SHEET_WIDTH, makeSheets, type SheetsResult } from '../../core/bench/sheets'
import { describeError } from '../../core/util/errors'
import { UsageError, numberOpt, requireString, stringOpt, type CommandSpec } from '../framework'
import { realGscCodec } from '../../core/bench/gscCodec'
import { channelList } from './channelList'

const sheet: CommandSpec<SheetsResult> = {
  name: 'sheet',
  summary: 'comparison sheets: the original, then GSC at each C beside the best baseline at the same bytes',
  usage:
    'gsc sheet --image <file> [--image <file> ...] --out <dir> [--channels 1,4,16] [--baselines all|avif,jpeg2000,hevc,jxl,webp,jpeg] [--model-set N] [--json]\n' +
    '  For each image writes <dir>/<id>.png (id = file name without extension) and <dir>/<id>.json with every number,\n' +
    '  and rebuilds <dir>/index.md from all sheets in <dir>. GSC: the default model set (or --model-set N), encoded at C channels and decoded.\n' +
    `  Rule: ${BEST_BASELINE_RULE}.\n` +
    '  Under each panel: method, bytes, and ΔE00, blockiness, LPIPS, MS-SSIM against the original.\n' +
    `  Panels are shown at the original size; a sheet wider than ${MAX_SHEET_WIDTH} px is scaled down as a whole.`,
  options: {
    image: { type: 'string', multiple: true },
    out: { type: 'string', short: 'o' },
    channels: { type: 'string' },
    baselines: { type: 'string' },
    'model-set': { type: 'string' }
  },
  async run(args, ctx) {
    const images = (args.values.image as string[] | undefined) ?? []
    if (images.length === 0) throw new UsageError('missing --image (an image file; repeat for more)')
    const out = requireString(args, 'out', 'output folder')
    const channels = channelList(stringOpt(args, 'channels') ?? DEFAULT_SHEET_CHANNELS.join(','))
    let baselines
    try {
      baselines = parseBaselineList(stringOpt(args, 'baselines') ?? 'all')
    } catch (e) {
      throw new UsageError(describeError(e))
    }
    if (baselines.length === 0) throw new UsageError('--baselines: need at least one baseline (all, or a comma list)')
    for (const f of images) if (!existsSync(f)) throw new UsageError(`image not found: ${f}`)
    const command = `npx gsc sheet ${process.argv.slice(process.argv.indexOf('sheet') + 1).filter((a) => a !== '--json').join(' ')}`
    const bar = ctx.progress('sheet', images.length)
    const r = await makeSheets({
      images,
      out,
      channels,
      baselines,
      command,
      gsc: realGscCodec({ modelSet: numberOpt(args, 'model-set', undefined, { int: true, min: 1 }) }),
      signal: ctx.signal,
      onProgress: (p) => bar.update(p.done, `${p.image}: ${p.detail}`)
    })
    bar.done()
    return r
  },
  format(r) {
    return [...r.sheets.map((s) => `${s.png} (${s.width}×${s.height}, ${s.seconds.toFixed(0)} s)`), `index: ${r.index}`].join('\n')
  }
}

export default sheet
