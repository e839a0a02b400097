"""Decide how to read mobile PyDNet's output (and what input range it expects) on the KITTI frames that are NOT report
frames: the report frames are every third frame from the first of ../shared/data/kitti/image_2 sorted by name; the
other 22 choose. The tflite file documents neither; its raw output is negative.

Candidates: input RGB in 0..1 or ImageNet-style (x - 0.45) / 0.225; output read as inverse depth -raw, as inverse
depth sigmoid(raw) (Monodepth2's head), or as log depth exp(raw). Each is scored with the Eigen metrics against the
LiDAR depth (median scaling, Garg crop, 80 m cap, prediction resized bilinearly to the frame) through the numpy
tflite interpreter. Writes docs/results/depth/output-convention.md.

Usage: /usr/bin/python3 training/depth/select_convention.py"""
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from convert_pydnet import TFLITE  # noqa: E402
from tflite_interpreter import run_tflite  # noqa: E402
from tflite_reader import read_tflite  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
KITTI = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data', 'kitti'))
OUT = os.path.join(ROOT, 'docs', 'results', 'depth', 'output-convention.md')
INPUTS = {'RGB 0..1': lambda a: a, 'ImageNet-style (x-0.45)/0.225': lambda a: (a - 0.45) / 0.225}
OUTPUTS = {
    'inverse depth = -raw': lambda r: 1 / np.maximum(-r, 1e-9),
    'inverse depth = sigmoid(raw)': lambda r: 1 / (1 / (1 + np.exp(-r))),
    'log depth = raw': lambda r: np.exp(r),
}


def metrics(pred, gt):
    pred = np.clip(pred * np.median(gt) / np.median(pred), 1e-3, 80)
    r = np.maximum(pred / gt, gt / pred)
    return (r < 1.25).mean(), np.mean(np.abs(pred - gt) / gt), np.sqrt(np.mean((np.log(pred) - np.log(gt)) ** 2))


def main():
    names = sorted(f for f in os.listdir(os.path.join(KITTI, 'image_2')) if f.endswith('.png'))
    chooser = [n for i, n in enumerate(names) if i % 3 != 0]
    model = read_tflite(TFLITE)
    scores = {}
    for n in chooser:
        img = Image.open(os.path.join(KITTI, 'image_2', n)).convert('RGB')
        w, h = img.size
        a = np.asarray(img.resize((640, 192), Image.BILINEAR), np.float64) / 255
        gt = np.asarray(Image.open(os.path.join(KITTI, 'depth_velodyne', n)), np.float64) / 256
        crop = np.zeros_like(gt, bool)
        crop[int(0.40810811 * h):int(0.99189189 * h), int(0.03594771 * w):int(0.96405229 * w)] = True
        mask = (gt > 1e-3) & (gt < 80) & crop
        for iname, f in INPUTS.items():
            raw = run_tflite(model, {model.inputs[0]: f(a).transpose(2, 0, 1)[None]})[model.outputs[0]][0, 0]
            up = np.asarray(Image.fromarray(raw.astype(np.float32)).resize((w, h), Image.BILINEAR), np.float64)
            for oname, g in OUTPUTS.items():
                scores.setdefault((iname, oname), []).append(metrics(g(up)[mask], gt[mask]))
        print('select_convention:', n, flush=True)
    rows = sorted(((np.mean(v, 0), k) for k, v in scores.items()), key=lambda t: -t[0][0])
    lines = [
        '# How mobile PyDNet\'s input and output are read (chosen on non-report KITTI frames)',
        '',
        f'Frames: the {len(chooser)} frames of ../shared/data/kitti/image_2 that are not report frames (report frames: every',
        'third frame from the first, sorted by name). Model: the tflite graph run by training/depth/tflite_interpreter.py',
        '(numpy float64), input resized to 640x192 with PIL bilinear. Metrics against the LiDAR depth (depth_velodyne):',
        'per-image median scaling, Garg crop, ground truth in (1e-3, 80) m, prediction clamped to [1e-3, 80] m after',
        'scaling, prediction resized bilinearly to the frame. Mean over frames.',
        '',
        'Command: `/usr/bin/python3 training/depth/select_convention.py`',
        '',
        '| input | output read as | δ1 | AbsRel | RMSE log |',
        '|---|---|---|---|---|',
    ]
    for (d1, absrel, rmselog), (iname, oname) in rows:
        lines.append(f'| {iname} | {oname} | {d1:.3f} | {absrel:.3f} | {rmselog:.3f} |')
    best = rows[0][1]
    lines += ['', f'Chosen (highest δ1): input {best[0]}, output {best[1]}. src/core/analysis/depth.ts uses it.', '']
    with open(OUT, 'w') as f:
        f.write('\n'.join(lines))
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
