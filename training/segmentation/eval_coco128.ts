// mIoU of the shipped segmentation models against coco128's semantic masks (the 100 images that have one), through
// the engine (segmentImage: letterbox into the model input, labels back at the image size by nearest neighbour).
// - PASCAL model: the 21 VOC classes (COCO panoptic categories mapped by cocoPanopticToPascal; every other labelled
//   COCO category is background; unlabelled pixels are left out);
// - both models on the classes they share (SHARED_CLASSES: other, person, bicycle, car, motorcycle, bus, train),
//   which says which of the two serves COCO-like scenes better.
// One confusion matrix per model over all images; mIoU over classes with union > 0.
// Usage: npx tsx training/segmentation/eval_coco128.ts [out.json]   (default training/segmentation/coco128_eval.json)
import { readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { readLabelMap, segmentImage } from '../../src/core/analysis/segmentation'
import { PASCAL_CLASSES, SHARED_CLASSES, cocoPanopticToPascal, toSharedClasses } from '../../src/core/analysis/segmentationClasses'
import { ConfusionMatrix, type MiouResult } from '../../src/core/analysis/segmentationMetrics'
import { readImage } from '../../src/core/image/rgbImage'

const COCO = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'coco128')

function named(r: MiouResult, names: readonly string[]) {
  return {
    miou: r.miou,
    pixelAccuracy: r.pixelAccuracy,
    pixels: r.pixels,
    perClass: Object.fromEntries(names.map((n, i) => [n, Number.isNaN(r.perClass[i]) ? null : r.perClass[i]]))
  }
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? join(import.meta.dirname, 'coco128_eval.json')
  const masks = readdirSync(join(COCO, 'semseg_masks', 'train2017')).filter((f) => f.endsWith('.png')).sort()
  const pascal21 = new ConfusionMatrix(PASCAL_CLASSES.length)
  const shared = { city: new ConfusionMatrix(SHARED_CLASSES.length), pascal: new ConfusionMatrix(SHARED_CLASSES.length) }
  for (const m of masks) {
    const img = await readImage(join(COCO, 'images', 'train2017', m.replace(/\.png$/, '.jpg')))
    const gtPascal = cocoPanopticToPascal((await readLabelMap(join(COCO, 'semseg_masks', 'train2017', m))).labels)
    if (gtPascal.length !== img.width * img.height) throw new Error(`${m}: mask and image differ in size`)
    const gtShared = toSharedClasses(gtPascal, 'pascal')
    const p = await segmentImage(img, { dataset: 'pascal' })
    pascal21.add(gtPascal, p.labels)
    shared.pascal.add(gtShared, toSharedClasses(p.labels, 'pascal'))
    const c = await segmentImage(img, { dataset: 'city' })
    shared.city.add(gtShared, toSharedClasses(c.labels, 'city'))
  }
  const result = {
    protocol:
      `coco128 semseg_masks (${masks.length} images, COCO panoptic categories; unlabelled pixels left out), evaluated at each image's ` +
      'own size (model input letterboxed, labels back by nearest neighbour); one confusion matrix over all images, mIoU over classes ' +
      'with union > 0. pascal21: VOC classes, every other labelled COCO category counts as background. shared: classes both models ' +
      "name (other, person, bicycle, car, motorcycle, bus, train; Cityscapes rider -> person, truck -> other).",
    images: masks.length,
    models: {
      pascal: { pascal21: named(pascal21.result(), PASCAL_CLASSES), shared: named(shared.pascal.result(), SHARED_CLASSES) },
      city: { shared: named(shared.city.result(), SHARED_CLASSES) }
    },
    measured: new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  }
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  process.stdout.write(
    `pascal21 mIoU ${result.models.pascal.pascal21.miou.toFixed(4)}; shared mIoU pascal ${result.models.pascal.shared.miou.toFixed(4)}, city ${result.models.city.shared.miou.toFixed(4)} -> ${out}\n`
  )
}

main().catch((e) => {
  process.stderr.write(`eval_coco128: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
