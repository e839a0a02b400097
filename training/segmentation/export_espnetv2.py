"""Export ESPNetv2 (s = 2.0) segmentation (training/segmentation/espnetv2.py) to resources/models, check it against
the PyTorch module, and write its manifest entry (read-modify-write: every other entry is kept).

Per dataset ('city': Cityscapes, input 1024x512; 'pascal': PASCAL VOC, input 384x384 — each checkpoint's training
resolution, at which EdgeNets evaluates):
1. export (opset 17) a graph image [1,3,H,W] RGB 0..1 -> labels [1,H,W] uint8 (ImageNet normalisation, the network,
   bilinear resize of the logits to H x W, argmax) from the exportable variant of the module (adaptive average
   pooling by average pools or prefix sums with F.adaptive_avg_pool2d's bins, PReLU as relu + slope * min(x, 0));
   export twice and require identical bytes;
2. parity images: real photos letterboxed into the input with PIL (bilinear, aspect kept, bars of the ImageNet mean
   colour), saved as PNG (city: 12 KITTI frames and 4 Kodak photos; pascal: 16 coco128 photos), and one 'crop'
   image per model built by integer operations only (test/unit/segmentation.test.ts rebuilds it); PyTorch labels
   from the reference module (F.adaptive_avg_pool2d) on the PNGs as read back;
3. training/segmentation/segmentation_check.ts runs the same PNGs through the engine (onnxruntime-node, the
   hash-verified model) and times segmentImage on a 768x512 Kodak photo; argmax agreement must reach 99.5 %.
The crop image's PyTorch labels are written to training/segmentation/reference/ for the unit test.

Usage: /usr/bin/python3 training/segmentation/export_espnetv2.py [--datasets city,pascal] [--no-node]
       [--timing-runs 9] [--coco128 training/segmentation/coco128_eval.json] [--coco128-only]"""
import argparse
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from espnetv2 import CHECKPOINTS, CLASS_NAMES, MEAN, NUM_OUTPUTS, STD, TRAIN_SIZE, load_espnetv2, normalise  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data'))
MODELS = os.path.join(ROOT, 'resources', 'models')
REFERENCE_DIR = os.path.join(HERE, 'reference')
OPSET = 17
MIN_AGREEMENT = 0.995  # issue 20: argmax agrees on at least 99.5 % of pixels
PAD_RGB = tuple(round(255 * m) for m in MEAN)  # (124, 116, 104)
KITTI_PARITY = ('000000', '000009', '000018', '000027', '000036', '000045', '000054', '000063', '000072', '000081',
                '000090', '000099')
KODAK_PARITY = ('kodim01', 'kodim05', 'kodim13', 'kodim23')
COCO_PARITY_COUNT = 16
# the unit test's input: rebuilt there from the shared data by cropping and padding (no resampling)
CROP_SOURCE = {'city': ('kitti/image_2', '000003.png'), 'pascal': ('kodak', 'kodim23.png')}  # lossless PNGs: both sides decode the same pixels
SOURCE = ('EdgeNets ESPNetv2 segmentation checkpoints, github.com/sacmehta/EdgeNets @ 2b232d3f7fb60658755dad1ebca0ffc895cc795e, '
          'model/segmentation/model_zoo/espnetv2/{file} (../shared/data/weights/segmentation, see its README)')
LICENSE = 'MIT (EdgeNets, Sachin Mehta; ../shared/data/weights/segmentation/LICENSE.EdgeNets)'
TRAINING_DATA = {'city': 'Cityscapes fine (+ coarse) train, upstream; authors report 66.4 % val / 66.2 % test mIoU at 1024x512',
                 'pascal': 'PASCAL VOC 2012 (+ SBD / COCO per the ESPNetv2 paper), upstream; authors report 67.0 % mIoU at 384x384'}


class LabelGraph(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        return self.model(normalise(image)).argmax(1).to(torch.uint8)


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def export(model, path, width, height):
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    # eval() on the wrapper: export restores the wrapper's mode afterwards, and a fresh module is in training mode
    torch.onnx.export(LabelGraph(model).eval(), (x,), path, opset_version=OPSET, input_names=['image'], output_names=['labels'],
                      do_constant_folding=True)


def letterbox(img, width, height):
    """PIL bilinear resize into width x height, aspect kept, centred, mean-colour bars (as the engine does)."""
    scale = min(width / img.width, height / img.height)
    w, h = min(width, max(1, round(img.width * scale))), min(height, max(1, round(img.height * scale)))
    canvas = Image.new('RGB', (width, height), PAD_RGB)
    canvas.paste(img if (w, h) == img.size else img.resize((w, h), Image.BILINEAR), ((width - w) // 2, (height - h) // 2))
    return canvas


def crop_pad(img, width, height):
    """Centre crop to at most width x height, then centre pad with the mean colour (integer operations only)."""
    cw, ch = min(width, img.width), min(height, img.height)
    left, top = (img.width - cw) // 2, (img.height - ch) // 2
    canvas = Image.new('RGB', (width, height), PAD_RGB)
    canvas.paste(img.crop((left, top, left + cw, top + ch)), ((width - cw) // 2, (height - ch) // 2))
    return canvas


def torch_labels(model, png_path):
    a = np.asarray(Image.open(png_path).convert('RGB'))
    x = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None].float() / 255
    with torch.no_grad():
        return model(normalise(x)).argmax(1)[0].numpy().astype(np.uint8)


def parity_sources(dataset):
    if dataset == 'city':
        return ([os.path.join(DATA, 'kitti', 'image_2', f + '.png') for f in KITTI_PARITY] +
                [os.path.join(DATA, 'kodak', f + '.png') for f in KODAK_PARITY])
    masks = sorted(os.listdir(os.path.join(DATA, 'coco128', 'semseg_masks', 'train2017')))[:COCO_PARITY_COUNT]
    return [os.path.join(DATA, 'coco128', 'images', 'train2017', m[:-4] + '.jpg') for m in masks]


def tensor_specs(values, elem):
    return [{'name': v.name, 'shape': [d.dim_value if d.dim_value else (d.dim_param or '?') for d in v.type.tensor_type.shape.dim],
             'type': elem} for v in values]


def write_entry(model_id, entry):
    """Read-modify-write of only our entry, in the file's own style (2-space JSON, trailing newline)."""
    mpath = os.path.join(MODELS, 'manifest.json')
    with open(mpath) as f:
        man = json.load(f)
    man.setdefault('models', {})[model_id] = entry
    tmp = mpath + '.tmp-' + model_id
    with open(tmp, 'w') as f:
        json.dump(man, f, indent=2)
        f.write('\n')
    os.replace(tmp, mpath)


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace('+00:00', 'Z')


def copy_coco128(datasets, coco):
    with open(os.path.join(MODELS, 'manifest.json')) as f:
        models = json.load(f)['models']
    for dataset in datasets:
        entry = models[f'espnetv2_{dataset}']
        entry['metrics']['coco128'] = coco['models'][dataset]
        entry['metrics']['coco128_protocol'] = coco['protocol']
        write_entry(f'espnetv2_{dataset}', entry)
        print(f'export_espnetv2: coco128 results copied into espnetv2_{dataset}')


def main():
    ap = argparse.ArgumentParser(description='Export ESPNetv2 segmentation to ONNX and register it in the manifest')
    ap.add_argument('--datasets', default='city,pascal')
    ap.add_argument('--no-node', action='store_true', help='skip the onnxruntime-node parity and timing (entry gets no parity figure)')
    ap.add_argument('--timing-runs', type=int, default=9)
    ap.add_argument('--coco128', default=os.path.join(HERE, 'coco128_eval.json'),
                    help='results of training/segmentation/eval_coco128.ts to copy into the entries, when present')
    ap.add_argument('--coco128-only', action='store_true',
                    help='only copy --coco128 results into the existing entries (after re-running eval_coco128.ts on the exported files)')
    args = ap.parse_args()
    if args.coco128_only:
        return copy_coco128(args.datasets.split(','), json.load(open(args.coco128)))
    torch.set_num_threads(2)
    os.makedirs(REFERENCE_DIR, exist_ok=True)
    coco = json.load(open(args.coco128)) if os.path.exists(args.coco128) else None

    for dataset in args.datasets.split(','):
        width, height = TRAIN_SIZE[dataset]
        model_id = f'espnetv2_{dataset}'
        onnx_file = f'espnetv2_{dataset}_{width}x{height}.onnx'
        path = os.path.join(MODELS, onnx_file)
        exportable = load_espnetv2(dataset, exportable=True)
        reference = load_espnetv2(dataset)

        with tempfile.TemporaryDirectory() as tmp:
            first, second = os.path.join(tmp, 'a.onnx'), os.path.join(tmp, 'b.onnx')
            export(exportable, first, width, height)
            export(exportable, second, width, height)
            if sha256(first) != sha256(second):
                sys.exit(f'export_espnetv2: two exports of {dataset} differ in bytes; not reproducible')
            onnx.checker.check_model(onnx.load(first))
            os.replace(first, path)
        digest = sha256(path)
        print(f'export_espnetv2: wrote {path} ({os.path.getsize(path)} bytes, sha256 {digest[:12]}..., reproducible)')

        with tempfile.TemporaryDirectory() as tmp:
            images = []
            pool_diff = 0.0
            for src in parity_sources(dataset):
                png = os.path.join(tmp, os.path.splitext(os.path.basename(src))[0] + '.png')
                letterbox(Image.open(src).convert('RGB'), width, height).save(png)
                labels = torch_labels(reference, png)
                lab_png = png[:-4] + '_labels.png'
                Image.fromarray(labels).save(lab_png)
                images.append({'image': png, 'torchLabels': lab_png, 'name': os.path.basename(src)})
            # the exportable variant (pooling, PReLU) against the reference module, in PyTorch
            with torch.no_grad():
                a = np.asarray(Image.open(images[0]['image']).convert('RGB'))
                x = normalise(torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None].float() / 255)
                pool_diff = float((reference(x) - exportable(x)).abs().max())
            folder, name = CROP_SOURCE[dataset]
            crop_png = os.path.join(tmp, 'crop.png')
            crop_pad(Image.open(os.path.join(DATA, folder, name)).convert('RGB'), width, height).save(crop_png)
            crop_labels = torch_labels(reference, crop_png)
            ref_png = os.path.join(REFERENCE_DIR, f'{dataset}_crop_{os.path.splitext(name)[0]}_labels.png')
            Image.fromarray(crop_labels).save(ref_png, optimize=True)
            images.append({'image': crop_png, 'torchLabels': ref_png, 'name': f'{name} (crop/pad, unit-test reference)'})
            print(f'export_espnetv2: {dataset}: {len(images)} parity images through PyTorch; exportable vs reference module '
                  f'max abs logit diff {pool_diff:.2e}; unit-test reference {os.path.relpath(ref_png, ROOT)}')

            m = onnx.load(path)
            entry = {
                'stage': 'analysis',
                'file': onnx_file,
                'sha256': digest,
                'bytes': os.path.getsize(path),
                'inputs': tensor_specs(m.graph.input, 'float32'),
                'outputs': tensor_specs(m.graph.output, 'uint8'),
                'trainingData': 'none here: ' + TRAINING_DATA[dataset],
                'steps': 'none (converted, not trained here)',
                'hardware': 'conversion only: training/segmentation/export_espnetv2.py (training/segmentation/espnetv2.py) on CPU',
                'source': SOURCE.format(file=CHECKPOINTS[dataset]),
                'commit': '2b232d3f7fb60658755dad1ebca0ffc895cc795e',
                'license': LICENSE,
                'classes': list(CLASS_NAMES[dataset]),
                'preprocessing': {'size': [width, height], 'resize': 'letterbox (aspect kept, centred, bars of the ImageNet mean colour)',
                                  'channelOrder': 'RGB', 'range': '0..1 (normalised inside the graph)', 'mean': list(MEAN), 'std': list(STD)},
                'metrics': {},
                'notes': '',
            }
            write_entry(model_id, entry)

            node = None
            if not args.no_node:
                job = os.path.join(tmp, 'job.json')
                with open(job, 'w') as f:
                    json.dump({'modelsDir': MODELS, 'dataset': dataset, 'images': images, 'timingRuns': args.timing_runs,
                               'timingImage': os.path.join(DATA, 'kodak', 'kodim05.png')}, f)
                r = subprocess.run(['npx', 'tsx', os.path.join(HERE, 'segmentation_check.ts'), job], cwd=ROOT, capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(f'export_espnetv2: segmentation_check.ts failed: {r.stderr.strip() or r.stdout.strip()}')
                node = json.loads(r.stdout)

        metrics = {
            'torch_exportable_variant_max_abs_logit_diff': pool_diff,
            'parity_images': (f'{len(images) - 1} photos letterboxed into {width}x{height} by PIL (bilinear) and saved as PNG: '
                              + ('KITTI ' + ', '.join(KITTI_PARITY) + '; Kodak ' + ', '.join(KODAK_PARITY) if dataset == 'city'
                                 else f'the first {COCO_PARITY_COUNT} coco128 images with a semseg mask')
                              + f'; plus the unit test\'s crop/pad of {CROP_SOURCE[dataset][1]}. PyTorch float32 (F.adaptive_avg_pool2d) '
                                'vs onnxruntime-node through src/core/analysis/segmentation.ts runSegmentationModel'),
        }
        if node:
            agree = node['agreement']
            total = sum(a['equal'] for a in agree) / sum(a['pixels'] for a in agree)
            worst = min(a['equal'] / a['pixels'] for a in agree)
            t = node['timing']
            metrics.update({
                'parity_argmax_agreement': total,
                'parity_argmax_agreement_worst_image': worst,
                'latency_ms_median_768x512': round(t['medianMs'], 1),
                'latency_ms_min_768x512': round(t['minMs'], 1),
                'latency_runs': t['runs'],
                'latency_what': f'segmentImage on Kodak kodim05 (768x512, letterboxed into {width}x{height}; labels back at 768x512), '
                                'cpu provider, 1 intra-op thread (SEGMENTATION_INTRA_OP_THREADS), after one warm-up call',
                'latency_machine': node['machine'],
                'measured': now(),
            })
            print(f'export_espnetv2: {dataset}: argmax agreement {100 * total:.3f} % (worst image {100 * worst:.3f} %); '
                  f'segmentImage 768x512 median {t["medianMs"]:.0f} ms (load {node["machine"]["loadAverage"]})')
            if worst < MIN_AGREEMENT:
                sys.exit(f'export_espnetv2: {dataset}: argmax agreement {worst:.4f} below {MIN_AGREEMENT}; entry left without parity figures')
        if coco and dataset in coco.get('models', {}):
            metrics['coco128'] = coco['models'][dataset]
            metrics['coco128_protocol'] = coco['protocol']
        entry['metrics'] = metrics
        entry['notes'] = (
            f'ESPNetv2 (Mehta et al., CVPR 2019) segmentation, s = 2.0, {NUM_OUTPUTS[dataset]} outputs; our own definition '
            f'(training/segmentation/espnetv2.py) loads the EdgeNets state dict with strict=True. Input image: RGB float32 NCHW in '
            f'0..1 at exactly {width}x{height} (the checkpoint\'s training resolution); the graph normalises with ImageNet mean/std, '
            f'runs the network, resizes the logits bilinearly (align_corners) to {width}x{height} and takes the argmax. Output labels '
            f'[1,{height},{width}] uint8 class indices (see classes). Adaptive average pooling is computed by average pools or '
            f'prefix sums with PyTorch\'s bins, PReLU as relu(x) + slope * min(x, 0) (onnxruntime\'s PRelu kernel is slow). '
            f'Opset {OPSET}; export reproducible (two exports, same bytes). Engine: '
            f'src/core/analysis/segmentation.ts segmentImage (letterbox in, nearest back to the image size).')
        write_entry(model_id, entry)
        print(f'export_espnetv2: manifest entry {model_id} written')


if __name__ == '__main__':
    main()
