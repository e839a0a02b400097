"""Checks the training's simulation of set 22's station against the station's code (check_colour_wire.ts): the
colour thumbnail's wire (colour_wire.py) and the last step (wire_training.make_consistent), and set 28's luma plane
and last step and set 29's luma detail (fine_luma_wire.py), must give what the station gives for the same random input, within float32 rounding. Usage: /usr/bin/python3 training/latent/check_colour_wire.py"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401
import torch  # noqa: E402
from colour_wire import code_thumbnails  # noqa: E402
from wire_training import make_consistent  # noqa: E402
from fine_luma_wire import coarse_luma, fine_luma, luma_detail, make_consistent_fine  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
got = json.loads(subprocess.run(['npx', 'tsx', 'training/latent/check_colour_wire.ts'], cwd=root, check=True, capture_output=True, text=True).stdout)
cases = got['cases']
worst = 0.0
for c in cases:
    planes = np.array(c['planes'], dtype=np.float32).astype(np.float64).reshape(1, 3, c['h'], c['w'])
    ours = code_thumbnails(planes, [c['quantStep'] * 2 ** (c['k'] / 4)])[0]
    theirs = np.array(c['out']).reshape(3, c['h'], c['w'])
    worst = max(worst, float(np.abs(ours - theirs).max() / np.abs(theirs).max()))
c = got['consistent']
lh, lw = c['lh'], c['lw']
rgb = torch.tensor(c['rgb'], dtype=torch.float64).view(1, 3, 16 * lh, 16 * lw)
thumbs = torch.tensor(c['thumbnails'], dtype=torch.float64).view(1, 3, lh, lw)
ours = make_consistent(rgb, thumbs, torch.tensor(c['norm']['scale'], dtype=torch.float64), torch.tensor(c['norm']['offset'], dtype=torch.float64))
moved = float((torch.tensor(c['out'], dtype=torch.float64).view_as(rgb) - rgb).abs().max())
corr = float((ours - torch.tensor(c['out'], dtype=torch.float64).view_as(rgb)).abs().max()) / moved
worst = max(worst, corr)
# set 28: the luma plane, the networks' Y thumbnail from it, and the last step with the luma at 1/4 scale
f = got['fine']
W, H = 16 * lw, 16 * lh
scale = torch.tensor(c['norm']['scale'], dtype=torch.float64)
offset = torch.tensor(c['norm']['offset'], dtype=torch.float64)
pixels = torch.tensor(f['pixels'], dtype=torch.float64).view(H, W, 3).permute(2, 0, 1).unsqueeze(0) / 255
plane = fine_luma(pixels, f['factor'], scale[0], offset[0])
rel = lambda a, b: float((a - b).abs().max() / b.abs().max())  # noqa: E731
worst = max(worst, rel(plane.flatten(), torch.tensor(f['plane'], dtype=torch.float64)))
fine4 = torch.tensor(f['plane'], dtype=torch.float64).view(1, 1, 4 * lh, 4 * lw)
worst = max(worst, rel(coarse_luma(fine4, f['factor']).flatten(), torch.tensor(f['coarse'], dtype=torch.float64)))
rgb = torch.tensor(f['rgb'], dtype=torch.float64).view(1, 3, H, W)
targets = torch.tensor(f['targets'], dtype=torch.float64)
luma = targets[:16 * lh * lw].view(1, 1, 4 * lh, 4 * lw)
chroma = targets[16 * lh * lw:].view(1, 2, lh, lw)
ours = make_consistent_fine(rgb, luma, chroma, f['factor'], scale, offset)
theirs = torch.tensor(f['out'], dtype=torch.float64).view_as(rgb)
worst = max(worst, float((ours - theirs).abs().max()) / float((theirs - rgb).abs().max()))
# set 29: the decoder's luma detail input from a 4x plane (the one above) and a 2x one
d = f['detail']
worst = max(worst, rel(luma_detail(fine4, coarse_luma(fine4, 4), 4).flatten(), torch.tensor(d['4'], dtype=torch.float64)))
fine2 = torch.tensor(d['plane2'], dtype=torch.float64).view(1, 1, 2 * lh, 2 * lw)
worst = max(worst, rel(luma_detail(fine2, coarse_luma(fine2, 2), 2).flatten(), torch.tensor(d['2'], dtype=torch.float64)))
if worst > 1e-5:
    sys.exit(f'gsc: the training\'s copy of the station (colour_wire.py, fine_luma_wire.py) differs from it by {worst:.2e} (relative)')
print(f'colour_wire.py, make_consistent and fine_luma_wire.py match the station on {len(cases)} thumbnails, one picture, set 28\'s luma plane and set 29\'s luma detail (largest relative difference {worst:.1e})')
