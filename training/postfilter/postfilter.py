"""The station's post-filter (model sets 34, 35 and 36): a small residual network over the station's decoded picture.

Why: set 33's decoder draws from the 1/16 thumbnail and the station then moves its picture onto the packet's planes
(at C >= 8 a 1/4-scale luma plane the decoder never sees) through a smooth bilinear correction, so edges the packet
carries come out soft. This network sees that final picture (and C) and draws the residual to the photograph.

Shape: the picture split into 2x2 phases (pixel unshuffle) at 1/2 scale, a 1/4-scale trunk for context, merged back at
1/2 scale, the residual shuffled to full resolution and added. The last layer starts at zero, so at step 0 the filter
is the identity. Input H, W: multiples of 16 (the station's padded picture); values 0..1, planar RGB.

Two shapes of the last step (`arch` in a checkpoint's config): 'phases' (sets 34, 35) draws 12 channels at 1/2 scale
and shuffles them into the 2x2 pixels at full resolution; each pixel phase has its own weights, and set 34 drew a
faint 2-px pattern in flat areas with them (its false texture). 'smooth' (set 36) draws 3 channels at 1/2 scale and
upsamples them bilinearly: one set of weights for every pixel, so no pattern tied to the 2x2 phases can come out,
and it cannot draw detail finer than 2 px (the residual set 34 gained by is smooth: residual_blur_probe.py)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class PostFilter(nn.Module):
    def __init__(self, half=32, quarter=64, trunk=3, arch='phases'):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f'post-filter arch {arch!r}: one of {", ".join(ARCHS)}')
        self.arch = arch
        self.inp = nn.Conv2d(12 + 1, half, 3, padding=1)
        self.half1 = nn.Conv2d(half, half, 3, padding=1)
        self.down = nn.Conv2d(half, quarter, 3, stride=2, padding=1)
        self.trunk = nn.ModuleList(nn.Conv2d(quarter, quarter, 3, padding=d, dilation=d) for d in ([1, 2, 4, 1, 2, 1][:trunk]))
        self.merge = nn.Conv2d(quarter + half, half, 3, padding=1)
        self.out = nn.Conv2d(half, 12 if arch == 'phases' else 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, channels):
        """x: [B,3,H,W] in 0..1; channels: [B] (C of each packet, 1..16) -> the filtered picture [B,3,H,W]."""
        b, _, h, w = x.shape
        p = F.pixel_unshuffle(x - 0.5, 2)
        c = (torch.log2(channels.float()) / 4).view(b, 1, 1, 1).expand(b, 1, h // 2, w // 2)
        a = F.relu(self.inp(torch.cat([p, c], 1)))
        a = F.relu(self.half1(a))
        q = F.relu(self.down(a))
        for conv in self.trunk:
            q = F.relu(conv(q)) + q
        up = F.interpolate(q, size=a.shape[-2:], mode='bilinear', align_corners=False)
        m = F.relu(self.merge(torch.cat([up, a], 1)))
        if self.arch == 'phases':
            return x + F.pixel_shuffle(self.out(m), 2)
        return x + F.interpolate(self.out(m), size=(h, w), mode='bilinear', align_corners=False)


ARCHS = ('phases', 'smooth')


def arch_of(state):
    """The arch a checkpoint was trained with (sets 34 and 35's predate the option: 'phases')."""
    return state.get('config', {}).get('arch') or 'phases'


def from_checkpoint(state, raw=False):
    """The network of a train_postfilter.py checkpoint, its EMA weights (raw: the trained ones), in eval mode."""
    net = PostFilter(arch=arch_of(state))
    net.load_state_dict(state['net' if raw else 'ema'])
    return net.eval()


def phases_to_smooth(weights):
    """A 'phases' filter's weights as a 'smooth' one's start: the same layers, the last one's four phases averaged
    (pixel_shuffle puts channel 4c + 2i + j at phase (i, j) of colour c), i.e. its residual's 2x2 mean."""
    w = dict(weights)
    w['out.weight'] = w['out.weight'].reshape(3, 4, *w['out.weight'].shape[1:]).mean(1)
    w['out.bias'] = w['out.bias'].reshape(3, 4).mean(1)
    return w


def macs_per_pixel(net):
    """Multiply-adds per full-resolution pixel (convolutions only)."""
    total = 0.0
    for name, m in net.named_modules():
        if isinstance(m, nn.Conv2d):
            scale = 1 / 16 if (name.startswith('trunk') or name == 'down') else 1 / 4
            total += m.in_channels * m.out_channels * math.prod(m.kernel_size) * scale
    return total
