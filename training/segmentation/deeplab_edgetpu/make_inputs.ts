// Writes the EdgeTPU-DeepLab inputs of the 22 KITTI selection frames (sorted image_2 names except every third from
// the first, as docs/bench/analyses.md's rule; never the report frames) for the parity check:
// DIR/<frame>.u8 (513x513x3 uint8, letterboxed by letterbox.ts) and DIR/frames.json (frame size, content box).
//   npx tsx training/segmentation/deeplab_edgetpu/make_inputs.ts DIR [--size WxH] [IMAGE ...]
// (IMAGEs instead of the KITTI frames; --size for graphs converted at another input size, default 513x513)
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { readImage } from '../../../src/core/image/rgbImage'
import { sharedData } from '../../../test/fixtures/sharedData'
import { DEEPLAB_INPUT_SIZE, deeplabInput } from './letterbox'

export function kittiSelectionFrames(): string[] {
  const dir = sharedData('kitti', 'image_2')
  return readdirSync(dir).filter((f) => f.endsWith('.png')).sort().filter((_, i) => i % 3 !== 0).map((f) => join(dir, f))
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  let [w, h] = [DEEPLAB_INPUT_SIZE, DEEPLAB_INPUT_SIZE]
  const s = args.indexOf('--size')
  if (s >= 0) {
    const m = /^(\d+)x(\d+)$/.exec(args[s + 1] ?? '')
    if (!m) throw new Error('--size must be WxH')
    ;[w, h] = [Number(m[1]), Number(m[2])]
    args.splice(s, 2)
  }
  const [out, ...images] = args
  if (!out) throw new Error('usage: make_inputs.ts DIR [--size WxH] [IMAGE ...]')
  mkdirSync(out, { recursive: true })
  const frames: Record<string, unknown> = {}
  for (const f of images.length ? images : kittiSelectionFrames()) {
    const img = await readImage(f)
    const { pixels, content } = await deeplabInput(img, w, h)
    const name = basename(f).replace(/\.[^.]+$/, '')
    writeFileSync(join(out, `${name}.u8`), pixels)
    frames[name] = { width: img.width, height: img.height, content, inputWidth: w, inputHeight: h }
  }
  writeFileSync(join(out, 'frames.json'), JSON.stringify(frames, null, 1))
  console.log(`${Object.keys(frames).length} frames -> ${out}`)
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  main().catch((err) => {
    console.error(`make_inputs: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
}
