// `gsc baseline`: the Image view's baseline panel from the command line (real codecs, real photo).
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { encodeGscPacket } from '../../src/core/bitstream/gscPacket'
import { readImage } from '../../src/core/image/rgbImage'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const root = path.resolve(__dirname, '../..')
const KODAK = sharedData('kodak', 'kodim23.png')
const haveKodak = haveSharedData('gsc baseline test', KODAK)
const gsc = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/gsc.mjs'), ...args], { cwd: root, encoding: 'utf8' })

describe.skipIf(!haveKodak)('gsc baseline (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gsc-baseline-'))
  const packet = path.join(dir, 'p.bin')
  const bytes = encodeGscPacket(
    {
      header: { formatVersion: 1, width: 256, height: 192, modelId: 1, latentChannels: 320, channelIndices: [0, 3, 6, 9], quantStep: 1, steps: 4, seed: 1, captionMode: 'utf8', hasDetections: false },
      caption: 'two parrots on a branch',
      latents: Int32Array.from({ length: 4 * 12 * 16 }, (_, k) => ((k * 5) % 7) - 3),
      detections: []
    },
    { apid: 1, sequenceCount: 1 }
  )
  writeFileSync(packet, bytes)

  it("fits the chosen codecs to the packet's octets, writes those that fit and says which cannot", async () => {
    const out = path.join(dir, 'out')
    const r = gsc(['baseline', packet, '--original', KODAK, '--codec', 'webp,hevc', '--out', out, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j).toMatchObject({ targetBytes: bytes.length, width: 256, height: 192 })
    const [webp, hevc] = j.fits
    expect(webp).toMatchObject({ codec: 'webp', reached: true, setting: { name: 'quality' }, output: path.join(out, 'webp.png') })
    expect(webp.bytes).toBeLessThanOrEqual(bytes.length)
    expect(webp.image).toBeUndefined()
    const img = await readImage(webp.output)
    expect([img.width, img.height]).toEqual([256, 192])
    // HEVC in HEIF has a few hundred octets of container: it cannot reach a ~200-octet packet.
    expect(hevc).toMatchObject({ codec: 'hevc', reached: false, output: null, setting: null })
    expect(hevc.bytes).toBeGreaterThan(bytes.length)
    expect(hevc.summary).toMatch(/^HEVC\/HEIF cannot fit in \d+ octets/)
    expect(existsSync(path.join(out, 'hevc.png'))).toBe(false)
  }, 60_000)

  it('refuses an unknown codec in one line', () => {
    const r = gsc(['baseline', packet, '--original', KODAK, '--codec', 'png', '--json'])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim()).toBe("gsc: unknown baseline 'png' (have: avif, jpeg2000, hevc, jxl, webp, jpeg, all)")
  })
})
