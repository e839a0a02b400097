// Generates caption-like training text for the static caption model: scene descriptions in plain
// English and detector-driven captions ("outdoor scene, bright; ..."). Written from vocabulary
// lists and templates only; it never reads test/fixtures/captions.txt (kept disjoint on purpose).

const COCO = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush']

const PLURAL: Record<string, string> = { person: 'persons', bus: 'buses', skis: 'skis', knife: 'knives', 'wine glass': 'wine glasses', bench: 'benches', sandwich: 'sandwiches', toothbrush: 'toothbrushes', mouse: 'mice', sheep: 'sheep', 'hair drier': 'hair driers', scissors: 'scissors', broccoli: 'broccoli' }
const plural = (w: string) => PLURAL[w] ?? w + 's'

const THINGS = ['house', 'building', 'tower', 'bridge', 'church', 'barn', 'fence', 'wall', 'window', 'door', 'roof', 'street', 'road', 'path', 'river', 'lake', 'sea', 'beach', 'harbor', 'pier', 'field', 'meadow', 'forest', 'hill', 'mountain', 'cliff', 'rock', 'stone', 'tree', 'bush', 'flower', 'garden', 'park', 'market', 'square', 'station', 'platform', 'shop', 'cafe', 'kitchen', 'room', 'table', 'shelf', 'lamp', 'statue', 'fountain', 'boat', 'ship', 'sail', 'truck', 'tractor', 'bicycle', 'car', 'train', 'plane', 'horse', 'dog', 'cat', 'bird', 'cow', 'sheep', 'child', 'girl', 'boy', 'woman', 'man', 'couple', 'family', 'crowd', 'worker', 'rider', 'player', 'hat', 'coat', 'dress', 'basket', 'umbrella', 'sign', 'lighthouse', 'mural', 'canal', 'valley', 'desert', 'snowfield', 'glacier', 'crater', 'dune', 'boulder', 'ridge', 'plain', 'waterfall', 'stream', 'pond', 'island', 'village', 'town', 'city', 'skyline', 'alley', 'courtyard', 'staircase', 'balcony', 'porch', 'gate', 'column', 'arch']
const COLORS = ['red', 'blue', 'green', 'yellow', 'white', 'black', 'grey', 'gray', 'brown', 'orange', 'pink', 'purple', 'golden', 'silver', 'dark', 'pale', 'bright', 'light blue', 'dark green', 'rusty', 'faded', 'colorful']
const ADJ = ['old', 'small', 'large', 'tall', 'low', 'narrow', 'wide', 'wooden', 'stone', 'brick', 'metal', 'painted', 'weathered', 'quiet', 'busy', 'crowded', 'empty', 'calm', 'rough', 'smooth', 'wet', 'dry', 'sunny', 'shady', 'distant', 'nearby', 'young', 'elderly', 'smiling', 'tiny', 'huge', 'steep', 'flat', 'rocky', 'sandy', 'grassy', 'snowy', 'misty', 'dusty', 'shiny', 'worn', 'modern', 'ancient', 'rounded', 'broken']
const VERBS = ['stands', 'sits', 'rests', 'leans', 'waits', 'runs', 'walks', 'rides', 'floats', 'grows', 'hangs', 'lies', 'rises', 'stretches', 'crosses', 'faces', 'looks', 'moves', 'sails', 'flies', 'grazes', 'plays', 'climbs', 'shines', 'glows', 'winds', 'curves', 'drifts']
const PLACES = ['near the water', 'on the left', 'on the right', 'in the foreground', 'in the background', 'in the distance', 'beside the road', 'along the shore', 'under a clear sky', 'under a cloudy sky', 'at the edge of the field', 'in front of the house', 'behind the fence', 'on top of the hill', 'next to the door', 'by the window', 'across the street', 'at the bottom of the picture', 'near the top of the frame', 'in the middle of the scene', 'between the trees', 'on a wooden table', 'against a plain wall', 'under the bridge', 'over the valley', 'inside a bright room', 'outside the station', 'on the sand', 'in the snow', 'on the grass', 'at sunset', 'in the morning light', 'on a rainy day', 'late in the afternoon']
const LIGHT = ['bright', 'dim', 'dark', 'overcast', 'sunny', 'hazy', 'evening', 'daylight', 'midday', 'foggy', 'low light', 'high contrast']
const SCENES = ['outdoor scene', 'indoor scene', 'street scene', 'urban scene', 'rural scene', 'coastal scene', 'mountain scene', 'desert scene', 'forest scene', 'harbor scene', 'kitchen scene', 'office scene', 'terrain scene', 'close-up']
const POS = ['at left', 'at right', 'in the centre', 'in the center', 'at the top', 'at the bottom', 'at top left', 'at top right', 'at bottom left', 'at bottom right', 'near the left edge', 'near the right edge', 'near the bottom edge', 'across the middle', 'on both sides']
const LAYOUT = ['sky above, ground below', 'sky at the top, water at the bottom', 'water at the bottom, sky at the top', 'ground below, buildings above', 'walls around, floor below', 'trees at the top, grass below', 'rocks in the foreground, hills behind', 'road in the centre, buildings on both sides', 'horizon across the middle', 'sand below, sky above']
const NUMS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '12', 'a', 'one', 'two', 'three', 'four', 'several', 'many', 'a few']
const SIZE = ['small', 'large', 'medium', 'tiny', 'big', 'far away', 'close']

export class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0 || 1
  }
  next(): number {
    // xorshift32
    let x = this.s
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.s = x >>> 0
    return this.s / 2 ** 32
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]
  }
}

function count(r: Rng, cls: string): string {
  const n = r.pick(NUMS)
  if (n === '1' || n === 'a' || n === 'one') return `${n === 'one' ? 'one' : n === '1' ? '1' : /^[aeiou]/.test(cls) ? 'an' : 'a'} ${cls}`
  return `${n} ${plural(cls)}`
}

export function detectorCaption(r: Rng): string {
  const parts: string[] = []
  parts.push(`${r.pick(SCENES)}, ${r.pick(LIGHT)}${r.next() < 0.3 ? ', ' + r.pick(LIGHT) : ''}`)
  if (r.next() < 0.8) parts.push(r.pick(LAYOUT))
  const k = 1 + r.int(5)
  const objs: string[] = []
  for (let i = 0; i < k; i++) objs.push(`${count(r, r.pick(COCO))} ${r.pick(POS)}`)
  parts.push(objs.join(', '))
  if (r.next() < 0.5) parts.push(`the ${r.pick(COCO)} is ${r.pick(SIZE)}${r.next() < 0.5 ? ` and the ${r.pick(COCO)} is ${r.pick(SIZE)}` : ''}`)
  if (r.next() < 0.7) parts.push(`${r.next() < 0.5 ? 'mostly ' : ''}${r.pick(COLORS)}${r.next() < 0.5 ? ' and ' + r.pick(COLORS) : ''} ${r.pick(['tones', 'colors', 'colours'])}${r.next() < 0.5 ? ' dominate' : ''}`)
  if (r.next() < 0.3) parts.push(r.pick(['no people visible', 'no vehicles', 'shadows are long', 'shadows are short', 'the horizon is tilted', 'large objects: ' + r.pick(COCO) + ' ' + r.pick(POS), 'most objects ' + r.pick(POS)]))
  let s = parts.join('; ')
  if (r.next() < 0.7) s = s[0].toUpperCase() + s.slice(1)
  return s + (r.next() < 0.5 ? '.' : '')
}

function np(r: Rng): string {
  const thing = r.next() < 0.25 ? r.pick(COCO) : r.pick(THINGS)
  const a = r.next()
  const mods = a < 0.3 ? `${r.pick(ADJ)} ${r.pick(COLORS)} ` : a < 0.6 ? `${r.pick(COLORS)} ` : a < 0.85 ? `${r.pick(ADJ)} ` : ''
  const num = r.next()
  if (num < 0.2) {
    const n = r.pick(['two', 'three', 'several', 'a few', 'many', 'some', 'four'])
    return `${n} ${mods}${plural(thing)}`
  }
  const phrase = `${mods}${thing}`
  return `${r.next() < 0.75 ? (/^[aeiou]/.test(phrase) ? 'an' : 'a') : 'the'} ${phrase}`
}

export function sceneCaption(r: Rng): string {
  const clauses: string[] = []
  const n = 2 + r.int(4)
  for (let i = 0; i < n; i++) {
    const t = r.int(5)
    if (t === 0) clauses.push(`${np(r)} ${r.pick(VERBS)} ${r.pick(PLACES)}`)
    else if (t === 1) clauses.push(`${np(r)} with ${np(r)} ${r.pick(PLACES)}`)
    else if (t === 2) clauses.push(`${np(r)} and ${np(r)} ${r.pick(PLACES)}`)
    else if (t === 3) clauses.push(`${r.pick(['there is', 'we see', 'you can see', 'beside it is', 'behind them is'])} ${np(r)} ${r.pick(PLACES)}`)
    else clauses.push(`${np(r)} ${r.pick(VERBS)} ${r.pick(['beside', 'behind', 'in front of', 'next to', 'under', 'above', 'near', 'around'])} ${np(r)}`)
  }
  let s = clauses.join(r.pick([', ', ', and ', '; ', ', while ', ', with ']))
  s = s[0].toUpperCase() + s.slice(1)
  return s + '.'
}

const BASIC_COLOURS = ['black', 'white', 'grey', 'red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'brown']
const GROUNDS = ['vegetation', 'earth', 'water', 'pavement', 'snow']
const GRID = ['in the centre', 'on the left', 'on the right', 'at the top', 'at the bottom', 'at the top left', 'at the top right', 'at the bottom left', 'at the bottom right']
const COUNT_WORDS = ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'several', 'many']

/** Sentences in the shape of the built-in captioner (src/core/caption/builtin.ts): scene, layout, objects. */
export function builtinStyleCaption(r: Rng): string {
  const where = r.pick(['An outdoor scene', 'An indoor scene', 'A scene'])
  const light = r.pick(['dark', 'dimly lit', 'moderately lit', 'brightly lit'])
  const cols = Array.from({ length: r.int(4) }, () => r.pick(BASIC_COLOURS))
  const colours = cols.length === 0 ? '' : `, mostly ${cols.length === 1 ? cols[0] : cols.slice(0, -1).join(', ') + ' and ' + cols[cols.length - 1]}`
  const parts = [`${where}, ${light}${colours}.`]
  const lay: string[] = []
  if (r.next() < 0.5) lay.push('sky across the top')
  if (r.next() < 0.5) lay.push(`${r.pick(GROUNDS)} along the bottom`)
  if (lay.length) parts.push(`There is ${lay.join(' and ')}.`)
  const n = r.int(6)
  if (n === 0) parts.push('No distinct objects are recognised.')
  else {
    const objs = Array.from({ length: n }, () => {
      const cls = r.pick(COCO)
      const size = r.pick(['large', 'medium-sized', 'small'])
      if (r.next() < 0.55) return `${/^[aeiou]/.test(cls) ? 'an' : 'a'} ${cls} ${r.pick(GRID)}, ${size}`
      return `${r.pick(COUNT_WORDS)} ${cls === 'person' ? 'people' : plural(cls)}, the most prominent ${r.pick(GRID)} and ${size}`
    })
    parts.push(`It shows ${objs.join('; ')}.`)
  }
  if (r.next() < 0.3) parts.push(`The colours are ${r.pick(['muted', 'moderately saturated', 'vivid'])}.`)
  if (r.next() < 0.2) parts.push(`The lower part of the frame is ${r.pick([...GROUNDS, 'mixed in tone'])}.`)
  if (r.next() < 0.1) parts.push('The view is a single still frame.')
  return parts.join(' ')
}

export function syntheticCaptions(count: number, seed = 12345): string[] {
  const r = new Rng(seed)
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const u = r.next()
    out.push(u < 0.35 ? detectorCaption(r) : u < 0.7 ? sceneCaption(r) : builtinStyleCaption(r))
  }
  return out
}
