// The rule that picks which latent channels a packet carries (src/core/codec/channelSelection.ts), against its
// Python twins in training/ where numpy or torch is present.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { basisPattern, dctPatterns, energyScores, scoreChannelPatterns, scoreChannels, selectTopChannels, structurePlanes, gatherChannels, type ChannelBasis } from '../../src/core/codec/channelSelection'
import { cropImage, readImage } from '../../src/core/image/rgbImage'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

describe('channel selection', () => {
  // Image whose luma follows the DCT pattern (0, 1) inside every block, scaled per block, on a grey chroma.
  const w = 64
  const h = 48
  const layout: ChannelBasis[] = [
    { plane: 0, u: 0, v: 0 },
    { plane: 0, u: 0, v: 1 },
    { plane: 0, u: 3, v: 2 },
    { plane: 1, u: 0, v: 0 },
    { plane: 2, u: 1, v: 1 }
  ]
  function patternImage() {
    const data = new Uint8Array(3 * w * h)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const amp = 40 + 10 * ((Math.floor(x / 16) + Math.floor(y / 16)) % 3)
        const v = Math.round(128 + amp * Math.cos(((2 * (x % 16) + 1) * Math.PI) / 32))
        data.fill(v, 3 * (y * w + x), 3 * (y * w + x) + 3)
      }
    return { width: w, height: h, data }
  }

  it('ranks the channel that carries the structure first; empty channels score 0', () => {
    const img = patternImage()
    const st = structurePlanes(img)
    expect([st.lw, st.lh]).toEqual([4, 3])
    const nb = st.lw * st.lh
    const lat = new Float32Array(layout.length * nb)
    // channel 1 holds each block's true coefficient of pattern (0,1) (x 16 / 255 as g_a scales it); others noise or zero
    for (let b = 0; b < nb; b++) {
      const bx = b % st.lw
      const by = Math.floor(b / st.lw)
      const amp = (40 + 10 * ((bx + by) % 3)) / 255
      lat[nb + b] = amp * Math.sqrt(8) * 16
      lat[2 * nb + b] = ((b * 7919) % 5) - 2
    }
    const scores = scoreChannels(lat, layout, 16, st)
    expect(scores[0]).toBe(0) // all-zero contribution = the flat plane
    expect(scores[3]).toBe(0)
    expect(scores[1]).toBeGreaterThan(0.3)
    expect(scores[1]).toBeGreaterThan(scores[2])
    expect(selectTopChannels(scores, 1)).toEqual([1])
    expect(selectTopChannels([0.5, 0.5, 0.9], 2)).toEqual([0, 2]) // ties -> lower index
    // the 4x4-averaged DC pattern is flat at 1/16; patterns of AC frequencies sum to zero
    expect(Array.from(basisPattern(0, 0)).every((v) => Math.abs(v - 1 / 16) < 1e-15)).toBe(true)
    expect(Math.abs(basisPattern(2, 3).reduce((a, v) => a + v, 0))).toBeLessThan(1e-12)
    // energy rule: population variance per channel
    expect(Array.from(energyScores(Float32Array.from([1, 3, 5, 5, -2, 2]), 3, 1, 2))).toEqual([1, 0, 4])
    expect(Array.from(gatherChannels(lat, [2], nb))).toEqual(Array.from(lat.subarray(2 * nb, 3 * nb)))
  })

  const py = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' })
  it.skipIf(py.status !== 0)('scores like training/set1/channel_select.py (the rule the generator was trained with)', () => {
    const ww = 80
    const hh = 32
    const data = new Uint8Array(3 * ww * hh)
    for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i * 0.37) * 90 + 128 + (i % 7) * 3) & 255
    const img = { width: ww, height: hh, data }
    const st = structurePlanes(img)
    const nb = st.lw * st.lh
    const lat = Array.from({ length: layout.length * nb }, (_, i) => Math.sin(i * 1.7) * 30 + (i % 13))
    const script = `import json,sys,numpy as np
sys.path.insert(0, 'training/set1')
from channel_select import channel_scores
d = json.load(sys.stdin)
rgb = np.array(d['rgb'], dtype=np.float64).reshape(${hh}, ${ww}, 3).transpose(2, 0, 1) / 255.0
y = np.array(d['lat'], dtype=np.float64).reshape(${layout.length}, ${st.lh}, ${st.lw})
lay = [(b['plane'], b['u'], b['v']) for b in d['layout']]
print(json.dumps(list(channel_scores(y, rgb, lay, 16.0))))`
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify({ lat, rgb: Array.from(data), layout }), encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
    const ref = JSON.parse(r.stdout) as number[]
    const ours = scoreChannels(lat, layout, 16, st)
    ref.forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 10))
  })

  it('pattern scores: a zero plane adds exactly 0, planes add up, set 1 is its DCT patterns in one plane', () => {
    const st = structurePlanes(patternImage())
    const nb = st.lw * st.lh
    const lat = Float64Array.from({ length: layout.length * nb }, (_, i) => Math.sin(i * 2.3) * 20)
    const dct = dctPatterns(layout)
    expect(dct[3][1]).toEqual(basisPattern(0, 0))
    expect(Array.from(dct[3][0]).every((v) => v === 0)).toBe(true)
    expect(Array.from(scoreChannelPatterns(lat, dct, 16, st))).toEqual(Array.from(scoreChannels(lat, layout, 16, st)))
    // a pattern in two planes scores the sum of its one-plane scores
    const one = (p: number) => [0, 1, 2].map((q) => (q === p ? basisPattern(0, 1) : new Float64Array(16)))
    const both = [[basisPattern(0, 1), basisPattern(0, 1), new Float64Array(16)]]
    const l1 = lat.subarray(0, nb)
    const s0 = scoreChannelPatterns(l1, [one(0)], 16, st)[0]
    const s1 = scoreChannelPatterns(l1, [one(1)], 16, st)[0]
    expect(scoreChannelPatterns(l1, both, 16, st)[0]).toBe(0 + s0 + s1)
    expect(scoreChannelPatterns(l1, [[new Float64Array(16), new Float64Array(16), new Float64Array(16)]], 16, st)[0]).toBe(0)
    expect(() => scoreChannelPatterns(l1, [[new Float64Array(16)]], 16, st)).toThrow(/3 planes of 16/)
  })

  // Set 3's rule against its PyTorch twin (torch lives in Debian's python3, not in the pyenv one on PATH).
  const kodak = sharedData('kodak', 'kodim23.png')
  const torchPy = '/usr/bin/python3'
  const haveTorch = existsSync(torchPy) && spawnSync(torchPy, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0
  const haveKodak = haveSharedData('pattern-rule parity test', kodak)
  it.skipIf(!haveTorch || !haveKodak)('pattern scores agree with training/latent/channel_rule.py to 1e-9 (random latents and patterns, a Kodak crop)', async () => {
    const rnd = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32)
    const cases = [
      { w: 96, h: 64, left: 300, top: 200, K: 24 }, // 4x6 latent grid
      { w: 80, h: 16, left: 40, top: 400, K: 8 } // one latent row: windows of one block row
    ]
    for (const [ci, c] of cases.entries()) {
      const img = cropImage(await readImage(kodak), c.w, c.h, c.left, c.top)
      const st = structurePlanes(img)
      const nb = st.lw * st.lh
      const r = rnd(ci + 11)
      const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
      const lat = Array.from({ length: c.K * nb }, () => 16 * gauss())
      const pat = Array.from({ length: c.K }, (_, k) => [0, 1, 2].map((p) => (k % 5 === 4 && p === 2 ? new Array(16).fill(0) : Array.from({ length: 16 }, () => 0.05 * gauss()))))
      // Twice: as training/latent/latent_codec.py stands, and with its BT.601 matrix in float64. The file keeps the matrix
      // in float32 (0.299 -> 0.29899999499...), which moves the structure planes by ~1e-8 relative and the scores
      // by ~5e-9; the rule's arithmetic itself agrees to 1e-9 once the coefficients are the same.
      const script = `import json, sys, torch
import latent_codec
from channel_rule import channel_scores
d = json.load(sys.stdin)
rgb = torch.tensor(d['rgb'], dtype=torch.float64).reshape(1, ${c.h}, ${c.w}, 3).permute(0, 3, 1, 2) / 255.0
y = torch.tensor(d['lat'], dtype=torch.float64).reshape(1, ${c.K}, ${st.lh}, ${st.lw})
p = torch.tensor(d['pat'], dtype=torch.float64).reshape(${c.K}, 3, 16)
shipped = channel_scores(y, rgb, p)[0].tolist()
latent_codec.RGB2YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=torch.float64)
print(json.dumps({'shipped': shipped, 'exact': channel_scores(y, rgb, p)[0].tolist()}))`
      const out = spawnSync(torchPy, ['-c', script], {
        input: JSON.stringify({ lat, rgb: Array.from(img.data), pat }),
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: path.resolve(__dirname, '../../training/latent') }
      })
      if (out.status !== 0) throw new Error(out.stderr)
      const { shipped, exact: ref } = JSON.parse(out.stdout) as { shipped: number[]; exact: number[] }
      const ours = scoreChannelPatterns(lat, pat, 16, st)
      expect(ref).toHaveLength(c.K)
      const worst = (xs: number[]) => Math.max(...xs.map((v, k) => Math.abs(ours[k] - v)))
      expect(worst(ref)).toBeLessThan(1e-9)
      expect(worst(shipped)).toBeLessThan(2e-8)
      expect(ref.some((v) => Math.abs(v) > 1e-3)).toBe(true) // not trivially zero
    }
  }, 120000)
})
