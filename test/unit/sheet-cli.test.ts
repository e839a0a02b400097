// `gsc sheet`: comparison sheets (real models, real codecs, a small real photo).
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { sheetLayout } from '../../src/core/bench/sheets'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const root = path.resolve(__dirname, '../..')
const KODAK = sharedData('kodak', 'kodim23.png')
const haveKodak = haveSharedData('gsc sheet test', KODAK)
const gsc = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/gsc.mjs'), ...args], { cwd: root, encoding: 'utf8' })

describe.skipIf(!haveKodak)('gsc sheet (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gsc-sheet-'))
  // kodim23 at 512x344: large enough that the C = 1 packet (about 80 octets) is above WebP's smallest file (about
  // 58), so a baseline panel exists; small enough to be quick. JPEG's smallest file (about 320 octets) cannot fit.
  const image = path.join(dir, 'parrots.png')

  it('writes the sheet PNG, its JSON with bytes and metrics per panel, and the index', async () => {
    await sharp(KODAK).resize(512, 344).png().toFile(image)
    const out = path.join(dir, 'sheets')
    const r = gsc(['sheet', '--image', image, '--out', out, '--channels', '1', '--baselines', 'webp,jpeg', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const res = JSON.parse(r.stdout)
    expect(res.sheets).toHaveLength(1)
    expect(res.sheets[0]).toMatchObject({ id: 'parrots', png: path.join(out, 'parrots.png'), json: path.join(out, 'parrots.json') })

    const j = JSON.parse(readFileSync(path.join(out, 'parrots.json'), 'utf8'))
    expect(j).toMatchObject({ kind: 'gsc-comparison-sheet', id: 'parrots', width: 512, height: 344, channels: [1], baselinesRequested: ['webp', 'jpeg'] })
    expect(j.rule).toMatch(/highest MS-SSIM/)
    const [c1] = j.perC
    expect(c1.c).toBe(1)
    const metricKeys = ['ciede2000', 'blockiness', 'lpips', 'msssim']
    expect(c1.gsc.bytes).toBeGreaterThan(0)
    for (const k of metricKeys) expect(Number.isFinite(c1.gsc.metrics[k]), k).toBe(true)
    const [webp, jpeg] = c1.baselines
    expect(webp).toMatchObject({ codec: 'webp', reached: true })
    expect(webp.bytes).toBeLessThanOrEqual(c1.gsc.bytes)
    for (const k of metricKeys) expect(Number.isFinite(webp.metrics[k]), k).toBe(true)
    expect(jpeg).toMatchObject({ codec: 'jpeg', reached: false, metrics: null })
    expect(jpeg.bytes).toBeGreaterThan(c1.gsc.bytes)
    expect(c1.best).toBe('webp')

    // One row at full size: original, GSC C=1, WebP; each panel at the original's size.
    const lay = sheetLayout(512, 344, 1)
    expect(lay).toMatchObject({ layout: 'row', scale: 1, imgW: 512, imgH: 344 })
    const meta = await sharp(res.sheets[0].png).metadata()
    expect([meta.width, meta.height]).toEqual([j.sheet.width, j.sheet.height])
    expect(j.sheet.width).toBe(lay.width)
    expect(j.sheet.panels.map((p: { kind: string; width: number; height: number }) => [p.kind, p.width, p.height])).toEqual([
      ['original', 512, 344],
      ['gsc', 512, 344],
      ['baseline', 512, 344]
    ])
    expect(j.sheet.panels[1].label[0]).toBe('GSC C=1')
    expect(j.sheet.panels[2].label[0]).toMatch(/^WebP: best MS-SSIM of 1\/2 fitted$/)

    const index = readFileSync(path.join(out, 'index.md'), 'utf8')
    expect(index).toContain('[parrots](parrots.png)')
    expect(index).toMatch(/Rule: .*highest MS-SSIM/)
  }, 120_000)

  it('refuses a C outside 1..64, an unknown baseline and a missing image in one line each', () => {
    const r = gsc(['sheet', '--image', KODAK, '--out', path.join(dir, 'x'), '--channels', '1,65', '--json'])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe("gsc: --channels: each C must be an integer 1..64, got '65' in '1,65'\n")
    expect(existsSync(path.join(dir, 'x'))).toBe(false)
    const bad = gsc(['sheet', '--image', KODAK, '--out', path.join(dir, 'x'), '--baselines', 'webp,png'])
    expect([bad.status, bad.stderr]).toEqual([2, "gsc: unknown baseline 'png' (have: avif, jpeg2000, hevc, jxl, webp, jpeg, all)\n"])
    const missing = gsc(['sheet', '--image', path.join(dir, 'nope.png'), '--out', path.join(dir, 'x')])
    expect([missing.status, missing.stderr]).toEqual([2, `gsc: image not found: ${path.join(dir, 'nope.png')}\n`])
  })

  it('a sheet wider than the limit becomes one row per C, scaled down as a whole', () => {
    const lay = sheetLayout(768, 512, 3)
    expect(lay).toMatchObject({ layout: 'grid', cols: 3, rows: 3 })
    expect(lay.width).toBeLessThanOrEqual(2400)
    expect(lay.imgW).toBeLessThanOrEqual(768)
    expect(lay.imgW / lay.imgH).toBeCloseTo(1.5, 2)
  })
})
