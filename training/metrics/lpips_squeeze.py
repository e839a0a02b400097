"""LPIPS v0.1, SqueezeNet variant, as a frozen PyTorch module: the perceptual distance of Zhang et al. (CVPR 2018)
built from ../shared/data/weights/lpips (see its README for sources, commits and licences):

- the backbone is torchvision's ImageNet SqueezeNet 1.1, read here from the ncnn graph squeezenet_v1.1.ncnn.param
  + .bin by our own reader (the .bin stores the convolution weights as fp16, so LPIPS values differ slightly
  from the float original: say so wherever a number made with this module is reported);
- the 7 LPIPS v0.1 linear layers come from lpips_v0.1_squeeze.pth (state-dict keys lin{k}.model.1.weight).

Distance, for images x0, x1 in [0, 1]: each is mapped to [-1, 1], then shifted and scaled per channel (the LPIPS
scaling layer), run through the SqueezeNet features, and tapped at 7 places (the ReLU after conv1, then after
Fire modules 2+3, 4+5, 6, 7, 8 and 9 in the SqueezeNet paper's numbering: 64, 128, 256, 384, 384, 512, 512
channels). Per tap: unit-normalise each feature vector over channels, square the difference, weight the
channels with that tap's linear layer (a 1x1 convolution to one channel, weights >= 0), average over space.
The distance is the sum over the 7 taps.

Use as a training loss:  from lpips_squeeze import load_lpips_squeeze
                         lp = load_lpips_squeeze('cpu');  loss = lp(x_hat, x).mean()
Every parameter has requires_grad False; gradients flow to the inputs. The module has no dropout or batch norm,
so train()/eval() change nothing.

Checked against an independent numpy interpreter of the ncnn graph: training/metrics/ncnn_reference.py.
Exported to ONNX by training/metrics/export_lpips.py as two graphs: normalised_taps (resources/models/
lpips_squeeze_features.onnx) and distance_to_taps (resources/models/lpips_squeeze.onnx)."""
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
WEIGHTS_DIR = os.path.normpath(os.path.join(REPO_ROOT, '..', 'shared', 'data', 'weights', 'lpips'))
NCNN_PARAM = 'squeezenet_v1.1.ncnn.param'
NCNN_BIN = 'squeezenet_v1.1.ncnn.bin'
LIN_PTH = 'lpips_v0.1_squeeze.pth'

# LPIPS scaling layer: applied to inputs in [-1, 1]; it turns them into ImageNet-normalised values
# (shift = (2 mean - 1), scale = 2 std, with torchvision's mean/std, to three decimals).
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
TAP_CHANNELS = (64, 128, 256, 384, 384, 512, 512)
# The unit normalisation divides by sqrt(sum f^2) + EPS as LPIPS does; we take sqrt(sum f^2 + EPS^2) + EPS so that
# a feature vector of all zeros has a finite gradient (sqrt'(0) is infinite: NaN in backward otherwise). The two
# differ by at most EPS^2 / (2 |f|) ~ 1e-20 relative to features of unit size: nothing at float32 precision.
EPS = 1e-10

NCNN_FP16_TAG = 0x01306B47

# torchvision SqueezeNet 1.1 features: (squeeze, expand1x1, expand3x3) widths of the 8 Fire modules, the max pools
# sit before Fire 1, 3 and 5 (0-based) and after conv1.
FIRES = ((16, 64, 64), (16, 64, 64), (32, 128, 128), (32, 128, 128), (48, 192, 192), (48, 192, 192),
         (64, 256, 256), (64, 256, 256))
POOL_BEFORE_FIRE = (0, 2, 4)
# Taps after: conv1's ReLU, then after Fire index 1, 3, 4, 5, 6, 7 (0-based). The slicing of torchvision's
# `features` that LPIPS uses ([0:2], [2:5], [5:8], [8:10], [10], [11], [12]).
TAP_AFTER_FIRE = (1, 3, 4, 5, 6, 7)


# ---------------------------------------------------------------------------------------------------------------
# ncnn reader (for this graph: Convolution, Pooling, Split, Concat, and a classifier tail we do not use)

def read_ncnn_param(path):
    """Plain-text ncnn param -> list of layers {type, name, bottoms, tops, params: {int: value}}.
    Values: int, float, or a list for array keys (written as -23300 - key)."""
    with open(path) as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    if lines[0] != '7767517':
        raise ValueError(f'{path}: not an ncnn param file (magic {lines[0]!r}, expected 7767517)')
    n_layers, n_blobs = (int(v) for v in lines[1].split())
    layers = []
    for ln in lines[2:]:
        tok = ln.split()
        typ, name, nb, nt = tok[0], tok[1], int(tok[2]), int(tok[3])
        bottoms, tops = tok[4:4 + nb], tok[4 + nb:4 + nb + nt]
        params = {}
        for kv in tok[4 + nb + nt:]:
            k, v = kv.split('=', 1)
            k = int(k)
            if k <= -23300:  # array: count,v1,v2,...
                vals = v.split(',')[1:]
                params[-23300 - k] = [float(x) if ('.' in x or 'e' in x) else int(x) for x in vals]
            else:
                params[k] = float(v) if ('.' in v or 'e' in v) else int(v)
        layers.append({'type': typ, 'name': name, 'bottoms': bottoms, 'tops': tops, 'params': params})
    if len(layers) != n_layers:
        raise ValueError(f'{path}: header says {n_layers} layers, found {len(layers)}')
    return layers


def _read_tagged(buf, off, count):
    """One ncnn weight blob stored with a 4-byte tag; we accept fp16 (tag 0x01306B47) and raw fp32 (tag 0)."""
    tag = struct.unpack_from('<I', buf, off)[0]
    off += 4
    if tag == NCNN_FP16_TAG:
        arr = np.frombuffer(buf, dtype='<f2', count=count, offset=off).astype(np.float32)
        off += (2 * count + 3) // 4 * 4  # fp16 data is padded to 4 bytes
    elif tag == 0:
        arr = np.frombuffer(buf, dtype='<f4', count=count, offset=off).copy()
        off += 4 * count
    else:
        raise ValueError(f'unsupported ncnn weight tag 0x{tag:08X} at byte {off - 4} (only fp16 and fp32 are read)')
    return arr, off


def read_ncnn_convolutions(param_path, bin_path):
    """The Convolution layers of the graph in file order, each with its weights [out, in, kh, kw] and bias [out]
    as float32 numpy arrays. The .bin holds, per Convolution layer in param order: a tagged weight blob of
    param 6 (weight_data_size) values, then (if param 5 bias_term) the bias as num_output raw fp32 values."""
    layers = read_ncnn_param(param_path)
    with open(bin_path, 'rb') as f:
        buf = f.read()
    off = 0
    convs = []
    for L in layers:
        if L['type'] in ('Input', 'Pooling', 'Split', 'Concat', 'Reshape', 'Flatten', 'ReLU'):
            continue
        if L['type'] != 'Convolution':
            raise ValueError(f"ncnn layer type {L['type']} ({L['name']}) is not handled by this reader")
        p = L['params']
        cout, kw = p[0], p.get(1, 0)
        kh = p.get(11, kw)
        size = p[6]
        cin = size // (cout * kh * kw)
        if cin * cout * kh * kw != size:
            raise ValueError(f"{L['name']}: weight_data_size {size} is not out*in*kh*kw")
        w, off = _read_tagged(buf, off, size)
        b = None
        if p.get(5, 0):
            b = np.frombuffer(buf, dtype='<f4', count=cout, offset=off).copy()
            off += 4 * cout
        convs.append({**L, 'weight': w.reshape(cout, cin, kh, kw), 'bias': b})
    if off != len(buf):
        raise ValueError(f'{bin_path}: read {off} of {len(buf)} bytes; the layout does not match the param file')
    return layers, convs


def squeezenet_state_from_ncnn(param_path, bin_path):
    """Maps the ncnn graph onto SqueezeNet 1.1's structure by following blobs (not layer names): conv1, then per
    Fire the squeeze conv (feeding a Split) and the Concat's two inputs, which must be the 1x1 and then the 3x3
    expand conv (torchvision's order). Returns {param name: tensor} for SqueezeFeatures."""
    layers, convs = read_ncnn_convolutions(param_path, bin_path)
    by_top = {}
    for c in convs:
        by_top[c['tops'][0]] = c
    split_src = {}
    for L in layers:
        if L['type'] == 'Split':
            for t in L['tops']:
                split_src[t] = L['bottoms'][0]
    for L in layers:
        if L['type'] == 'Pooling' and L['params'].get(0, 0) == 0:  # max pools: 3x3 stride 2, no pad, ceil mode
            p = L['params']
            if (p.get(1), p.get(2), p.get(3, 0), p.get(5, 0)) != (3, 2, 0, 0):
                raise ValueError(f"{L['name']}: expected max pool 3x3 / 2, pad 0, full (ceil) padding mode")
    for c in convs:
        if c['params'].get(9, 0) != 1:
            raise ValueError(f"{c['name']}: expected a fused ReLU (activation_type 1)")
    state = {}

    def put(prefix, c, k, stride, pad):
        p = c['params']
        if (p.get(1), p.get(3, 1), p.get(4, 0), p.get(2, 1)) != (k, stride, pad, 1):
            raise ValueError(f"{c['name']}: expected kernel {k}, stride {stride}, pad {pad}")
        state[prefix + '.weight'] = torch.from_numpy(c['weight'])
        state[prefix + '.bias'] = torch.from_numpy(c['bias'])

    put('conv1', convs[0], 3, 2, 0)
    concats = [L for L in layers if L['type'] == 'Concat']
    if len(concats) != len(FIRES):
        raise ValueError(f'expected {len(FIRES)} Fire modules (Concat layers), found {len(concats)}')
    for i, (cat, (sq, e1, e3)) in enumerate(zip(concats, FIRES)):
        a, b = (by_top[t] for t in cat['bottoms'])
        if a['weight'].shape[2] != 1 or b['weight'].shape[2] != 3:
            raise ValueError(f"{cat['name']}: expected concat(expand1x1, expand3x3)")
        src_a, src_b = split_src[a['bottoms'][0]], split_src[b['bottoms'][0]]
        if src_a != src_b:
            raise ValueError(f"{cat['name']}: the two expand convs do not share a squeeze output")
        s = by_top[src_a]
        if (s['weight'].shape[0], a['weight'].shape[0], b['weight'].shape[0]) != (sq, e1, e3):
            raise ValueError(f"{cat['name']}: widths differ from SqueezeNet 1.1 Fire {i}")
        put(f'fires.{i}.squeeze', s, 1, 1, 0)
        put(f'fires.{i}.expand1x1', a, 1, 1, 0)
        put(f'fires.{i}.expand3x3', b, 3, 1, 1)
    return state


# ---------------------------------------------------------------------------------------------------------------
# modules

class Fire(torch.nn.Module):
    def __init__(self, cin, sq, e1, e3):
        super().__init__()
        self.squeeze = torch.nn.Conv2d(cin, sq, 1)
        self.expand1x1 = torch.nn.Conv2d(sq, e1, 1)
        self.expand3x3 = torch.nn.Conv2d(sq, e3, 3, padding=1)

    def forward(self, x):
        s = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(s)), F.relu(self.expand3x3(s))], 1)


class SqueezeFeatures(torch.nn.Module):
    """SqueezeNet 1.1 features up to the last Fire module; forward returns the 7 LPIPS taps."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 64, 3, stride=2)
        fires, cin = [], 64
        for sq, e1, e3 in FIRES:
            fires.append(Fire(cin, sq, e1, e3))
            cin = e1 + e3
        self.fires = torch.nn.ModuleList(fires)

    def forward(self, x):
        h = F.relu(self.conv1(x))
        taps = [h]
        for i, fire in enumerate(self.fires):
            if i in POOL_BEFORE_FIRE:
                h = F.max_pool2d(h, 3, 2, ceil_mode=True)
            h = fire(h)
            if i in TAP_AFTER_FIRE:
                taps.append(h)
        return taps


class _Lin(torch.nn.Module):
    """One LPIPS linear layer; `model.1` keeps the upstream state-dict key (upstream has Dropout at model.0,
    which LPIPS never uses at evaluation; here it is an identity so a loss is deterministic in train mode)."""

    def __init__(self, cin):
        super().__init__()
        self.model = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Conv2d(cin, 1, 1, bias=False))

    def forward(self, x):
        return self.model(x)


class LpipsSqueeze(torch.nn.Module):
    """LPIPS v0.1 (SqueezeNet). forward(x0, x1): two [B,3,H,W] tensors in [0,1] -> [B] distances (0 for identical
    images). H and W at least 16 or so (the last taps are at 1/16 resolution). Frozen: no parameter takes grad."""

    def __init__(self):
        super().__init__()
        self.net = SqueezeFeatures()
        for k, c in enumerate(TAP_CHANNELS):
            setattr(self, f'lin{k}', _Lin(c))
        # [0,1] -> [-1,1] -> (v - shift) / scale, folded into one affine map per channel
        shift = torch.tensor(SHIFT).view(1, 3, 1, 1)
        scale = torch.tensor(SCALE).view(1, 3, 1, 1)
        self.register_buffer('in_scale', 2.0 / scale)
        self.register_buffer('in_shift', (-1.0 - shift) / scale)

    def freeze(self):
        for p in self.parameters():
            p.requires_grad_(False)
        return self

    @staticmethod
    def unit_normalise(f):
        return f / (torch.sqrt(torch.sum(f * f, dim=1, keepdim=True) + EPS * EPS) + EPS)

    def features(self, x):
        """x in [0,1] -> the 7 raw backbone taps."""
        return self.net(x * self.in_scale + self.in_shift)

    @staticmethod
    def unit_normalise_conv(f):
        """unit_normalise with the channel sum as a 1x1 convolution of ones: the same value up to float rounding, and
        in onnxruntime ~20 % faster for the distance graph than its ReduceSum over channels (measured at 768x512)."""
        ones = torch.ones(1, int(f.shape[1]), 1, 1, dtype=f.dtype, device=f.device)
        return f / (torch.sqrt(F.conv2d(f * f, ones) + EPS * EPS) + EPS)

    def normalised_taps(self, x):
        """x in [0,1] -> the 7 taps, each unit-normalised over channels (what forward compares)."""
        return [self.unit_normalise_conv(t) for t in self.features(x)]

    def distance_to_taps(self, ref_taps, x):
        """forward's distance between the image whose normalised_taps are ref_taps and x, with one backbone pass
        (the engine keeps an original's taps and compares each reconstruction with them)."""
        d = 0
        for k, (r, t) in enumerate(zip(ref_taps, self.normalised_taps(x))):
            diff = r - t
            d = d + getattr(self, f'lin{k}')(diff * diff).mean(dim=(2, 3))
        return d.reshape(x.shape[0])

    def forward(self, x0, x1):
        if not torch.jit.is_tracing() and (x0.shape != x1.shape or x0.dim() != 4 or x0.shape[1] != 3):
            raise ValueError(f'LpipsSqueeze expects two [B,3,H,W] tensors of one shape, got {tuple(x0.shape)} and {tuple(x1.shape)}')
        b = x0.shape[0]
        taps = self.features(torch.cat([x0, x1], 0))  # one backbone pass for both images
        d = 0
        for k, t in enumerate(taps):
            t = self.unit_normalise(t)
            diff = (t[:b] - t[b:]) ** 2
            d = d + getattr(self, f'lin{k}')(diff).mean(dim=(2, 3))
        return d.reshape(b)


def load_lpips_squeeze(device='cpu', weights_dir=None):
    """LpipsSqueeze with the ncnn SqueezeNet 1.1 backbone (fp16 weights) and the LPIPS v0.1 linear layers, frozen,
    in eval mode, on `device`. weights_dir defaults to ../shared/data/weights/lpips beside the repository."""
    d = weights_dir or WEIGHTS_DIR
    for name in (NCNN_PARAM, NCNN_BIN, LIN_PTH):
        if not os.path.exists(os.path.join(d, name)):
            raise FileNotFoundError(f'LPIPS weights missing: {os.path.join(d, name)} (see ../shared/data/weights/README.md)')
    m = LpipsSqueeze()
    backbone = squeezenet_state_from_ncnn(os.path.join(d, NCNN_PARAM), os.path.join(d, NCNN_BIN))
    m.net.load_state_dict(backbone, strict=True)
    lin = dict(torch.load(os.path.join(d, LIN_PTH), map_location='cpu'))
    expect = {f'lin{k}.model.1.weight': (1, c, 1, 1) for k, c in enumerate(TAP_CHANNELS)}
    if set(lin) != set(expect) or any(tuple(lin[k].shape) != s for k, s in expect.items()):
        raise ValueError(f'{LIN_PTH}: unexpected keys/shapes {[(k, tuple(v.shape)) for k, v in lin.items()]}')
    own = m.state_dict()
    own.update({k: v.float() for k, v in lin.items()})
    m.load_state_dict(own, strict=True)
    return m.freeze().eval().to(device)


def lpips_numpy_images(model, a, b):
    """Convenience: two HxWx3 uint8 arrays -> float distance (float32 forward on the model's device)."""
    dev = next(model.parameters()).device
    ta = torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].float().div(255).to(dev)
    tb = torch.from_numpy(np.ascontiguousarray(b)).permute(2, 0, 1)[None].float().div(255).to(dev)
    with torch.no_grad():
        return float(model(ta, tb)[0])
