// The scene analyses' maps as the Image view draws them: unpacked from the engine's deflated bytes, and colour
// tables (class colours for segmentation, a dark-far / bright-near ramp for depth) as 256 RGBA entries.
import type { PackedMap, SegmentationClassInfo } from '../../../../shared/api'

export interface ByteMap {
  width: number
  height: number
  bytes: Uint8Array
}

/** Inflates a PackedMap (zlib, base64) with the browser's own DecompressionStream. */
export async function unpackMap(m: PackedMap): Promise<ByteMap> {
  const raw = Uint8Array.from(atob(m.deflated), (c) => c.charCodeAt(0))
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate'))
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer())
  if (bytes.length !== m.width * m.height) throw new Error(`analysis map holds ${bytes.length} bytes, expected ${m.width}×${m.height}`)
  return { width: m.width, height: m.height, bytes }
}

/** 'background' (nothing the model names) is left clear so the picture shows through. */
export const isUndrawnClass = (name: string) => name === 'background'

/** RGBA per class index; indices of classes not present stay clear. */
export function classColourTable(classes: SegmentationClassInfo[]): Uint8ClampedArray {
  const t = new Uint8ClampedArray(256 * 4)
  for (const c of classes) {
    if (isUndrawnClass(c.name)) continue
    t.set([...c.colour, 255], c.index * 4)
  }
  return t
}

/** Anchors of the depth ramp, far (0) to near (255): dark violet through red to pale yellow. */
const DEPTH_ANCHORS: [number, number, number][] = [
  [0, 0, 4],
  [59, 15, 112],
  [140, 41, 129],
  [222, 73, 104],
  [254, 159, 109],
  [252, 253, 191]
]

export function depthColourTable(): Uint8ClampedArray {
  const t = new Uint8ClampedArray(256 * 4)
  const segs = DEPTH_ANCHORS.length - 1
  for (let v = 0; v < 256; v++) {
    const f = (v / 255) * segs
    const i = Math.min(segs - 1, Math.floor(f))
    const k = f - i
    const [a, b] = [DEPTH_ANCHORS[i], DEPTH_ANCHORS[i + 1]]
    t.set([a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k, a[2] + (b[2] - a[2]) * k, 255], v * 4)
  }
  return t
}

/** CSS gradient of the depth ramp, for its legend. */
export function depthGradientCss(): string {
  return `linear-gradient(to right, ${DEPTH_ANCHORS.map((c) => `rgb(${c.join(',')})`).join(', ')})`
}
