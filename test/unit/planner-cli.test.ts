import { describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const root = path.resolve(__dirname, '../..')
const gsc = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/gsc.mjs'), ...args], { cwd: root, encoding: 'utf8' })

describe('gsc plan (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gsc-plan-'))
  const table = path.join(dir, 'results.json')
  writeFileSync(
    table,
    JSON.stringify({
      calibration: {
        formatVersion: 1,
        groups: [{ scene: 'kodak', perC: [{ c: 1, meanBits: 1000, meanDisagreement: 0.6, images: 1 }, { c: 2, meanBits: 1500, meanDisagreement: 0.3, images: 1 }] }],
        images: [{ id: 'kodak/a', scene: 'kodak', candidates: [{ c: 1, bits: 1000, disagreement: 0.6 }, { c: 2, bits: 1500, disagreement: 0.3 }] }]
      }
    })
  )

  it('plans N images from a table under a link budget and prints one JSON document', () => {
    // 3 images, 3500 bits: all at C=1 (3000), 500 left -> one image moves to C=2 (the first: ties go to earlier images)
    const out = execFileSync(process.execPath, [path.join(root, 'bin/gsc.mjs'), 'plan', '--table', table, '--alpha', '1', '--beta', '0', '--link-bps', '350', '--pass-s', '10', '--images', '3', '--json'], { cwd: root, encoding: 'utf8' })
    const r = JSON.parse(out)
    expect(r.images.map((i: { chosen: { c: number } }) => i.chosen.c)).toEqual([2, 1, 1])
    expect(r.link.bitsAvailableTotal).toBe(3500)
    expect(r.link.bitsLeft).toBe(0)
  })

  it('fails with one clear line on an empty table and on usage mistakes', () => {
    const empty = path.join(dir, 'empty.json')
    writeFileSync(empty, JSON.stringify({ calibration: { formatVersion: 1, groups: [], images: [] } }))
    const r = gsc(['plan', '--table', empty, '--alpha', '1', '--beta', '0', '--json'])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim()).toMatch(/^gsc: calibration table is empty/)
    const u = gsc(['plan', '--table', table, '--alpha', '1'])
    expect(u.status).toBe(2)
    expect(u.stderr.trim()).toBe('gsc: missing --beta (weight per bit)')
  })
})

describe('gsc plan --objective', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gsc-plan-v-'))
  const table = path.join(dir, 'results.json')
  // C=2 is best for detection, C=4 for depth; the table carries both (as gsc bench --analyses writes it).
  writeFileSync(
    table,
    JSON.stringify({
      calibration: {
        formatVersion: 1,
        groups: [{ scene: 'kitti', perC: [{ c: 2, meanBits: 1000, meanDisagreement: 0.1, images: 1 }] }],
        images: [
          {
            id: 'kitti/a',
            scene: 'kitti',
            candidates: [
              { c: 2, bits: 1000, disagreement: 0.1, v: { depth: 0.5 } },
              { c: 4, bits: 1100, disagreement: 0.1, v: { depth: 0.1 } }
            ]
          }
        ]
      }
    })
  )
  const run = (extra: string[]) => gsc(['plan', '--table', table, '--alpha', '1', '--beta', '0.0001', ...extra, '--json'])

  it('plans on the chosen V and names it', () => {
    const det = JSON.parse(run([]).stdout)
    expect(det.images[0].chosen.c).toBe(2)
    expect(det.v).toBe('1 - detection F1')
    const depth = JSON.parse(run(['--objective', 'depth']).stdout)
    expect(depth.images[0].chosen.c).toBe(4)
    expect(depth.images[0].chosen.disagreement).toBeCloseTo(0.1)
    expect(depth.objective).toEqual({ depth: 1 })
  })

  it('refuses an unknown V and a task the table lacks with one line', () => {
    const bad = run(['--objective', 'colour'])
    expect(bad.status).toBe(2)
    expect(bad.stderr.trim()).toMatch(/^gsc: --objective: V must be one of detection, segmentation, depth/)
    const none = run(['--objective', 'segmentation'])
    expect(none.status).toBe(1)
    expect(none.stderr.trim()).toMatch(/^gsc: the calibration table has no measurement of 1 - segmentation agreement mIoU/)
  })
})
