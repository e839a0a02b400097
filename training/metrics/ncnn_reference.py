"""An independent reference for training/metrics/lpips_squeeze.py: a small numpy (float64) interpreter of ncnn graphs, written
apart from the PyTorch module (its own param/bin reader, its own convolution and pooling), plus the check that
compares the two on real photos.

The interpreter reads the param file generically (Input, Convolution, ConvolutionDepthWise, Pooling, ReLU, Split,
Concat, Reshape, Flatten, InnerProduct, Softmax) and follows ncnn's conventions: blobs are [C,H,W] without batch,
weights are read from the .bin in layer order through ncnn's "ModelBin" rule (a 4-byte tag before a weight blob:
0x01306B47 = fp16, 0 = fp32; biases follow untagged as fp32), Pooling pad_mode 0 pads the tail so every input pixel
is covered (ceil rounding), pad_mode 1 drops it (floor).

Run:  /usr/bin/python3 training/metrics/ncnn_reference.py [--json training/metrics/lpips_check.json]
It checks (1) the graph as a whole: ImageNet top-5 of the full SqueezeNet on Kodak's parrots (kodim23) must be
parrot classes, so the fp16 weights are decoded and laid out right; (2) parity of the 7 LPIPS taps and of the LPIPS
distance between LpipsSqueeze (float32 PyTorch) and this interpreter (float64) on Kodak images; (3) sanity of the
distance (d(x,x) = 0, symmetry, monotone in blur and noise strength, JPEG quality). Exit status 1 on a failure."""
import argparse
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared', 'data'))
LPIPS_DIR = os.path.join(DATA, 'weights', 'lpips')
PARAM = os.path.join(LPIPS_DIR, 'squeezenet_v1.1.ncnn.param')
BIN = os.path.join(LPIPS_DIR, 'squeezenet_v1.1.ncnn.bin')
KODAK = os.path.join(DATA, 'kodak')

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])
PARROT_CLASSES = {87, 88, 89, 90}  # African grey, macaw, sulphur-crested cockatoo, lorikeet (ImageNet-1k indices)


def _wh(o, key, default):
    """ncnn's (width, height) option pair: key for w, key + 10 for h (h defaults to w)."""
    w = o.get(key, default)
    return w, o.get(key + 10, w)


def _pads(o, key_left, key_top):
    """left, top, right, bottom: right follows top's key and defaults to left; bottom to top."""
    left = o.get(key_left, 0)
    top = o.get(key_top, left)
    return left, top, o.get(key_top + 1, left), o.get(key_top + 2, top)


class NcnnGraph:
    def __init__(self, param_path, bin_path):
        self.layers = self._parse(param_path)
        self._load(bin_path)

    @staticmethod
    def _value(s):
        try:
            return int(s)
        except ValueError:
            return float(s)

    def _parse(self, path):
        toks = open(path).read().split('\n')
        toks = [t for t in toks if t.strip()]
        assert toks[0].strip() == '7767517', 'bad ncnn magic'
        nl, _ = map(int, toks[1].split())
        out = []
        for line in toks[2:2 + nl]:
            f = line.split()
            nb, nt = int(f[2]), int(f[3])
            opts = {}
            for item in f[4 + nb + nt:]:
                key, val = item.split('=')
                key = int(key)
                if key <= -23300:
                    parts = val.split(',')
                    opts[-key - 23300] = [self._value(x) for x in parts[1:1 + int(parts[0])]]
                else:
                    opts[key] = self._value(val)
            out.append(dict(type=f[0], name=f[1], inputs=f[4:4 + nb], outputs=f[4 + nb:4 + nb + nt], opts=opts))
        return out

    def _load(self, path):
        self.raw = open(path, 'rb').read()
        self.pos = 0
        for L in self.layers:
            o = L['opts']
            if L['type'] in ('Convolution', 'ConvolutionDepthWise', 'InnerProduct'):
                L['w'] = self._blob(o[6], tagged=True)
                L['b'] = self._blob(o[0], tagged=False) if o.get(5, 0) else None
        assert self.pos == len(self.raw), f'bin size mismatch: consumed {self.pos} of {len(self.raw)} bytes'

    def _blob(self, n, tagged):
        if not tagged:
            v = np.frombuffer(self.raw, np.float32, n, self.pos).astype(np.float64)
            self.pos += 4 * n
            return v
        flag = self.raw[self.pos:self.pos + 4]
        self.pos += 4
        tag = struct.unpack('<I', flag)[0]
        if tag == 0x01306B47:
            v = np.frombuffer(self.raw, np.float16, n, self.pos).astype(np.float64)
            nbytes = 2 * n
            self.pos += nbytes + (-nbytes) % 4
            return v
        if tag == 0:
            v = np.frombuffer(self.raw, np.float32, n, self.pos).astype(np.float64)
            self.pos += 4 * n
            return v
        raise NotImplementedError(f'ncnn weight storage with tag {flag.hex()} (int8 / quantised tables) is not supported')

    # --- ops --------------------------------------------------------------------------------------------------
    @staticmethod
    def _activation(x, kind, params):
        if kind == 0:
            return x
        if kind == 1:
            return np.maximum(x, 0)
        if kind == 2:
            return np.where(x > 0, x, x * params[0])
        if kind == 3:
            return np.clip(x, params[0], params[1])
        if kind == 4:
            return 1 / (1 + np.exp(-x))
        raise NotImplementedError(f'activation_type {kind}')

    def _conv(self, L, x):
        o = L['opts']
        cout = o[0]
        kw, kh = _wh(o, 1, 0)
        dw, dh = _wh(o, 2, 1)
        sw, sh = _wh(o, 3, 1)
        pl, pt, pr, pb = _pads(o, 4, 14)
        if min(pl, pt, pr, pb) < 0:
            raise NotImplementedError('SAME padding (-233/-234) not needed for this graph')
        groups = o.get(7, 1) if L['type'] == 'ConvolutionDepthWise' else 1
        cin = x.shape[0]
        w = L['w'].reshape(cout, cin // groups, kh, kw)
        xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr)))
        H, W = xp.shape[1:]
        oh = (H - (dh * (kh - 1) + 1)) // sh + 1
        ow = (W - (dw * (kw - 1) + 1)) // sw + 1
        y = np.zeros((cout, oh, ow))
        cg, og = cin // groups, cout // groups
        for g in range(groups):
            xs = xp[g * cg:(g + 1) * cg]
            for i in range(kh):
                for j in range(kw):
                    patch = xs[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
                    y[g * og:(g + 1) * og] += np.tensordot(w[g * og:(g + 1) * og, :, i, j], patch, axes=(1, 0))
        if L['b'] is not None:
            y += L['b'][:, None, None]
        return self._activation(y, o.get(9, 0), o.get(10, []))

    @staticmethod
    def _pool(L, x):
        o = L['opts']
        kind = o.get(0, 0)
        if o.get(4, 0):  # global
            return (x.max(axis=(1, 2)) if kind == 0 else x.mean(axis=(1, 2)))[:, None, None]
        kw, kh = _wh(o, 1, 0)
        sw, sh = _wh(o, 2, 1)
        pl, pt, pr, pb = _pads(o, 3, 13)
        mode = o.get(5, 0)
        C, H, W = x.shape
        if mode == 0:  # full padding: extend the tail so the last window reaches the end
            pb += (-(H + pt + pb - kh)) % sh
            pr += (-(W + pl + pr - kw)) % sw
        elif mode != 1:
            raise NotImplementedError(f'pooling pad_mode {mode}')
        fill = -np.inf if kind == 0 else 0.0
        xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr)), constant_values=fill)
        oh = (xp.shape[1] - kh) // sh + 1
        ow = (xp.shape[2] - kw) // sw + 1
        wins = [xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] for i in range(kh) for j in range(kw)]
        if kind == 0:
            return np.max(wins, axis=0)
        if o.get(6, 1) == 0 or pl + pr + pt + pb:
            raise NotImplementedError('padded average pooling')
        return np.mean(wins, axis=0)

    def run(self, inputs):
        """inputs: {blob name: [C,H,W] array} -> every blob of the graph (dict)."""
        blobs = {k: np.asarray(v, np.float64) for k, v in inputs.items()}
        for L in self.layers:
            t = L['type']
            if t == 'Input':
                continue
            xs = [blobs[b] for b in L['inputs']]
            o = L['opts']
            if t in ('Convolution', 'ConvolutionDepthWise'):
                outs = [self._conv(L, xs[0])]
            elif t == 'Pooling':
                outs = [self._pool(L, xs[0])]
            elif t == 'ReLU':
                s = o.get(0, 0.0)
                outs = [np.where(xs[0] > 0, xs[0], xs[0] * s)]
            elif t == 'Split':
                outs = [xs[0]] * len(L['outputs'])
            elif t == 'Concat':
                outs = [np.concatenate(xs, axis=o.get(0, 0))]
            elif t == 'Flatten':
                outs = [xs[0].reshape(-1)]
            elif t == 'Reshape':  # ncnn order w, h, c; -1 infers, 0 keeps; drop trailing unit axes like ncnn dims
                shape = [o.get(2, -233), o.get(1, -233), o.get(0, -233)]
                shape = [s for s in shape if s != -233]
                outs = [xs[0].reshape(shape)]
            elif t == 'InnerProduct':
                w = L['w'].reshape(o[0], -1)
                y = w @ xs[0].reshape(-1)
                if L['b'] is not None:
                    y = y + L['b']
                outs = [self._activation(y, o.get(9, 0), o.get(10, []))]
            elif t == 'Softmax':
                e = np.exp(xs[0] - xs[0].max())
                outs = [e / e.sum()]
            else:
                raise NotImplementedError(f'ncnn layer {t}')
            for name, v in zip(L['outputs'], outs):
                blobs[name] = v
        return blobs


# LPIPS taps in this graph: conv1's ReLU output and the outputs (Concat) of Fire modules 3, 5, 6, 7, 8, 9 (1-based
# SqueezeNet numbering). Named by the layer that writes them, so a renamed graph fails loudly.
TAP_LAYERS = ('convrelu_0', 'cat_1', 'cat_3', 'cat_4', 'cat_5', 'cat_6', 'cat_7')
LPIPS_SHIFT = np.array([-0.030, -0.088, -0.188])
LPIPS_SCALE = np.array([0.458, 0.448, 0.450])


def reference_taps(graph, img01):
    """img01: [3,H,W] in [0,1] -> the 7 LPIPS taps (float64), with the LPIPS input mapping done here in numpy."""
    x = (img01 * 2 - 1 - LPIPS_SHIFT[:, None, None]) / LPIPS_SCALE[:, None, None]
    blobs = graph.run({'in0': x})
    tops = {L['name']: L['outputs'][0] for L in graph.layers}
    return [blobs[tops[n]] for n in TAP_LAYERS]


def reference_lpips(taps0, taps1, lin):
    """LPIPS from float64 taps; lin: list of 7 weight vectors. Upstream formula: f / (|f| + 1e-10)."""
    d = 0.0
    for a, b, w in zip(taps0, taps1, lin):
        na = a / (np.sqrt((a * a).sum(0, keepdims=True)) + 1e-10)
        nb = b / (np.sqrt((b * b).sum(0, keepdims=True)) + 1e-10)
        d += float(np.tensordot(w, (na - nb) ** 2, axes=(0, 0)).mean())
    return d


def load_rgb(path, size=None):
    from PIL import Image
    im = Image.open(path).convert('RGB')
    if size:
        im = im.resize(size, Image.BILINEAR)
    return np.asarray(im)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--json', default=os.path.join(HERE, 'lpips_check.json'), help='where to write the figures')
    ap.add_argument('--images', default='kodim23,kodim05,kodim13', help='Kodak images for the parity check')
    args = ap.parse_args()
    for p in (PARAM, BIN, KODAK):
        if not os.path.exists(p):
            print(f'ncnn_reference: SKIPPED - {p} not found', file=sys.stderr)
            return 0
    import io

    import torch
    from PIL import Image, ImageFilter
    sys.path.insert(0, HERE)
    from lpips_squeeze import LIN_PTH, load_lpips_squeeze
    torch.set_num_threads(1)  # shared 2-core machine

    failures = []
    report = {'reference': 'numpy float64 interpreter of squeezenet_v1.1.ncnn.param/.bin (training/metrics/ncnn_reference.py)',
              'module': 'LpipsSqueeze float32 (training/metrics/lpips_squeeze.py)',
              'weights': 'backbone fp16 (ncnn), LPIPS v0.1 linear layers fp32'}
    graph = NcnnGraph(PARAM, BIN)

    # (1) the whole ImageNet classifier on the parrots
    im = load_rgb(os.path.join(KODAK, 'kodim23.png'), (224, 224)) / 255.0
    x = ((im - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)
    logits = graph.run({'in0': x})['out0'].reshape(-1)
    top5 = [int(i) for i in np.argsort(-logits)[:5]]
    report['imagenet_top5_kodim23'] = top5
    print(f'ImageNet top-5 of kodim23 (parrots) through the ncnn graph: {top5}')
    if top5[0] not in PARROT_CLASSES:
        failures.append(f'kodim23 top-1 class {top5[0]} is not a parrot class {sorted(PARROT_CLASSES)}')

    # (2) parity of taps and distance, module vs interpreter
    model = load_lpips_squeeze('cpu')
    lin = [v.reshape(-1).double().numpy() for _, v in sorted(torch.load(os.path.join(LPIPS_DIR, LIN_PTH), map_location='cpu').items())]
    parity = []
    names = args.images.split(',')
    for k, name in enumerate(names):
        a = load_rgb(os.path.join(KODAK, name + '.png'))
        pil = Image.fromarray(a)
        b = np.asarray(pil.filter(ImageFilter.GaussianBlur(1.5)))
        a01, b01 = (v.transpose(2, 0, 1) / 255.0 for v in (a, b))
        ra, rb = reference_taps(graph, a01), reference_taps(graph, b01)
        ta = torch.from_numpy(a01[None]).float()
        tb = torch.from_numpy(b01[None]).float()
        with torch.no_grad():
            ma = model.features(ta)
            d_mod = float(model(ta, tb)[0])
        tap_diff = [float(np.abs(m[0].double().numpy() - r).max()) for m, r in zip(ma, ra)]
        tap_scale = [float(np.abs(r).max()) for r in ra]
        d_ref = reference_lpips(ra, rb, lin)
        row = {'image': name, 'size': [a.shape[1], a.shape[0]], 'pair': 'original vs Gaussian blur sigma 1.5 (PIL)',
               'tap_max_abs_diff': tap_diff, 'tap_max_abs': tap_scale,
               'lpips_module': d_mod, 'lpips_reference': d_ref, 'lpips_abs_diff': abs(d_mod - d_ref)}
        parity.append(row)
        print(f'{name}: taps max|torch - numpy| {max(tap_diff):.2e} (largest |feature| {max(tap_scale):.1f}); '
              f'LPIPS torch {d_mod:.6f} numpy {d_ref:.6f} diff {abs(d_mod - d_ref):.1e}')
        if max(d / max(1.0, s) for d, s in zip(tap_diff, tap_scale)) > 1e-3:
            failures.append(f'{name}: feature parity {max(tap_diff):.2e}')
        if abs(d_mod - d_ref) > 1e-5:
            failures.append(f'{name}: LPIPS parity {abs(d_mod - d_ref):.2e}')
    report['parity'] = parity
    report['parity_max_tap_abs_diff'] = max(max(r['tap_max_abs_diff']) for r in parity)
    report['parity_max_lpips_abs_diff'] = max(r['lpips_abs_diff'] for r in parity)

    # (3) sanity of the distance on one photo
    a = load_rgb(os.path.join(KODAK, 'kodim05.png'))
    pil = Image.fromarray(a)
    rng = np.random.default_rng(0)

    def noisy(s):
        return np.clip(a + rng.normal(0, s, a.shape), 0, 255).round().astype(np.uint8)

    def jpeg(q):
        buf = io.BytesIO()
        pil.save(buf, 'JPEG', quality=q)
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert('RGB'))

    def d(u, v):
        tu = torch.from_numpy(u.transpose(2, 0, 1)[None].copy()).float() / 255
        tv = torch.from_numpy(v.transpose(2, 0, 1)[None].copy()).float() / 255
        with torch.no_grad():
            return float(model(tu, tv)[0])

    s = {'image': 'kodim05', 'identical': d(a, a)}
    for sig in (0.5, 1, 2, 4):
        s[f'gaussian_blur_{sig}'] = d(a, np.asarray(pil.filter(ImageFilter.GaussianBlur(sig))))
    for sig in (2, 8, 16, 32):
        s[f'gaussian_noise_{sig}_of_255'] = d(a, noisy(sig))
    for q in (90, 50, 10):
        s[f'jpeg_q{q}'] = d(a, jpeg(q))
    blurred = np.asarray(pil.filter(ImageFilter.GaussianBlur(2)))
    s['symmetry_abs_diff'] = abs(d(a, blurred) - d(blurred, a))
    report['sanity'] = s
    for k, v in s.items():
        if k != 'image':
            print(f'  kodim05 {k}: {v:.5f}')
    checks = [
        (s['identical'] == 0.0, 'd(x, x) != 0'),
        (s['symmetry_abs_diff'] < 1e-6, 'd(x, y) != d(y, x)'),
        (s['gaussian_blur_0.5'] < s['gaussian_blur_1'] < s['gaussian_blur_2'] < s['gaussian_blur_4'], 'blur not monotone'),
        (s['gaussian_noise_2_of_255'] < s['gaussian_noise_8_of_255'] < s['gaussian_noise_16_of_255'] < s['gaussian_noise_32_of_255'], 'noise not monotone'),
        (s['jpeg_q90'] < s['jpeg_q50'] < s['jpeg_q10'], 'JPEG quality not monotone'),
        (s['gaussian_noise_2_of_255'] < s['gaussian_blur_2'], 'slight noise (2/255) not closer than blur sigma 2'),
    ]
    for ok, what in checks:
        if not ok:
            failures.append(what)
    report['failures'] = failures
    with open(args.json, 'w') as f:
        json.dump(report, f, indent=2)
        f.write('\n')
    if failures:
        print('ncnn_reference: FAILED - ' + '; '.join(failures), file=sys.stderr)
        return 1
    print(f'ncnn_reference: OK (figures in {os.path.relpath(args.json)})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
