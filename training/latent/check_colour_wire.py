"""Checks the training's simulation of set 22's station against the station's code (check_colour_wire.ts): the
colour thumbnail's wire (colour_wire.py) and the last step (wire_training.make_consistent) must give what the station
gives for the same random input, within float32 rounding. Usage: /usr/bin/python3 training/latent/check_colour_wire.py"""
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
if worst > 1e-5:
    sys.exit(f'gsc: colour_wire.py differs from the station by {worst:.2e} (relative)')
print(f'colour_wire.py and make_consistent match the station on {len(cases)} thumbnails and one picture (largest relative difference {worst:.1e})')
