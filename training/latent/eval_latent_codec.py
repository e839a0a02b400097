"""Look at a set-3 or set-4 checkpoint during training, in PyTorch (no entropy coder): for each image and C, the rule's top-C
channels quantised at a fixed step, decoded with seed 0 noise; prints PSNR, MS-SSIM, ΔE00 (1/8 scale) and
blockiness per C, and writes one PNG sheet per image (original, then C = 1, 4, 16). For watching a run, not for
choosing or reporting: the station's numbers come from `gsc bench` through the real encoder and decoder.
Usage: /usr/bin/python3 training/latent/eval_latent_codec.py --config v3_cpu IMAGE [IMAGE ...] [--out DIR] [--ckpt PATH]"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
import tokenizer
from channel_rule import channel_scores, top_masks
from latent_codec import noise_channels
from msssim import msssim
from perceptual_metrics import blockiness, colour_error
from latent_codec import without_gain
from train_latent_codec import CKPT, forced_first, load_ema

# steps the wire's step rule picks for a 768x512 photo at each C (a typical choice; the bench uses the real rule)
STEP_FOR_C = {1: 32, 2: 32, 4: 32, 8: 48, 16: 48}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='v3_cpu')
    ap.add_argument('--ckpt')
    ap.add_argument('--out', default='/tmp/v3_eval')
    ap.add_argument('--caption', default='')
    ap.add_argument('--step', type=float, help='one quantisation step for every C instead of STEP_FOR_C')
    ap.add_argument('images', nargs='+')
    a = ap.parse_args()
    full = common.load_config(a.config)
    cfg = full['latent_codec']
    steps = {c: a.step for c in STEP_FOR_C} if a.step else STEP_FOR_C
    torch.set_num_threads(1)
    ck = torch.load(a.ckpt or os.path.join(common.run_dir(full), CKPT), map_location='cpu')
    nets = load_ema(cfg, ck)
    vocab = tokenizer.load_vocab(os.path.join(common.MODELS_DIR, 'caption_vocab.json'))
    ids, m = tokenizer.encode(a.caption, vocab['tokens'], vocab['maxTokens'])
    os.makedirs(a.out, exist_ok=True)
    rows = []
    with torch.no_grad():
        cap = nets['caption'](torch.tensor([ids]), torch.tensor([m])) * (1.0 if a.caption else 0.0)
        for path in a.images:
            x = torch.from_numpy(np.asarray(Image.open(path).convert('RGB'), dtype=np.float32) / 255).permute(2, 0, 1)[None]
            H, W = x.shape[-2:]
            x = x[..., : H // 16 * 16, : W // 16 * 16]
            y = nets['g_a'](x)
            scores = forced_first(cfg, channel_scores(without_gain(cfg, y), x, nets['preview'].patterns()))
            g = torch.Generator().manual_seed(0)
            noise = torch.randn(1, noise_channels(cfg), *y.shape[-2:], generator=g)
            panels = [x]
            for c, step in steps.items():
                mask = top_masks(scores, torch.tensor([c]))
                q = torch.sign(y) * torch.floor(y.abs() / step + 0.5) * step * mask.view(1, -1, 1, 1)
                xh = nets['decoder'](q, mask, cap, torch.tensor([float(np.log2(step))]), noise).clamp(0, 1)
                xq = torch.round(xh * 255) / 255
                mse = float(((xq - x) ** 2).mean())
                rows.append({'image': os.path.basename(path), 'C': c, 'step': step, 'psnr': round(10 * np.log10(1 / max(mse, 1e-10)), 2),
                             'msssim': round(float(msssim(xq, x, floor=0)[0]), 4), 'ciede2000': round(float(colour_error(xq, x)[0]), 2),
                             'blockiness': round(float(blockiness(xq)[0]), 3), 'zeros': round(float((q[mask.bool().view(1, -1)] == 0).float().mean()), 2) if c else None})
                print(json.dumps(rows[-1]), flush=True)
                if c in (1, 4, 16):
                    panels.append(xq)
            sheet = torch.cat(panels, dim=-1)[0].permute(1, 2, 0).numpy()
            Image.fromarray((sheet * 255).round().astype(np.uint8)).save(os.path.join(a.out, os.path.splitext(os.path.basename(path))[0] + f"_s{ck['step']}.png"))
    for c in steps:
        r = [x for x in rows if x['C'] == c]
        print(f"C={c}: " + ', '.join(f"{k} {np.mean([x[k] for x in r]):.3f}" for k in ('psnr', 'msssim', 'ciede2000', 'blockiness')))


if __name__ == '__main__':
    main()
