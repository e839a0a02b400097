"""Session 41 probe: a post-filter checkpoint's residual smoothed by a fixed 3x3 binomial kernel before it is added
(out = x + blur(f(x) - x)), against the residual as trained, on held-out pairs (make_pairs.ts --tuning 1): per C the
MS-SSIM gain of each, the false texture's median (station, filtered, filtered with the smoothed residual), and the
smoothed one's ΔE00 change and blockiness. Why: set 34's filter drew a faint 2-px pattern (its false texture); does
removing that period keep its structure? (docs/bench/latent-codec/ship-rule-set35.md)
Usage: /usr/bin/python3 training/postfilter/residual_blur_probe.py PAIRS CKPT"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)
from postfilter import from_checkpoint  # noqa: E402
from train_postfilter import CS, STATION_PICTURE, false_texture  # noqa: E402
from msssim import msssim  # noqa: E402
from perceptual_metrics import blockiness, colour_error  # noqa: E402
from PIL import Image  # noqa: E402
torch.set_num_threads(1)
d, ckpt = sys.argv[1], sys.argv[2]
net = from_checkpoint(torch.load(ckpt))
k1 = torch.tensor([1., 2., 1.]); k = (k1[:, None] * k1[None, :]) / 16
K = k.view(1, 1, 3, 3).repeat(3, 1, 1, 1)
def t(p): return torch.from_numpy(np.asarray(Image.open(p).convert('RGB')).copy()).permute(2,0,1)[None].float()/255
names = sorted(f[:-4] for f in os.listdir(d) if f.endswith('.png') and not STATION_PICTURE.search(f))
for c in CS:
    rows=[]
    for n in names:
        y=t(f'{d}/{n}.png'); x=t(f'{d}/{n}_c{c}.png')
        with torch.no_grad():
            f=net(x, torch.tensor([c]))
            r=f-x
            rb=F.conv2d(F.pad(r,(1,1,1,1),mode='replicate'),K,groups=3)
            fb=(x+rb).clamp(0,1); f=f.clamp(0,1)
            q=lambda z:(z*255).round()/255
            fb,f=q(fb),q(f)
            rows.append([msssim(f,y,floor=0).item()-msssim(x,y,floor=0).item(), msssim(fb,y,floor=0).item()-msssim(x,y,floor=0).item(),
                         false_texture(x,y).item(), false_texture(f,y).item(), false_texture(fb,y).item(),
                         colour_error(fb,y).item()-colour_error(x,y).item(), blockiness(fb).item()])
    a=np.array(rows)
    print(c, 'dMS f %+.4f fb %+.4f' % (a[:,0].mean(), a[:,1].mean()), 'FT med x %.3f f %.3f fb %.3f' % tuple(np.median(a[:,2:5],0)), 'dE fb %+.3f blk fb %.3f' % (a[:,5].mean(), a[:,6].mean()))
