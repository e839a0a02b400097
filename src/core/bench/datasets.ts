/**
 * Finds the images of a benchmark folder and their ground-truth boxes, if any. Layouts:
 *  - COCO/YOLO: images/<split>/*.jpg + labels/<split>/*.txt ("cls cx cy w h", normalised) or images/ + labels/;
 *  - KITTI: image_2/*.png + label_2/*.txt, classes mapped to COCO-80 (see KITTI_TO_COCO);
 *  - plain: a folder of images, no labels (e.g. Kodak).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { GscError } from '../util/errors'

export interface GroundTruthBox {
  classId: number
  /** Pixels: x1, y1, x2, y2. */
  box: [number, number, number, number]
}

export interface BenchImage {
  id: string
  file: string
  /** Label file, or null when the dataset has labels but this image has none (no objects). */
  labelFile: string | null
}

export interface BenchDataset {
  name: string
  root: string
  layout: 'coco-yolo' | 'kitti' | 'plain'
  labelled: boolean
  images: BenchImage[]
}

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?)$/i

/** KITTI type -> COCO-80 class ids. A Cyclist is a rider on a bicycle: one box, both classes. */
export const KITTI_TO_COCO: Record<string, number[]> = {
  Car: [2],
  Van: [2],
  Truck: [2],
  Pedestrian: [0],
  Person_sitting: [0],
  Cyclist: [1, 0],
  Tram: [6]
  // Misc and DontCare are ignored (no COCO counterpart, not counted as ground truth).
}

function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => IMAGE_EXT.test(f) && statSync(path.join(dir, f)).isFile())
    .sort()
}

function withLabels(imgDir: string, labelDir: string, ext: string): BenchImage[] {
  return listImages(imgDir).map((f) => {
    const id = f.replace(IMAGE_EXT, '')
    const lf = path.join(labelDir, id + ext)
    return { id, file: path.join(imgDir, f), labelFile: existsSync(lf) ? lf : null }
  })
}

export function openDataset(root: string): BenchDataset {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new GscError(`--data ${root} is not a folder`)
  const name = path.basename(path.resolve(root))
  const j = (...p: string[]) => path.join(root, ...p)
  let ds: BenchDataset
  if (existsSync(j('image_2')) && existsSync(j('label_2'))) {
    ds = { name, root, layout: 'kitti', labelled: true, images: withLabels(j('image_2'), j('label_2'), '.txt') }
  } else if (existsSync(j('images')) && existsSync(j('labels'))) {
    const splits = readdirSync(j('images')).filter((s) => statSync(j('images', s)).isDirectory()).sort()
    const images = splits.length
      ? splits.flatMap((s) => withLabels(j('images', s), j('labels', s), '.txt'))
      : withLabels(j('images'), j('labels'), '.txt')
    ds = { name, root, layout: 'coco-yolo', labelled: true, images }
  } else {
    ds = { name, root, layout: 'plain', labelled: false, images: listImages(root).map((f) => ({ id: f.replace(IMAGE_EXT, ''), file: j(f), labelFile: null })) }
  }
  if (ds.images.length === 0) throw new GscError(`no images (png, jpg, webp, tif) found in ${root}`)
  return ds
}

export function readGroundTruth(ds: BenchDataset, img: BenchImage, width: number, height: number): GroundTruthBox[] {
  if (!ds.labelled || !img.labelFile) return []
  const lines = readFileSync(img.labelFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)
  const out: GroundTruthBox[] = []
  for (const line of lines) {
    const f = line.split(/\s+/)
    if (ds.layout === 'kitti') {
      const ids = KITTI_TO_COCO[f[0]]
      if (!ids) continue
      const box = [Number(f[4]), Number(f[5]), Number(f[6]), Number(f[7])] as GroundTruthBox['box']
      for (const classId of ids) out.push({ classId, box })
    } else {
      const [cls, cx, cy, w, h] = f.map(Number)
      out.push({ classId: cls, box: [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height] })
    }
  }
  return out
}
