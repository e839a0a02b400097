"""A post-filter checkpoint on whole pictures from make_pairs.ts (the tuning photos' pairs, made with --tuning 1): per C
the means of MS-SSIM, CIEDE2000, blockiness, LPIPS-squeeze and PSNR (and the false texture's median) of the filtered picture and of the station's, the
paired difference with a 95 % bootstrap interval for MS-SSIM, and the photos whose MS-SSIM fell. The pictures are
8-bit as the station writes them; the filter's output is rounded to 8 bits too.
Usage: /usr/bin/python3 training/postfilter/eval_postfilter.py PAIRS CKPT [--raw] [--out F.json]"""
import argparse
import json
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)
from msssim import msssim  # noqa: E402
from perceptual_metrics import blockiness, colour_error  # noqa: E402
from lpips_squeeze import load_lpips_squeeze  # noqa: E402
from postfilter import from_checkpoint  # noqa: E402
from train_postfilter import CS, STATION_PICTURE, false_texture  # noqa: E402
from PIL import Image  # noqa: E402


def tensor(path):
    return torch.from_numpy(np.asarray(Image.open(path).convert('RGB')).copy()).permute(2, 0, 1)[None].float() / 255


def metrics(x, y, lp):
    mse = ((x - y) ** 2).mean().item()
    return {'msssim': msssim(x, y, floor=0).item(), 'ciede2000': colour_error(x, y).item(), 'blockiness': blockiness(x).item(),
            'lpips': lp(x, y).item(), 'psnr': 10 * np.log10(1 / max(mse, 1e-12)), 'false_texture': false_texture(x, y).item()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('pairs')
    ap.add_argument('ckpt')
    ap.add_argument('--raw', action='store_true', help='the trained weights, not their EMA')
    ap.add_argument('--out')
    a = ap.parse_args()
    torch.set_num_threads(2)
    state = torch.load(a.ckpt)
    net = from_checkpoint(state, raw=a.raw)
    lp = load_lpips_squeeze()
    names = sorted(f[:-4] for f in os.listdir(a.pairs) if f.endswith('.png') and not STATION_PICTURE.search(f))
    rows = []
    with torch.no_grad():
        for name in names:
            y = tensor(os.path.join(a.pairs, f'{name}.png'))
            for c in CS:
                x = tensor(os.path.join(a.pairs, f'{name}_c{c}.png'))
                f = (net(x, torch.tensor([c])).clamp(0, 1) * 255).round() / 255
                rows.append({'photo': name, 'c': c, 'station': metrics(x, y, lp), 'filtered': metrics(f, y, lp)})
    rng = random.Random(0)
    print(f'{len(names)} photos, step {state["step"]}')
    print('C  msssim station / filtered  d [95% CI]         dE00 d   blockiness filt (d)   lpips d   psnr d   false texture median station / filt   lower')
    for c in CS:
        r = [x for x in rows if x['c'] == c]
        d = {k: np.array([x['filtered'][k] - x['station'][k] for x in r]) for k in r[0]['station']}
        boots = sorted(np.mean(rng.choices(list(d['msssim']), k=len(r))) for _ in range(2000))
        mean = lambda k, side: np.mean([x[side][k] for x in r])  # noqa: E731
        print(f"{c:2d} {mean('msssim', 'station'):.4f} / {mean('msssim', 'filtered'):.4f}  {d['msssim'].mean():+.4f} [{boots[50]:+.4f}, {boots[1949]:+.4f}]"
              f"  {d['ciede2000'].mean():+.3f}   {mean('blockiness', 'filtered'):.3f} ({d['blockiness'].mean():+.3f})"
              f"   {d['lpips'].mean():+.4f}  {d['psnr'].mean():+.3f}   {np.median([x['station']['false_texture'] for x in r]):.3f} / {np.median([x['filtered']['false_texture'] for x in r]):.3f}"
              f"   {int((d['msssim'] < 0).sum())}/{len(r)}")
    if a.out:
        json.dump(rows, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
