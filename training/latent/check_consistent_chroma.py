"""Checks config chroma_anchor's projection (Decoder.consistent_chroma) on uniform pictures, where the thumbnail window
sees exactly the picture's chroma: a chroma inside its bin is left alone, one outside is moved onto the bin's edge and
luma does not change; without the full thumbnails (only the mosaic's lattice cells bind) it moves towards the sent
values, never away. Run by training/smoke_test.sh; exits 1 on a failure.
Usage: /usr/bin/python3 training/latent/check_consistent_chroma.py"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
from latent_codec import LATENT_CHANNELS, LATENT_SCALE, RGB2YCC, Decoder

cfg = dict(common.load_config('v20_cpu')['latent_codec'])
dec = Decoder(cfg).eval()
offset, scale = torch.tensor([-0.04, 0.02]), torch.tensor([0.08, 0.075])
dec.chroma_norm.copy_(torch.stack([offset, scale], dim=1))
step = 160.0
level = step / dec.gain / LATENT_SCALE * scale  # one quantisation level of Cb, Cr in chroma units
h, w = 4, 6


def picture(cb, cr, luma=0.5):
    """A uniform RGB picture with these Cb, Cr (offsets from grey) and luma."""
    ycc = torch.tensor([luma, cb, cr]).view(1, 3, 1, 1).expand(1, 3, 16 * h, 16 * w)
    return torch.einsum('ij,bjhw->bihw', torch.linalg.inv(RGB2YCC), ycc - torch.tensor([0.5, 0, 0]).view(1, 3, 1, 1)) + 0.5


def chroma_of(rgb):
    return torch.einsum('ij,bjhw->bihw', RGB2YCC, rgb)[0, :, 0, 0]


def project(rgb, centre, sent):
    """The projection with thumbnail values `centre` (chroma units) on every cell; `sent`: Cb, Cr full thumbnails sent."""
    planes = ((centre - offset) / scale * LATENT_SCALE).view(1, 2, 1, 1).expand(1, 2, h, w)
    mask = torch.zeros(1, LATENT_CHANNELS)
    mask[0, 2:4] = float(sent)
    with torch.no_grad():
        return dec.consistent_chroma(rgb, planes, mask, torch.tensor([math.log2(step)]))


failures = []
x = picture(0.10, -0.05)
inside = project(x, torch.tensor([0.10, -0.05]) + 0.4 * level, True)
if (inside - x).abs().max() > 1e-5:
    failures.append(f'a chroma inside its bin moved by {float((inside - x).abs().max()):.2g}')
outside = project(x, torch.tensor([0.10, -0.05]) + 3 * level, True)
want = torch.tensor([0.10, -0.05]) + 2.5 * level  # the bin's near edge: centre - step/2
got = chroma_of(outside)
if (got[1:] - want).abs().max() > 1e-4:
    failures.append(f'a chroma outside its bin went to {got[1:].tolist()}, not the bin edge {want.tolist()}')
if abs(float(got[0] - chroma_of(x)[0])) > 1e-5:
    failures.append(f'luma changed by {float(got[0] - chroma_of(x)[0]):.2g}')
# without the full thumbnails only the mosaic's lattice cells hold a sample: far from every cell's value, the
# projection must still leave the picture's mean chroma between the open cells' (unchanged) and the lattice's bins
open_plane = project(x, torch.tensor([0.10, -0.05]) + 3 * level, False)
if not (chroma_of(x)[1:] - 1e-5 <= chroma_of(open_plane)[1:]).all():
    failures.append('without full thumbnails the chroma moved away from the sent values')
for f in failures:
    print('consistent chroma check:', f)
print('consistent chroma check: ' + ('FAILED' if failures else 'OK (inside a bin: unchanged; outside: onto the bin edge; luma kept)'))
sys.exit(1 if failures else 0)
