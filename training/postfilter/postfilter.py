"""The station's post-filter (model sets 34 and 35, measured, not installed): a small residual network over the station's decoded picture.

Why: set 33's decoder draws from the 1/16 thumbnail and the station then moves its picture onto the packet's planes
(at C >= 8 a 1/4-scale luma plane the decoder never sees) through a smooth bilinear correction, so edges the packet
carries come out soft. This network sees that final picture (and C) and draws the residual to the photograph.

Shape: the picture split into 2x2 phases (pixel unshuffle) at 1/2 scale, a 1/4-scale trunk for context, merged back at
1/2 scale, the residual shuffled to full resolution and added. The last layer starts at zero, so at step 0 the filter
is the identity. Input H, W: multiples of 16 (the station's padded picture); values 0..1, planar RGB."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class PostFilter(nn.Module):
    def __init__(self, half=32, quarter=64, trunk=3):
        super().__init__()
        self.inp = nn.Conv2d(12 + 1, half, 3, padding=1)
        self.half1 = nn.Conv2d(half, half, 3, padding=1)
        self.down = nn.Conv2d(half, quarter, 3, stride=2, padding=1)
        self.trunk = nn.ModuleList(nn.Conv2d(quarter, quarter, 3, padding=d, dilation=d) for d in ([1, 2, 4, 1, 2, 1][:trunk]))
        self.merge = nn.Conv2d(quarter + half, half, 3, padding=1)
        self.out = nn.Conv2d(half, 12, 3, padding=1)
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
        return x + F.pixel_shuffle(self.out(m), 2)


def macs_per_pixel(net):
    """Multiply-adds per full-resolution pixel (convolutions only)."""
    total = 0.0
    for name, m in net.named_modules():
        if isinstance(m, nn.Conv2d):
            scale = 1 / 16 if (name.startswith('trunk') or name == 'down') else 1 / 4
            total += m.in_channels * m.out_channels * math.prod(m.kernel_size) * scale
    return total
