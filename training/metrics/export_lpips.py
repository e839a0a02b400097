"""Export LPIPS v0.1 (SqueezeNet, training/metrics/lpips_squeeze.py) to resources/models as two graphs, check them, and
write their entries in resources/models/manifest.json (read-modify-write: every other entry is kept):
- lpips_squeeze_features.onnx ('lpips_squeeze_features'): image [1,3,h,w] in 0..1 -> tap0..tap6, the 7 unit-normalised
  taps (LpipsSqueeze.normalised_taps);
- lpips_squeeze.onnx ('lpips_squeeze'): image [1,3,h,w] and reference_tap0..6 (another image's taps from the first
  graph) -> distance [1] (LpipsSqueeze.distance_to_taps).
Two graphs so that the engine runs the backbone once per original and once per reconstruction, not twice per pair
(`gsc bench` compares each original with ~7 reconstructions per C).

Steps: export both (opset 17, dynamic h, w); export a second time and require identical bytes (the files are
reproducible from the weights with this torch); make distorted
copies of Kodak photos (blur, JPEG, noise, 4x4 pixelation) as PNG in a temp dir and compute their LPIPS with the
PyTorch module; write the manifest entry; then run training/metrics/lpips_check.ts, which computes the same pairs through
the engine's lpipsDistance (onnxruntime-node, hash-verified model) and times it on a 768x512 pair; refuse a parity
worse than 1e-4; store parity and speed in the entry.

Usage: /usr/bin/python3 training/metrics/export_lpips.py [--out resources/models] [--no-node] [--timing-runs 15]
Needs ../shared/data/weights/lpips and ../shared/data/kodak; run from anywhere."""
import argparse
import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
from PIL import Image, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lpips_squeeze import TAP_CHANNELS, WEIGHTS_DIR, load_lpips_squeeze  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
KODAK = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data', 'kodak'))
MODEL_ID = 'lpips_squeeze'
ONNX_FILE = 'lpips_squeeze.onnx'
FEATURES_ID = 'lpips_squeeze_features'
FEATURES_FILE = 'lpips_squeeze_features.onnx'
TAP_NAMES = [f'tap{k}' for k in range(len(TAP_CHANNELS))]
REF_NAMES = [f'reference_tap{k}' for k in range(len(TAP_CHANNELS))]
OPSET = 17
TOL = 1e-4  # issue 20: LPIPS within 1e-4 of our own PyTorch implementation
PARITY_IMAGES = ('kodim01', 'kodim04', 'kodim05', 'kodim13', 'kodim23')  # kodim04 is portrait (512x768)
# The fixed pair of test/unit/lpips.test.ts: kodim23 against its 4x4 block means (integer rounding, see pixelate4).
TEST_PAIR = ('kodim23', 'pixelate4')
SOURCE = ('LPIPS v0.1 linear layers: github.com/richzhang/PerceptualSimilarity @ 082bb24f84c091ea94de2867d34c4544f68e0963 '
          '(lpips/weights/v0.1/squeeze.pth); SqueezeNet 1.1 backbone: torchvision squeezenet1_1 ImageNet weights exported '
          'through pnnx to ncnn, github.com/zchrissirhcz/squeezenet-ncnn-pnnx-opencv-cpp @ 0392c1c40c42e5a97fc684dbfbd9492c780c83fd '
          '(../shared/data/weights/lpips, see its README)')
LICENSE = ('BSD-2-Clause (LPIPS linear layers, PerceptualSimilarity); BSD-3-Clause (torchvision SqueezeNet 1.1 weights; '
           'the ncnn conversion repository has no licence file)')


class OnnxTaps(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, image):
        return tuple(self.m.normalised_taps(image))


class OnnxDistance(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, image, *reference_taps):
        return self.m.distance_to_taps(list(reference_taps), image)


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def export(model, features_path, distance_path):
    x = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    image_axes = {'image': {2: 'h', 3: 'w'}}
    torch.onnx.export(OnnxTaps(model), (x,), features_path, opset_version=OPSET, input_names=['image'], output_names=TAP_NAMES,
                      dynamic_axes={**image_axes, **{n: {2: f'h{k}', 3: f'w{k}'} for k, n in enumerate(TAP_NAMES)}},
                      do_constant_folding=True)
    with torch.no_grad():
        ref = tuple(model.normalised_taps(x.flip(3)))
    torch.onnx.export(OnnxDistance(model), (x, *ref), distance_path, opset_version=OPSET, input_names=['image', *REF_NAMES],
                      output_names=['distance'],
                      dynamic_axes={**image_axes, **{n: {2: f'h{k}', 3: f'w{k}'} for k, n in enumerate(REF_NAMES)}},
                      do_constant_folding=True)


def pixelate4(a):
    """4x4 block means, rounded half up in integers (floor((sum + 8) / 16)): exact in numpy and in TypeScript."""
    h, w, _ = a.shape
    h4, w4 = h - h % 4, w - w % 4
    out = a.copy()
    blk = a[:h4, :w4].astype(np.int64).reshape(h4 // 4, 4, w4 // 4, 4, 3).sum(axis=(1, 3))
    out[:h4, :w4] = np.repeat(np.repeat((blk + 8) // 16, 4, axis=0), 4, axis=1).astype(np.uint8)
    return out


def distortions(a, seed):
    pil = Image.fromarray(a)
    buf = io.BytesIO()
    pil.save(buf, 'JPEG', quality=20)
    rng = np.random.default_rng(seed)
    return {
        'blur1.5': np.asarray(pil.filter(ImageFilter.GaussianBlur(1.5))),
        'jpeg20': np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert('RGB')),
        'noise8': np.clip(a + rng.normal(0, 8, a.shape), 0, 255).round().astype(np.uint8),
        'pixelate4': pixelate4(a),
    }


def to_tensor(a):
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None].float() / 255


def tensor_specs(values):
    return [{'name': v.name, 'shape': [d.dim_value if d.dim_value else (d.dim_param or '?') for d in v.type.tensor_type.shape.dim],
             'type': 'float32'} for v in values]


def graph_entry(path, training_data):
    """The manifest fields both graphs share: file facts, tensor specs (images as [1,3,h,w]) and provenance."""
    m = onnx.load(path)
    return {
        'stage': 'analysis',
        'file': os.path.basename(path),
        'sha256': sha256(path),
        'bytes': os.path.getsize(path),
        'inputs': [{**s, 'shape': [1, 3, 'h', 'w']} if s['name'] == 'image' else s for s in tensor_specs(m.graph.input)],
        'outputs': tensor_specs(m.graph.output),
        'trainingData': training_data,
        'steps': 'none (converted, not trained here)',
        'hardware': 'conversion only: training/metrics/export_lpips.py (training/metrics/lpips_squeeze.py) on CPU',
        'source': SOURCE,
        'license': LICENSE,
    }


def write_entry(models_dir, entry, model_id=MODEL_ID):
    """Read-modify-write of only our entry, in the file's own style (2-space JSON, trailing newline)."""
    mpath = os.path.join(models_dir, 'manifest.json')
    with open(mpath) as f:
        text = f.read()
    man = json.loads(text)
    lines = text.split('\n')
    indent = len(lines[1]) - len(lines[1].lstrip(' ')) if len(lines) > 1 and lines[1].startswith(' ') else 2
    man.setdefault('models', {})[model_id] = entry
    tmp = mpath + '.tmp-' + model_id
    with open(tmp, 'w') as f:
        json.dump(man, f, indent=indent)
        f.write('\n')
    os.replace(tmp, mpath)


def main():
    ap = argparse.ArgumentParser(description='Export LPIPS-squeeze to ONNX and register it in the manifest')
    ap.add_argument('--out', default=os.path.join(ROOT, 'resources', 'models'))
    ap.add_argument('--no-node', action='store_true', help='skip the onnxruntime-node parity and timing (entry gets no parity figure)')
    ap.add_argument('--timing-runs', type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(1)  # a shared 2-core machine; the export itself does not need more
    torch.manual_seed(0)
    model = load_lpips_squeeze('cpu')
    path = os.path.join(args.out, ONNX_FILE)
    features_path = os.path.join(args.out, FEATURES_FILE)

    with tempfile.TemporaryDirectory() as tmp:
        runs = [(os.path.join(tmp, f'f{i}.onnx'), os.path.join(tmp, f'd{i}.onnx')) for i in range(2)]
        for f, d in runs:
            export(model, f, d)
        for (a, b) in zip(*runs):
            if sha256(a) != sha256(b):
                sys.exit('export_lpips: two exports of the same weights differ in bytes; not reproducible')
            onnx.checker.check_model(onnx.load(a))
        os.replace(runs[0][0], features_path)
        os.replace(runs[0][1], path)
    digest = sha256(path)
    features_digest = sha256(features_path)
    for p, dg in ((features_path, features_digest), (path, digest)):
        print(f'export_lpips: wrote {p} ({os.path.getsize(p)} bytes, sha256 {dg[:12]}..., reproducible)')

    # PyTorch distances on real photos, read back from the PNG files the node side reads
    pairs = []
    test_pair_value = None
    with tempfile.TemporaryDirectory() as tmp:
        for k, name in enumerate(PARITY_IMAGES):
            src = os.path.join(KODAK, name + '.png')
            a = np.asarray(Image.open(src).convert('RGB'))
            for dname, b in distortions(a, k).items():
                bpath = os.path.join(tmp, f'{name}_{dname}.png')
                Image.fromarray(b).save(bpath)
                b = np.asarray(Image.open(bpath).convert('RGB'))
                with torch.no_grad():
                    d = float(model(to_tensor(a), to_tensor(b))[0])
                pairs.append({'a': src, 'b': bpath, 'name': f'{name} vs {dname}', 'torch': d})
                if (name, dname) == TEST_PAIR:
                    test_pair_value = d
        print(f'export_lpips: {len(pairs)} Kodak pairs through PyTorch; {TEST_PAIR[0]} vs {TEST_PAIR[1]} = {test_pair_value!r}')

        features_entry = {
            **graph_entry(features_path, 'none here: ImageNet-1k (SqueezeNet 1.1 backbone, torchvision), upstream'),
            'metrics': {'parity': f'measured through {MODEL_ID} (lpipsDistance runs this graph for the reference image); see that entry'},
            'notes': (f'First half of LPIPS-squeeze (see {MODEL_ID}): the SqueezeNet 1.1 backbone (fp16 weights) with the LPIPS input '
                      f'scaling, and the 7 taps {list(TAP_CHANNELS)} channels unit-normalised over channels. Input image: RGB float32 '
                      f'NCHW in 0..1, batch 1, h, w >= 17. Outputs {", ".join(TAP_NAMES)}: float32 [1, C, h_k, w_k]. The engine '
                      f'(src/core/analysis/lpips.ts) runs it once per original and keeps the taps for the reconstructions compared '
                      f'with it. Opset {OPSET}; export reproducible (two exports, same bytes).'),
        }
        write_entry(args.out, features_entry, FEATURES_ID)
        entry = {
            **graph_entry(path, 'none here: ImageNet-1k (SqueezeNet 1.1 backbone, torchvision) and BAPPS 2AFC (LPIPS v0.1 linear layers), upstream'),
            'metrics': {},
            'notes': '',
        }
        old = json.load(open(os.path.join(args.out, 'manifest.json')))['models'].get(MODEL_ID, {})
        if old.get('sha256') == digest:
            entry['metrics'] = old.get('metrics', {})  # keep figures of this same file until re-measured
        write_entry(args.out, entry)

        node = None
        if not args.no_node:
            pj = os.path.join(tmp, 'pairs.json')
            with open(pj, 'w') as f:
                json.dump({'modelsDir': os.path.abspath(args.out), 'pairs': pairs, 'timingRuns': args.timing_runs,
                           'timingImage': os.path.join(KODAK, 'kodim05.png')}, f)
            r = subprocess.run(['npx', 'tsx', os.path.join(HERE, 'lpips_check.ts'), pj], cwd=ROOT, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f'export_lpips: training/metrics/lpips_check.ts failed: {r.stderr.strip() or r.stdout.strip()}')
            node = json.loads(r.stdout)

    metrics = {
        'onnx_vs_torch_max_abs_diff': None,
        'parity_pairs': len(pairs),
        'parity_images': 'Kodak ' + ', '.join(PARITY_IMAGES) + ' (768x512 and 512x768) each vs Gaussian blur sigma 1.5, '
                         'JPEG q20, Gaussian noise sigma 8/255, 4x4 block means; PyTorch float32 (training/metrics/lpips_squeeze.py) vs '
                         'onnxruntime-node through src/core/analysis/lpips.ts',
        'kodak_lpips_torch': {p['name']: round(p['torch'], 6) for p in pairs},
    }
    ref = os.path.join(HERE, 'lpips_check.json')
    if os.path.exists(ref):
        chk = json.load(open(ref))
        metrics['ncnn_reference_max_abs_diff_lpips'] = chk['parity_max_lpips_abs_diff']
        metrics['ncnn_reference_max_abs_diff_features'] = chk['parity_max_tap_abs_diff']
        metrics['ncnn_reference'] = ('training/metrics/ncnn_reference.py: numpy float64 interpreter of the ncnn graph vs the PyTorch module '
                                     '(Kodak kodim23/05/13 vs blur 1.5; features up to ~540 in size); figures in training/metrics/lpips_check.json')
    if node:
        diffs = [abs(p['torch'] - n) for p, n in zip(pairs, node['distances'])]
        worst = max(diffs)
        metrics['onnx_vs_torch_max_abs_diff'] = worst
        t = node['timing']
        metrics.update({
            'latency_ms_median_768x512': round(t['medianMs'], 1),
            'latency_ms_median_768x512_same_reference': round(node['timingSameReference']['medianMs'], 1),
            'latency_ms_min_768x512': round(t['minMs'], 1),
            'latency_runs': t['runs'],
            'latency_what': ('lpipsDistance(a, b) for one 768x512 pair, cpu provider, 1 intra-op thread, after one warm-up call: '
                             'latency_ms_median_768x512 with a new reference image on every call (both images through the backbone), '
                             'latency_ms_median_768x512_same_reference with the same reference image each time (its taps kept; '
                             'one backbone pass), as `gsc bench` compares one original with its reconstructions'),
            'latency_machine': node['machine'],
            'measured': datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace('+00:00', 'Z'),
        })
        print(f'export_lpips: onnxruntime-node vs PyTorch max abs diff {worst:.2e} over {len(pairs)} pairs; '
              f'lpipsDistance 768x512 median {t["medianMs"]:.1f} ms (load {node["machine"]["loadAverage"]})')
        if worst > TOL:
            sys.exit(f'export_lpips: parity {worst:.2e} exceeds {TOL}; manifest entry left without metrics')
    else:
        metrics = {k: v for k, v in metrics.items() if v is not None}
    entry['metrics'] = metrics
    entry['notes'] = (
        f'LPIPS v0.1, SqueezeNet variant (Zhang et al. 2018), our conversion: backbone read from the ncnn graph by '
        f'training/metrics/lpips_squeeze.py. The backbone weights are fp16 (as stored in the ncnn .bin), so distances differ slightly '
        f'from LPIPS with torchvision\'s float weights; every figure here is for these fp16 weights. Inputs image0, image1: '
        f'RGB float32 NCHW in 0..1, one size (h, w >= 17), batch 1; mapped inside to [-1,1] and by the LPIPS scaling layer '
        f'(shift [-0.030,-0.088,-0.188], scale [0.458,0.448,0.450]). Taps {list(TAP_CHANNELS)} channels (conv1 ReLU, then '
        f'Fire 3, 5, 6, 7, 8, 9 outputs), unit-normalised over channels, squared difference, linear 1x1 layer, spatial mean, '
        f'sum over taps. Output distance [1] (0 for identical images). This graph is the second half: inputs image (RGB '
        f'float32 NCHW in 0..1, batch 1, h, w >= 17) and {REF_NAMES[0]}..{REF_NAMES[-1]}, the reference image\'s taps from '
        f'{FEATURES_ID} (same h, w); the backbone runs once here, once per reference there. Opset {OPSET}; export reproducible '
        f'(two exports, same bytes). Engine: src/core/analysis/lpips.ts lpipsDistance. The fixed test pair of test/unit/lpips.test.ts '
        f'({TEST_PAIR[0]} vs its 4x4 block means): PyTorch {test_pair_value:.6f}.')
    write_entry(args.out, entry)
    print('export_lpips: manifest entry written')


if __name__ == '__main__':
    main()
