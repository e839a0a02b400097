"""ESPNetv2 semantic segmentation (Mehta et al., CVPR 2019), width s = 2.0, as a frozen PyTorch module whose
state-dict keys match the EdgeNets checkpoints in ../shared/data/weights/segmentation (Cityscapes: 20 outputs,
19 classes + 'background'; PASCAL VOC: 21 outputs, background + 20 classes). Written here from the paper and from
reading the public EdgeNets code (github.com/sacmehta/EdgeNets, MIT) to learn the layout; no code is copied.

Layout (input H x W, both multiples of 16):
- encoder: a strided 3x3 conv (32 ch, H/2), then three down-sampling units (128 ch at H/4, 256 at H/8, 512 at
  H/16), each followed by EESP units (3 at H/8, 7 at H/16). A down-sampling unit concatenates a 3x3 average pool
  of its input with a strided EESP branch, adds a projection of the input image (average-pooled to the same
  size: the 'input reinforcement') and applies a PReLU.
- EESP unit: grouped 1x1 reduction to n = out/4 channels, four depth-wise 3x3 convolutions with dilations chosen
  from a receptive-field limit, summed hierarchically (branch k adds branch k-1), concatenated, BN + PReLU,
  grouped 1x1 expansion + BN, residual add when shapes agree, PReLU. The strided variant skips the residual
  and the final PReLU (the down-sampling unit applies its own).
- decoder: four 'efficient pyramid pooling' blocks (project to 10 ch, one depth-wise 3x3 per scale 2.0, 1.5, 1.0,
  0.5, 0.1 with resizing around it, BN + PReLU over the 50 concatenated channels, channel shuffle, grouped 3x3 to
  10 ch, 1x1 to the output width), with 2x bilinear up-sampling between them and encoder skips merged through a
  grouped 3x3 conv gated by a sigmoid of the globally pooled skip. Widths 64, 48, 32, then the class count at H/2;
  the logits are bilinearly resized to H x W (align_corners=True throughout, as trained).

Input: RGB in 0..1 normalised with ImageNet mean/std (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225), NCHW.

load_espnetv2(dataset) gives the reference module; load_espnetv2(dataset, exportable=True) the same weights with
two operations written differently for ONNX (same values up to float rounding):
- adaptive average pooling: F.adaptive_avg_pool2d's bins by an average pool (when every bin has one length) or by
  prefix sums and gathers (otherwise); torch.onnx cannot export F.adaptive_avg_pool2d when the sizes do not divide;
- PReLU as relu(x) + a * min(x, 0): onnxruntime's PRelu kernel with a per-channel slope measured ~5x slower than
  these elementwise ops on a 32x256x512 tensor (it was 30 % of the Cityscapes graph's time)."""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared',
                                            'data', 'weights', 'segmentation'))
CHECKPOINTS = {
    'city': 'espnetv2_s_2.0_city_1024x512.pth',
    'pascal': 'espnetv2_s_2.0_pascal_384x384.pth',
}
NUM_OUTPUTS = {'city': 20, 'pascal': 21}
# Training resolution (width, height) of each checkpoint; EdgeNets evaluates by resizing to it.
TRAIN_SIZE = {'city': (1024, 512), 'pascal': (384, 384)}

CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
                      'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train',
                      'motorcycle', 'bicycle', 'background')
PASCAL_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
                  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
                  'tvmonitor')
CLASS_NAMES = {'city': CITYSCAPES_CLASSES, 'pascal': PASCAL_CLASSES}

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

# s = 2.0 widths: level 1..4 outputs
WIDTHS = (32, 128, 256, 512)
EESP_REPEATS = {3: 3, 4: 7}
BRANCHES = 4
# receptive-field limits (kernel extent of the largest dilated 3x3) per down-sampling unit and per EESP level
RF_DOWN = {2: 13, 3: 11, 4: 9}
RF_EESP = {3: 9, 4: 7}
REINFORCE_WIDTH = 3
PYRAMID_SCALES = (2.0, 1.5, 1.0, 0.5, 0.1)
PYRAMID_MIN_SIDE = 5
PYRAMID_WIDTH = 10  # min(classes // 2, 16) for both checkpoints
DECODER_WIDTHS = (64, 48, 32)


def _bins(n_in, n_out):
    """PyTorch's adaptive pooling bins: [floor(i n_in / n_out), ceil((i + 1) n_in / n_out))."""
    starts = [(i * n_in) // n_out for i in range(n_out)]
    ends = [-((-(i + 1) * n_in) // n_out) for i in range(n_out)]
    return starts, ends


def _pool_axis_export(x, dim, n_out):
    """Adaptive average pooling along one axis (2 or 3) with PyTorch's bins, in ops torch.onnx exports."""
    # int(): under torch.onnx tracing a size is a 0-d tensor and tensors hash by identity, so without it every pool
    # fell through to the prefix-sum path (28 CumSums in the graph, ~19 % of its time); the input size is fixed anyway
    n_in, n_out = int(x.shape[dim]), int(n_out)
    if n_in == n_out:
        return x
    starts, ends = _bins(n_in, n_out)
    lengths = [e - b for b, e in zip(starts, ends)]
    if len(set(lengths)) == 1:  # one bin length k: an average pool of k, strided when the bins are evenly spaced
        k = lengths[0]
        steps = {b - a for a, b in zip(starts, starts[1:])}
        step = steps.pop() if len(steps) == 1 else 1
        pooled = F.avg_pool2d(x, (k, 1) if dim == 2 else (1, k), stride=(step, 1) if dim == 2 else (1, step))
        return pooled if step > 1 or n_out == 1 else torch.index_select(pooled, dim, torch.tensor(starts))
    pad = [0, 0] * (x.dim() - 1 - dim) + [1, 0]  # one zero in front along `dim`
    s = torch.cumsum(F.pad(x, pad), dim=dim)
    lo = torch.index_select(s, dim, torch.tensor(starts))
    hi = torch.index_select(s, dim, torch.tensor(ends))
    shape = [1] * x.dim()
    shape[dim] = n_out
    return (hi - lo) / torch.tensor(lengths, dtype=x.dtype).reshape(shape)


def adaptive_avg_pool(x, size, how):
    if how == 'torch':
        return F.adaptive_avg_pool2d(x, size)
    return _pool_axis_export(_pool_axis_export(x, 2, size[0]), 3, size[1])


class ExportPReLU(nn.PReLU):
    """nn.PReLU (same parameter, same key) computed as relu(x) + a * min(x, 0)."""

    def forward(self, x):
        return F.relu(x) + self.weight.reshape(1, -1, 1, 1) * torch.clamp(x, max=0.0)


def resize(x, size):
    return F.interpolate(x, size=size, mode='bilinear', align_corners=True)


class ConvBnPrelu(nn.Module):
    """conv (no bias, 'same' padding) -> batch norm -> per-channel PReLU; keys conv/bn/act."""

    def __init__(self, cin, cout, k, stride=1, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.PReLU(cout)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class ConvBn(nn.Module):
    def __init__(self, cin, cout, k, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, 1, (k - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class BnPrelu(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bn = nn.BatchNorm2d(c)
        self.act = nn.PReLU(c)

    def forward(self, x):
        return self.act(self.bn(x))


class DepthwiseDilated(nn.Module):
    def __init__(self, c, dilation, stride):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride, dilation, dilation=dilation, groups=c, bias=False)

    def forward(self, x):
        return self.conv(x)


def branch_dilations(rf_limit):
    """Kernel extents 3, 5, 7, 9 for the four branches; past the limit a branch falls back to extent 3. Sorted by
    extent; a 3x3 kernel of extent e has dilation (e - 1) / 2."""
    extents = sorted(e if e <= rf_limit else 3 for e in (3 + 2 * k for k in range(BRANCHES)))
    return [(e - 1) // 2 for e in extents]


class EESP(nn.Module):
    def __init__(self, cin, cout, stride, rf_limit):
        super().__init__()
        n = cout // BRANCHES
        assert n * BRANCHES == cout
        self.strided = stride == 2
        self.proj_1x1 = ConvBnPrelu(cin, n, 1, groups=BRANCHES)
        self.spp_dw = nn.ModuleList(DepthwiseDilated(n, d, stride) for d in branch_dilations(rf_limit))
        self.conv_1x1_exp = ConvBn(cout, cout, 1, groups=BRANCHES)
        self.br_after_cat = BnPrelu(cout)
        self.module_act = nn.PReLU(cout)  # unused by the strided variant (present in its checkpoint all the same)

    def forward(self, x):
        reduced = self.proj_1x1(x)
        branches = []
        for conv in self.spp_dw:
            y = conv(reduced)
            branches.append(y if not branches else y + branches[-1])  # hierarchical feature fusion
        y = self.conv_1x1_exp(self.br_after_cat(torch.cat(branches, 1)))
        if self.strided:
            return y
        if y.shape == x.shape:
            y = y + x
        return self.module_act(y)


class DownSampler(nn.Module):
    def __init__(self, cin, cout, rf_limit):
        super().__init__()
        self.eesp = EESP(cin, cout - cin, 2, rf_limit)
        self.inp_reinf = nn.Sequential(ConvBnPrelu(3, REINFORCE_WIDTH, 3), ConvBn(REINFORCE_WIDTH, cout, 1))
        self.act = nn.PReLU(cout)

    def forward(self, x, image):
        pooled = F.avg_pool2d(x, 3, 2, 1)
        y = torch.cat([pooled, self.eesp(x)], 1)
        while image.shape[2] != pooled.shape[2]:  # static shapes: unrolled when traced
            image = F.avg_pool2d(image, 3, 2, 1)
        return self.act(y + self.inp_reinf(image))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.level1 = ConvBnPrelu(3, WIDTHS[0], 3, stride=2)
        self.level2_0 = DownSampler(WIDTHS[0], WIDTHS[1], RF_DOWN[2])
        self.level3_0 = DownSampler(WIDTHS[1], WIDTHS[2], RF_DOWN[3])
        self.level3 = nn.ModuleList(EESP(WIDTHS[2], WIDTHS[2], 1, RF_EESP[3]) for _ in range(EESP_REPEATS[3]))
        self.level4_0 = DownSampler(WIDTHS[2], WIDTHS[3], RF_DOWN[4])
        self.level4 = nn.ModuleList(EESP(WIDTHS[3], WIDTHS[3], 1, RF_EESP[4]) for _ in range(EESP_REPEATS[4]))

    def forward(self, image):
        f1 = self.level1(image)
        f2 = self.level2_0(f1, image)
        f3 = self.level3_0(f2, image)
        for unit in self.level3:
            f3 = unit(f3)
        f4 = self.level4_0(f3, image)
        for unit in self.level4:
            f4 = unit(f4)
        return f1, f2, f3, f4


class Sequential3(nn.Module):
    """conv -> BN -> PReLU stored as keys cbr.0 / cbr.1 / cbr.2 (the decoder's naming)."""

    def __init__(self, cin, cout, k, groups=1):
        super().__init__()
        self.cbr = nn.Sequential(nn.Conv2d(cin, cout, k, 1, (k - 1) // 2, groups=groups, bias=False),
                                 nn.BatchNorm2d(cout), nn.PReLU(cout))

    def forward(self, x):
        return self.cbr(x)


class Sequential2(nn.Module):
    """BN -> PReLU stored as keys br.0 / br.1."""

    def __init__(self, c):
        super().__init__()
        self.br = nn.Sequential(nn.BatchNorm2d(c), nn.PReLU(c))

    def forward(self, x):
        return self.br(x)


class ChannelShuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class PyramidPool(nn.Module):
    def __init__(self, cin, cout, last, pool):
        super().__init__()
        p, k = PYRAMID_WIDTH, len(PYRAMID_SCALES)
        self.pool = pool
        self.projection_layer = Sequential3(cin, p, 1)
        self.stages = nn.ModuleList(nn.Conv2d(p, p, 3, 1, 1, groups=p, bias=False) for _ in PYRAMID_SCALES)
        self.merge_layer = nn.Sequential(Sequential2(p * k), ChannelShuffle(k), Sequential3(p * k, p, 3, groups=p),
                                         nn.Conv2d(p, cout, 1, bias=last))
        self.last = last
        if not last:
            self.br = Sequential2(cout)

    def forward(self, x):
        x = self.projection_layer(x)
        h, w = x.shape[2], x.shape[3]
        outs = []
        for scale, conv in zip(PYRAMID_SCALES, self.stages):
            hs = max(PYRAMID_MIN_SIDE, int(math.ceil(h * scale)))
            ws = max(PYRAMID_MIN_SIDE, int(math.ceil(w * scale)))
            if scale < 1:
                y = resize(conv(adaptive_avg_pool(x, (hs, ws), self.pool)), (h, w))
            elif scale > 1:
                y = adaptive_avg_pool(conv(resize(x, (hs, ws))), (h, w), self.pool)
            else:
                y = conv(x)
            outs.append(y)
        y = self.merge_layer(torch.cat(outs, 1))
        return y if self.last else self.br(y)


class GatedSkip(nn.Module):
    """Encoder skip -> grouped 3x3 conv, scaled per channel by a sigmoid of a 1x1 conv of its global average."""

    def __init__(self, cin, cout):
        super().__init__()
        self.wt_layer = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.Sigmoid())
        self.expansion_layer = Sequential3(cin, cout, 3, groups=math.gcd(cin, cout))

    def forward(self, x):
        return self.expansion_layer(x) * self.wt_layer(x)


class ESPNetv2Seg(nn.Module):
    def __init__(self, num_outputs, adaptive_pool='torch'):
        super().__init__()
        d = DECODER_WIDTHS
        self.base_net = Encoder()
        self.bu_dec_l1 = PyramidPool(WIDTHS[3], d[0], False, adaptive_pool)
        self.bu_dec_l2 = PyramidPool(d[0], d[1], False, adaptive_pool)
        self.bu_dec_l3 = PyramidPool(d[1], d[2], False, adaptive_pool)
        self.bu_dec_l4 = PyramidPool(d[2], num_outputs, True, adaptive_pool)
        self.merge_enc_dec_l2 = GatedSkip(WIDTHS[2], d[0])
        self.merge_enc_dec_l3 = GatedSkip(WIDTHS[1], d[1])
        self.merge_enc_dec_l4 = GatedSkip(WIDTHS[0], d[2])
        self.bu_br_l2 = nn.Sequential(nn.BatchNorm2d(d[0]), nn.PReLU(d[0]))
        self.bu_br_l3 = nn.Sequential(nn.BatchNorm2d(d[1]), nn.PReLU(d[1]))
        self.bu_br_l4 = nn.Sequential(nn.BatchNorm2d(d[2]), nn.PReLU(d[2]))

    def forward(self, image):
        """image: [n, 3, H, W] ImageNet-normalised, H and W multiples of 16 -> logits [n, classes, H, W]."""
        if image.shape[2] % 16 or image.shape[3] % 16:
            raise ValueError(f'ESPNetv2 needs H and W multiples of 16, got {tuple(image.shape[2:])}')
        f1, f2, f3, f4 = self.base_net(image)
        y = self.bu_dec_l1(f4)
        for skip, merge, norm, block in ((f3, self.merge_enc_dec_l2, self.bu_br_l2, self.bu_dec_l2),
                                         (f2, self.merge_enc_dec_l3, self.bu_br_l3, self.bu_dec_l3),
                                         (f1, self.merge_enc_dec_l4, self.bu_br_l4, self.bu_dec_l4)):
            y = resize(y, (2 * y.shape[2], 2 * y.shape[3]))
            y = block(norm(merge(skip) + y))
        return resize(y, (image.shape[2], image.shape[3]))


def load_espnetv2(dataset, exportable=False):
    """The frozen model for 'city' or 'pascal', weights loaded with strict=True, in eval mode; exportable=True gives
    the ONNX-friendly variant (see the module docstring)."""
    model = ESPNetv2Seg(NUM_OUTPUTS[dataset], 'export' if exportable else 'torch')
    state = torch.load(os.path.join(WEIGHTS_DIR, CHECKPOINTS[dataset]), map_location='cpu')
    model.load_state_dict(state, strict=True)
    if exportable:
        for m in model.modules():
            if type(m) is nn.PReLU:
                m.__class__ = ExportPReLU
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def normalise(rgb01):
    """[n, 3, H, W] RGB in 0..1 -> the network's input."""
    mean = torch.tensor(MEAN, dtype=rgb01.dtype).reshape(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=rgb01.dtype).reshape(1, 3, 1, 1)
    return (rgb01 - mean) / std
