# Does decoder_v27's luma beat a plain upsampler of the same thumbnail on MS-SSIM?
import sys, glob, os, numpy as np, torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'metrics'))
from msssim import msssim
from guided import *
import torch.nn.functional as F
def ms(a, b):
    t = lambda z: torch.from_numpy(z.transpose(2,0,1)[None].copy()).float()
    return float(msssim(t(a), t(b), floor=0)[0])
def plain(dec, s, kind='bicubic', iters=3):
    H, W = dec.shape[:2]; d = pad16(dec); a = d @ M.T
    Y = a[...,0]; Yt = winavg(Y, s)
    t = torch.from_numpy(Yt)[None,None]
    Yu = F.interpolate(t, scale_factor=s, mode=kind, align_corners=False)[0,0].numpy()
    for _ in range(iters): Yu = Yu + up(Yt - winavg(Yu, s), s)
    a[...,0] = Yu
    return np.clip(a @ Minv.T, 0, 1)[:H,:W]
s = int(sys.argv[3]); rows=[]
for f in sorted(glob.glob(sys.argv[2]+'/*.png')):
    n = os.path.splitext(os.path.basename(f))[0]
    x, d = load(glob.glob(sys.argv[1]+'/'+n+'.*')[0]), load(f)
    rows.append([ms(d,x), ms(plain(d,s,'bilinear',0),x), ms(plain(d,s,'bicubic',0),x), ms(plain(d,s,'bicubic',3),x)])
print('dec, bilinear, bicubic, bicubic+proj3'); print('MEAN', ' '.join('%.4f'%v for v in np.mean(rows,0)))
