// The embedded captioner: a deterministic English caption built from the detector's objects
// (classes, counts, coarse positions and sizes) and scene statistics (colours, brightness, layout,
// indoor/outdoor guess). No external service; same image + detections => same text.
import type { Detection } from '../analysis/detections'
import type { DetectorImage } from '../analysis/detector'
import { sceneStats, type SceneStats } from './sceneStats'

export const CAPTION_MIN_WORDS = 15
export const CAPTION_MAX_WORDS = 60
/** Detections below this score are too unsure to put into a caption. */
export const CAPTION_MIN_SCORE = 0.35

const COUNT_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']

const IRREGULAR_PLURALS: Record<string, string> = {
  person: 'people',
  mouse: 'mice',
  sheep: 'sheep',
  skis: 'skis',
  scissors: 'scissors',
  knife: 'knives',
  'wine glass': 'wine glasses',
  broccoli: 'broccoli'
}

const OUTDOOR_CLASSES = new Set([
  'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light', 'fire hydrant',
  'stop sign', 'parking meter', 'bench', 'bird', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe',
  'kite', 'skis', 'snowboard', 'surfboard', 'skateboard', 'frisbee', 'sports ball'
])
const INDOOR_CLASSES = new Set([
  'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
  'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'teddy bear',
  'hair drier', 'toothbrush', 'cup', 'wine glass', 'fork', 'knife', 'spoon', 'bowl'
])

export function plural(name: string): string {
  if (IRREGULAR_PLURALS[name]) return IRREGULAR_PLURALS[name]
  if (/(s|x|ch|sh)$/.test(name)) return name + 'es'
  return name + 's'
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a'
}

function countPhrase(n: number, name: string): string {
  if (n === 1) return `${article(name)} ${name}`
  const word = n < COUNT_WORDS.length ? COUNT_WORDS[n] : n <= 15 ? 'several' : 'many'
  return `${word} ${plural(name)}`
}

/** Where a box's centre lies on a 3x3 grid, in words ("at the top left", "in the centre"). */
export function positionPhrase(box: Detection['box'], width: number, height: number): string {
  const cx = (box[0] + box[2]) / 2 / width
  const cy = (box[1] + box[3]) / 2 / height
  const h = cx < 1 / 3 ? 'left' : cx > 2 / 3 ? 'right' : 'centre'
  const v = cy < 1 / 3 ? 'top' : cy > 2 / 3 ? 'bottom' : 'middle'
  if (h === 'centre' && v === 'middle') return 'in the centre'
  if (v === 'middle') return `on the ${h}`
  if (h === 'centre') return `at the ${v}`
  return `at the ${v} ${h}`
}

function sizeWord(box: Detection['box'], width: number, height: number): string {
  const frac = (Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1])) / (width * height)
  return frac >= 0.25 ? 'large' : frac >= 0.04 ? 'medium-sized' : 'small'
}

function brightnessWord(s: SceneStats): string {
  if (s.brightness < 50) return 'dark'
  if (s.brightness < 95) return 'dimly lit'
  if (s.brightness < 170) return 'moderately lit'
  return 'brightly lit'
}

function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

export function guessSetting(s: SceneStats, classes: string[]): 'indoor' | 'outdoor' | null {
  let vote = 0
  for (const c of classes) vote += OUTDOOR_CLASSES.has(c) ? 1 : INDOOR_CLASSES.has(c) ? -1 : 0
  if (s.skyAbove) vote += 2
  if (s.ground === 'vegetation' || s.ground === 'water' || s.ground === 'snow') vote += 1
  if (vote > 0) return 'outdoor'
  if (vote < 0) return 'indoor'
  return null
}

interface ObjectGroup {
  name: string
  count: number
  best: Detection
}

function groupObjects(dets: Detection[]): ObjectGroup[] {
  const groups = new Map<string, ObjectGroup>()
  const sorted = [...dets].sort((a, b) => b.score - a.score || a.classId - b.classId || a.box[0] - b.box[0] || a.box[1] - b.box[1])
  for (const d of sorted) {
    const g = groups.get(d.className)
    if (g) g.count++
    else groups.set(d.className, { name: d.className, count: 1, best: d })
  }
  return [...groups.values()]
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length
}

export function builtinCaption(img: DetectorImage, detections: Detection[]): string {
  const stats = sceneStats(img)
  const dets = detections.filter((d) => d.score >= CAPTION_MIN_SCORE)
  const groups = groupObjects(dets)
  const setting = guessSetting(stats, groups.map((g) => g.name))

  // Scene sentence: setting, light, colours.
  const where = setting === 'outdoor' ? 'An outdoor scene' : setting === 'indoor' ? 'An indoor scene' : 'A scene'
  const colours = stats.dominant.length ? `, mostly ${listWords(stats.dominant)}` : ''
  const scene = `${where}, ${brightnessWord(stats)}${colours}.`

  // Layout sentence: sky and ground when they read clearly.
  const layoutParts: string[] = []
  if (stats.skyAbove) layoutParts.push('sky across the top')
  if (stats.ground && setting !== 'indoor') layoutParts.push(`${stats.ground} along the bottom`)
  const layout = layoutParts.length ? `There is ${listWords(layoutParts)}.` : ''

  // Object sentences, most confident class first; trimmed to fit the word budget.
  const objectPhrases = groups.map((g) => {
    const pos = positionPhrase(g.best.box, img.width, img.height)
    const size = sizeWord(g.best.box, img.width, img.height)
    const what = countPhrase(g.count, g.name)
    return g.count === 1 ? `${what} ${pos}, ${size}` : `${what}, the most prominent ${pos} and ${size}`
  })
  const build = (n: number, extra: string[]) => {
    const objects = n > 0 ? `It shows ${objectPhrases.slice(0, n).join('; ')}.` : 'No distinct objects are recognised.'
    return [scene, layout, objects, ...extra].filter(Boolean).join(' ')
  }
  let n = Math.min(objectPhrases.length, 5)
  let text = build(n, [])
  while (wordCount(text) > CAPTION_MAX_WORDS && n > 1) text = build(--n, [])
  // Pad short captions with more scene detail (still deterministic).
  const extras = [
    `The colours are ${stats.saturation < 0.15 ? 'muted' : stats.saturation < 0.35 ? 'moderately saturated' : 'vivid'}.`,
    `The lower part of the frame is ${stats.ground ?? 'mixed in tone'}.`,
    'The view is a single still frame.'
  ]
  let k = 0
  while (wordCount(text) < CAPTION_MIN_WORDS && k < extras.length) text = build(n, extras.slice(0, ++k))
  return text
}
