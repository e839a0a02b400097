"""Convert mobile PyDNet from tflite to resources/models/pydnet_mobile.onnx, check it against the independent numpy
interpreter of the tflite graph, and write the 'pydnet_mobile' entry of resources/models/manifest.json
(read-modify-write: every other entry is kept).

Steps: convert twice and require identical bytes; run the tflite graph in numpy float64 (tflite_interpreter.py, which
shares only the FlatBuffer reader with the converter) on a synthetic pattern and on KITTI frames resized to 640x192
with PIL; write the pattern's reference output to training/depth/parity/ (test/unit/depth-model.test.ts reads it);
run training/depth/depth_check.ts, which feeds the same float tensors through the engine's runDepthModel
(onnxruntime-node, hash-verified) and times depthMap; refuse a parity worse than 1e-3 relative; store the figures.

Usage: /usr/bin/python3 training/depth/export_pydnet.py [--out resources/models] [--timing-runs 15]"""
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
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from convert_pydnet import TFLITE, convert  # noqa: E402
from tflite_interpreter import run_tflite  # noqa: E402
from tflite_reader import read_tflite  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
KITTI = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data', 'kitti'))
MODEL_ID = 'pydnet_mobile'
ONNX_FILE = 'pydnet_mobile.onnx'
W, H = 640, 192
TOL = 1e-3  # issue 20: depth within 1e-3 relative
PARITY_FRAMES = ('000000', '000030', '000060', '000099')
PATTERN_REF = os.path.join(HERE, 'parity', 'pattern_640x192_reference.f32')
SOURCE = ('mobile_pydnet_pruned35.tflite from github.com/zshn25/Pydnet-Pytorch @ 5007b11611dc2af57cc4eca84cc50a77e8cb548a '
          '(../shared/data/weights/depth, see its README)')
LICENSE = 'MIT (Pydnet-Pytorch, Zeeshan Khan Suri; PyDNet by Matteo Poggi et al.)'


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def pattern_rgb():
    """The synthetic 640x192 test image, integer-exact in numpy and TypeScript (test/unit/depth-model.test.ts):
    a vertical and a horizontal ramp, a channel offset and the top 5 bits of an LCG per byte."""
    n = 3 * W * H
    out = np.empty(n, np.uint8)
    s = 0
    for i in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        p = i // 3
        x, y, c = p % W, p // W, i % 3
        out[i] = ((y * 160) // (H - 1) + (x * 64) // (W - 1) + 40 * c + (s >> 27)) & 255
    return out.reshape(H, W, 3)


def planar(rgb):
    return (rgb.astype(np.float32) / np.float32(255)).transpose(2, 0, 1).copy()


def write_entry(models_dir, entry):
    """Read-modify-write of only our entry, in the file's own style (2-space JSON, trailing newline)."""
    mpath = os.path.join(models_dir, 'manifest.json')
    with open(mpath) as f:
        man = json.load(f)
    man.setdefault('models', {})[MODEL_ID] = entry
    tmp = mpath + '.tmp-' + MODEL_ID
    with open(tmp, 'w') as f:
        json.dump(man, f, indent=2)
        f.write('\n')
    os.replace(tmp, mpath)


def main():
    ap = argparse.ArgumentParser(description='Convert mobile PyDNet to ONNX and register it in the manifest')
    ap.add_argument('--out', default=os.path.join(ROOT, 'resources', 'models'))
    ap.add_argument('--timing-runs', type=int, default=15)
    args = ap.parse_args()
    path = os.path.join(args.out, ONNX_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, 'a.onnx'), os.path.join(tmp, 'b.onnx')
        onnx.save(convert(), a)
        onnx.save(convert(), b)
        if sha256(a) != sha256(b):
            sys.exit('export_pydnet: two conversions differ in bytes; not reproducible')
        os.replace(a, path)
    digest = sha256(path)
    print(f'export_pydnet: wrote {path} ({os.path.getsize(path)} bytes, sha256 {digest[:12]}..., reproducible)')

    model = read_tflite(TFLITE)
    (out_index,) = model.outputs
    cases = [('pattern', planar(pattern_rgb()))]
    for f in PARITY_FRAMES:
        rgb = np.asarray(Image.open(os.path.join(KITTI, 'image_2', f + '.png')).convert('RGB').resize((W, H), Image.BILINEAR))
        cases.append(('kitti ' + f, planar(rgb)))
    refs = []
    for name, x in cases:
        refs.append(run_tflite(model, {model.inputs[0]: x[None].astype(np.float64)})[out_index].reshape(-1))
        print(f'export_pydnet: reference {name}: range {refs[-1].min():.4f} .. {refs[-1].max():.4f}')
    refs[0].astype('<f4').tofile(PATTERN_REF)

    m = onnx.load(path)
    entry = {
        'stage': 'analysis',
        'file': ONNX_FILE,
        'sha256': digest,
        'bytes': os.path.getsize(path),
        'inputs': [{'name': 'image', 'shape': [1, 3, H, W], 'type': 'float32'}],
        'outputs': [{'name': 'inverse_depth_raw', 'shape': [1, 1, H // 2, W // 2], 'type': 'float32'}],
        'trainingData': 'none here: KITTI (self-supervised, monodepth2-style, 640x192) upstream',
        'steps': 'none (converted, not trained here)',
        'hardware': 'conversion only: training/depth/convert_pydnet.py on CPU',
        'source': SOURCE,
        'license': LICENSE,
        'metrics': {},
        'notes': '',
    }
    write_entry(args.out, entry)  # the engine verifies the file against this entry before the check below

    with tempfile.TemporaryDirectory() as tmp:
        tensors = []
        for k, (_, x) in enumerate(cases):
            tin, tout = os.path.join(tmp, f'in{k}.f32'), os.path.join(tmp, f'out{k}.f32')
            x.astype('<f4').tofile(tin)
            tensors.append({'input': tin, 'output': tout})
        job = os.path.join(tmp, 'job.json')
        with open(job, 'w') as f:
            json.dump({'modelsDir': os.path.abspath(args.out), 'tensors': tensors, 'timingRuns': args.timing_runs,
                       'timingImage': os.path.join(KITTI, 'image_2', PARITY_FRAMES[0] + '.png')}, f)
        r = subprocess.run(['npx', 'tsx', os.path.join(HERE, 'depth_check.ts'), job], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f'export_pydnet: depth_check.ts failed: {r.stderr.strip() or r.stdout.strip()}')
        node = json.loads(r.stdout)
        outs = [np.fromfile(t['output'], '<f4').astype(np.float64) for t in tensors]

    per_case = {}
    worst_elem = worst_norm = 0.0
    for (name, _), ref, got in zip(cases, refs, outs):
        elem = float(np.max(np.abs(got - ref) / np.abs(ref)))
        norm = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
        per_case[name] = {'max_rel_elementwise': elem, 'max_abs_over_max_ref': norm,
                          'max_abs': float(np.max(np.abs(got - ref)))}
        worst_elem, worst_norm = max(worst_elem, elem), max(worst_norm, norm)
    print(f'export_pydnet: onnxruntime-node vs tflite reference: max elementwise relative {worst_elem:.2e}, '
          f'max abs / max |ref| {worst_norm:.2e}')
    if worst_elem > TOL:
        sys.exit(f'export_pydnet: parity {worst_elem:.2e} exceeds {TOL}; manifest entry left without metrics')
    t = node['timing']
    entry['metrics'] = {
        'parity_max_rel_elementwise': worst_elem,
        'parity_max_abs_over_max_ref': worst_norm,
        'parity_cases': per_case,
        'parity_reference': ('training/depth/tflite_interpreter.py: numpy float64 interpreter of the tflite graph, op by '
                             'op from the tflite tensors (int8 weights dequantised per channel), written apart from the '
                             'converter (they share only training/depth/tflite_reader.py); vs onnxruntime-node through '
                             'src/core/analysis/depth.ts runDepthModel, same float input tensors (a synthetic pattern and '
                             'KITTI ' + ', '.join(PARITY_FRAMES) + ' resized to 640x192 with PIL bilinear)'),
        'latency_ms_median_depthMap': round(t['depthMap']['medianMs'], 1),
        'latency_ms_min_depthMap': round(t['depthMap']['minMs'], 1),
        'latency_ms_median_model': round(t['model']['medianMs'], 1),
        'latency_ms_min_model': round(t['model']['minMs'], 1),
        'latency_runs': t['depthMap']['runs'],
        'latency_what': f'depthMap(img) on a {t["image"]} KITTI frame (resize to 640x192 included) and the model alone, '
                        'cpu provider, 2 intra-op threads, after one warm-up call',
        'latency_machine': node['machine'],
        'measured': datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace('+00:00', 'Z'),
    }
    ceiling = os.path.join(ROOT, 'docs', 'results', 'depth', 'kitti-originals.json')
    if os.path.exists(ceiling):  # written by training/depth/kitti_depth_eval.ts through this same model file
        k = json.load(open(ceiling))
        entry['metrics'].update({('kitti%d_%s' % (k['frames'], key)): round(v, 4) for key, v in k['mean'].items()})
        entry['metrics']['kitti_protocol'] = ('KITTI report frames (every third of ../shared/data/kitti/image_2 from the '
                                              'first) vs sparse LiDAR depth_velodyne: ' + k['protocol'] +
                                              '; docs/results/depth/README.md')
    entry['notes'] = (
        'mobile PyDNet (Poggi et al.; the PyTorch port of zshn25), 35 % L1-pruned, weights stored int8 per output '
        'channel in the tflite file and dequantised here to float32 (scale * (q - zero_point)); the first conv, the '
        'shared 2x2 upsampling conv and the regressor are float in the file. Converted by training/depth/convert_pydnet.py '
        '(our FlatBuffer reader, training/depth/tflite_reader.py): 42 Conv, 30 LeakyRelu(0.2), 5 Resize (bilinear, '
        'align_corners, x2), 5 Concat; the tflite TRANSPOSE/SPLIT layout ops and zero PADs are folded away. Input image: '
        'RGB float32 NCHW in 0..1, exactly [1,3,192,640] (no mean/std). Output inverse_depth_raw [1,1,96,320]: the raw '
        'regressor output, negative; relative inverse depth = -output (src/core/analysis/depth.ts; see '
        'docs/results/depth/README.md). The tflite runtime would run the int8 layers with hybrid kernels that also '
        'quantise activations; the reference here is the float meaning of the stored weights.')
    write_entry(args.out, entry)
    print(f'export_pydnet: depthMap median {t["depthMap"]["medianMs"]:.1f} ms, model median {t["model"]["medianMs"]:.1f} ms '
          f'(load {node["machine"]["loadAverage"]}); manifest entry written')


if __name__ == '__main__':
    main()
