"""Exports a post-filter checkpoint (train_postfilter.py, its EMA weights) as ONNX, checks it against PyTorch in
onnxruntime-node (training/onnx_check.ts), and writes its manifest entry (file, sha256, inputs, outputs, training).
The model set that runs it (manifest modelSets, role post_filter) is edited by hand, as for every set.
Usage: /usr/bin/python3 training/postfilter/export_postfilter.py CKPT [--id postfilter_v36] [--set 36] [--models DIR]
       [--hardware TEXT] [--pairs TEXT]"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)
import common  # noqa: E402
from postfilter import arch_of, from_checkpoint, macs_per_pixel  # noqa: E402

TOL = 1e-4


class Exported(torch.nn.Module):
    """ONNX signature: picture [1,3,H,W] (0..1, H and W multiples of 16), channels [1] (the packet's C) -> filtered."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, picture, channels):
        return self.net(picture, channels)


def tensor_json(t):
    return {'dims': list(t.shape), 'type': 'float32', 'data': t.flatten().tolist()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('ckpt')
    ap.add_argument('--id', default='postfilter_v36')
    ap.add_argument('--set', type=int, default=36)
    ap.add_argument('--models', default=common.MODELS_DIR)
    ap.add_argument('--hardware', default='CPU: AMD EPYC, 2 threads, torch ' + torch.__version__)
    ap.add_argument('--pairs', default='264 training photos (ImageNet samples 1 and 2 and Sun-Hays 80, every 4th, the 16 tuning photos left out), each at C = 1, 2, 4, 8, 16 through set 33 (training/postfilter/make_pairs.ts)')
    a = ap.parse_args()
    state = torch.load(a.ckpt)
    net = from_checkpoint(state)
    model = Exported(net).eval()
    file = os.path.join(a.models, f'{a.id}.onnx')
    args = (torch.rand(1, 3, 64, 96), torch.tensor([4.0]))
    torch.onnx.export(model, args, file, input_names=['picture', 'channels'], output_names=['filtered'], opset_version=17,
                      dynamic_axes={'picture': {2: 'H', 3: 'W'}, 'filtered': {2: 'H', 3: 'W'}})
    with torch.no_grad():
        check = (torch.rand(1, 3, 80, 112), torch.tensor([2.0]))
        cases = {a.id: {'file': file, 'inputs': {'picture': tensor_json(check[0]), 'channels': tensor_json(check[1])}, 'outputs': {'filtered': tensor_json(model(*check))}}}
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(cases, f)
    res = subprocess.run(['npx', 'tsx', os.path.join(common.TRAINING_DIR, 'onnx_check.ts'), f.name], cwd=common.REPO_ROOT, capture_output=True, text=True)
    os.unlink(f.name)
    if res.returncode != 0:
        sys.exit(f'onnx check failed:\n{res.stdout}\n{res.stderr}')
    diff = json.loads(res.stdout)[a.id]
    if diff['maxAbsDiff'] > TOL:
        sys.exit(f'ONNX output differs from PyTorch by {diff["maxAbsDiff"]} (tolerance {TOL})')
    data = open(file, 'rb').read()
    cfg = state.get('config', {})
    entry = {
        'file': os.path.basename(file),
        'sha256': hashlib.sha256(data).hexdigest(),
        'bytes': len(data),
        'trainingData': a.pairs,
        'steps': state['step'],
        'hardware': a.hardware,
        'config': f"training/postfilter/train_postfilter.py --steps {cfg.get('steps')} --batch {cfg.get('batch')} --lr {cfg.get('lr')} --seed {cfg.get('seed')} --grid {cfg.get('grid')} --texture {cfg.get('texture')} --flat {cfg.get('flat', 0.0)} --detector {cfg.get('detector', 0.0)} --arch {arch_of(state)}",
        'modelSet': a.set,
        'license': 'MIT (weights trained by this project); training images are research-use only',
        'stage': 'post_filter',
        'macsPerPixel': round(macs_per_pixel(net)),
        'inputs': [{'name': 'picture', 'shape': [1, 3, 'H', 'W'], 'type': 'float32'}, {'name': 'channels', 'shape': [1], 'type': 'float32'}],
        'outputs': [{'name': 'filtered', 'shape': [1, 3, 'H', 'W'], 'type': 'float32'}],
        'training': {'loss': f"1 - MS-SSIM (luma) + L1 + 0.05 colour (CIE76 at 1/8) + {cfg.get('grid')} x the 16-px blockiness it adds" + (f" + {cfg['texture']} x the false texture it adds" if cfg.get('texture') else '') + (f" + {cfg['flat']} x its flat-area energy over the station's beyond 1.1x" if cfg.get('flat') else '') + (f" + {cfg['detector']} x the station detector's disagreement with the photograph at 1/2 scale" if cfg.get('detector') else ''),
                     'crop': 256, 'grid_aligned_crops': 16, 'arch': arch_of(state), 'startedFrom': cfg.get('init_from')},
        'notes': f"picture = the station's planar RGB after the thumbnail correction (0..1, H and W multiples of 16), channels = the packet's C -> filtered picture (clamp to 0..1). EMA weights at step {state['step']}; exported {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, opset 17; onnxruntime vs PyTorch max abs diff {diff['maxAbsDiff']:.2e}.",
    }
    manifest_path = os.path.join(a.models, 'manifest.json')
    m = json.load(open(manifest_path))
    m['models'][a.id] = entry
    with open(manifest_path, 'w') as f:
        json.dump(m, f, indent=2)
        f.write('\n')
    print(json.dumps({k: entry[k] for k in ('file', 'sha256', 'bytes', 'steps', 'macsPerPixel')}))


if __name__ == '__main__':
    main()
