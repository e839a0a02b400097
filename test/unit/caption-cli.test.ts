// `gsc caption --dir --jsonl` and `gsc detect` through the real CLI runner (one JSON document on stdout).
import { mkdtempSync, readFileSync, rmSync, mkdirSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { runCommand } from '../../src/cli/framework'
import captionCommand from '../../src/cli/commands/caption'
import detectCommand from '../../src/cli/commands/detect'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const KODAK = sharedData('kodak')
const haveData = haveSharedData('caption-cli', join(KODAK, 'kodim01.png'))
const dir = mkdtempSync(join(tmpdir(), 'gsc-cap-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(spec: Parameters<typeof runCommand>[0], argv: string[]) {
  let out = ''
  let err = ''
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: any) => ((out += s), true))
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: any) => ((err += s), true))
  try {
    const code = await runCommand(spec, argv)
    return { code, out, err }
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
}

describe.skipIf(!haveData)('gsc caption / detect', () => {
  it('writes one JSONL line per image under a folder, recursively, with relative paths', async () => {
    mkdirSync(join(dir, 'imgs', 'sub'), { recursive: true })
    copyFileSync(join(KODAK, 'kodim01.png'), join(dir, 'imgs', 'b.png'))
    copyFileSync(join(KODAK, 'kodim23.png'), join(dir, 'imgs', 'sub', 'a.png'))
    const out = join(dir, 'caps.jsonl')
    const r = await run(captionCommand, ['--dir', join(dir, 'imgs'), '--jsonl', out, '--json'])
    expect(r.code).toBe(0)
    const summary = JSON.parse(r.out)
    expect(summary.images).toBe(2)
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.file)).toEqual(['b.png', 'sub/a.png'])
    for (const l of lines) expect(l.caption.split(' ').length).toBeGreaterThanOrEqual(15)
  })

  it('prints detections as one JSON document and fails cleanly on a missing file', async () => {
    const r = await run(detectCommand, [join(KODAK, 'kodim05.png'), '--threshold', '0.3', '--json'])
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.out)
    expect(doc.width).toBe(768)
    expect(doc.detections.length).toBeGreaterThan(0)
    expect(doc.detections.some((d: any) => d.className === 'motorcycle')).toBe(true)
    const bad = await run(detectCommand, [join(dir, 'missing.png'), '--json'])
    expect(bad.code).not.toBe(0)
    expect(bad.out).toBe('')
    expect(bad.err).toMatch(/^gsc: .*missing\.png/)
    expect(bad.err.trim().split('\n')).toHaveLength(1)
    const usage = await run(captionCommand, ['--captioner', 'http://127.0.0.1:9/v1', join(KODAK, 'kodim05.png')])
    expect(usage.code).toBe(2)
    expect(usage.err).toMatch(/--model/)
  })
})
