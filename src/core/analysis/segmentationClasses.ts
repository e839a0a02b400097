// Class lists, display colours and ground-truth mappings of the two ESPNetv2 segmentation models: Cityscapes
// (19 classes + 'background', the order of EdgeNets' Cityscapes loader) and PASCAL VOC (background + 20 classes).

export type SegmentationDataset = 'city' | 'pascal'

export const CITYSCAPES_CLASSES = [
  'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign', 'vegetation', 'terrain',
  'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle', 'background'
] as const

export const PASCAL_CLASSES = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
  'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor'
] as const

/** The Cityscapes benchmark's own colours (cityscapesScripts labels.py); 'background' black. */
const CITYSCAPES_COLOURS: [number, number, number][] = [
  [128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153], [153, 153, 153], [250, 170, 30],
  [220, 220, 0], [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142], [0, 0, 70],
  [0, 60, 100], [0, 80, 100], [0, 0, 230], [119, 11, 32], [0, 0, 0]
]

/** The PASCAL VOC colour map: class bits spread over the high bits of R, G and B. */
function vocColour(index: number): [number, number, number] {
  let r = 0
  let g = 0
  let b = 0
  let c = index
  for (let shift = 7; shift >= 0 && c > 0; shift--, c >>= 3) {
    r |= (c & 1) << shift
    g |= ((c >> 1) & 1) << shift
    b |= ((c >> 2) & 1) << shift
  }
  return [r, g, b]
}

export function classNames(dataset: SegmentationDataset): readonly string[] {
  return dataset === 'city' ? CITYSCAPES_CLASSES : PASCAL_CLASSES
}

export function classColours(dataset: SegmentationDataset): [number, number, number][] {
  return dataset === 'city' ? CITYSCAPES_COLOURS.map((c) => [...c] as [number, number, number]) : PASCAL_CLASSES.map((_, i) => vocColour(i))
}

/** Ground-truth label meaning "not labelled": such pixels are left out of mIoU. */
export const IGNORE_LABEL = 255

/**
 * COCO panoptic category id (coco128 semseg_masks; 0 = unlabelled) -> PASCAL VOC class index. The 20 VOC classes are
 * COCO thing classes; every other labelled COCO category (truck, bench, road, sky, ...) is VOC background (0), as in
 * the usual COCO-to-VOC subset. Unlabelled pixels become IGNORE_LABEL.
 */
const COCO_TO_PASCAL: Record<number, number> = {
  1: 15, // person
  2: 2, // bicycle
  3: 7, // car
  4: 14, // motorcycle -> motorbike
  5: 1, // airplane -> aeroplane
  6: 6, // bus
  7: 19, // train
  9: 4, // boat
  16: 3, // bird
  17: 8, // cat
  18: 12, // dog
  19: 13, // horse
  20: 17, // sheep
  21: 10, // cow
  44: 5, // bottle
  62: 9, // chair
  63: 18, // couch -> sofa
  64: 16, // potted plant
  67: 11, // dining table
  72: 20 // tv -> tvmonitor
}

export function cocoPanopticToPascal(mask: Uint8Array): Uint8Array {
  const lut = new Uint8Array(256)
  for (let id = 1; id < 256; id++) lut[id] = COCO_TO_PASCAL[id] ?? 0
  lut[0] = IGNORE_LABEL
  const out = new Uint8Array(mask.length)
  for (let i = 0; i < mask.length; i++) out[i] = lut[mask[i]]
  return out
}

/**
 * The classes both models name, for comparing the Cityscapes and the PASCAL model on the same ground truth:
 * 0 other, 1 person, 2 bicycle, 3 car, 4 motorcycle, 5 bus, 6 train. Cityscapes 'rider' counts as person (COCO labels
 * riders as people); truck is 'other' for both (PASCAL has no truck).
 */
export const SHARED_CLASSES = ['other', 'person', 'bicycle', 'car', 'motorcycle', 'bus', 'train'] as const

const SHARED_OF: Record<SegmentationDataset, Record<string, number>> = {
  city: { person: 1, rider: 1, bicycle: 2, car: 3, motorcycle: 4, bus: 5, train: 6 },
  pascal: { person: 1, bicycle: 2, car: 3, motorbike: 4, bus: 5, train: 6 }
}

/** A model's label map -> SHARED_CLASSES indices (IGNORE_LABEL stays). */
export function toSharedClasses(labels: Uint8Array, dataset: SegmentationDataset): Uint8Array {
  const names = classNames(dataset)
  const lut = new Uint8Array(256)
  names.forEach((name, i) => (lut[i] = SHARED_OF[dataset][name] ?? 0))
  lut[IGNORE_LABEL] = IGNORE_LABEL
  const out = new Uint8Array(labels.length)
  for (let i = 0; i < labels.length; i++) out[i] = lut[labels[i]]
  return out
}
