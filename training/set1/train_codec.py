"""Train g_a / g_s end-to-end: MSE(g_s(g_a(x) + U(-0.5, 0.5)), x) on random crops of ../shared/data/train.
The additive uniform noise is the usual differentiable stand-in for rounding at quantisation step 1.
Usage: python3 training/set1/train_codec.py --config cpu [--steps N]"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
from nets import Analysis, Synthesis


def random_batch(images, n, crop, rng):
    out = np.empty((n, crop, crop, 3), dtype=np.uint8)
    for i in range(n):
        _, im = images[rng.integers(len(images))]
        h, w = im.shape[:2]
        y, x = rng.integers(h - crop + 1), rng.integers(w - crop + 1)
        out[i] = im[y:y + crop, x:x + crop]
    return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255.0


def save(ckpt, ga, gs, steps, dev, images, cfg):
    torch.save({'g_a': ga.state_dict(), 'g_s': gs.state_dict(), 'steps': steps, 'hardware': common.hardware_string(dev),
                'images': len(images), 'config': cfg, 'pack': common.train_pack_note()}, ckpt + '.tmp')
    os.replace(ckpt + '.tmp', ckpt)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='cpu')
    ap.add_argument('--steps', type=int)
    ap.add_argument('--resume', action='store_true', help='continue from the run directory checkpoint')
    ap.add_argument('--max-minutes', type=float, help='stop (and save) after this much wall time')
    a = ap.parse_args()
    cfg = common.load_config(a.config)
    dev = common.setup(cfg)
    c = cfg['codec']
    steps = a.steps or c['steps']
    images = [im for im in common.load_train_images(cfg) if min(im[1].shape[:2]) >= c['crop']]
    print(f'codec: {len(images)} training images, {steps} steps, batch {c["batch"]}, crop {c["crop"]}, device {dev}', flush=True)
    ga, gs = Analysis(cfg).to(dev), Synthesis(cfg).to(dev)
    out = common.run_dir(cfg)
    ckpt = os.path.join(out, 'codec.pt')
    done = 0
    if a.resume and os.path.exists(ckpt):
        st = torch.load(ckpt, map_location=dev)
        ga.load_state_dict(st['g_a'])
        gs.load_state_dict(st['g_s'])
        done = st['steps']
    # train_analysis false: g_a stays the fixed DCT transform it was initialised as (so the generator can
    # be trained on its latents at the same time); only g_s learns.
    train_ga = c.get('train_analysis', True)
    if not train_ga:
        ga.requires_grad_(False)
    transform_params = ([ga.transform.weight] if train_ga else []) + [gs.transform.weight]
    other = [p for p in (list(ga.parameters()) if train_ga else []) + list(gs.parameters()) if all(p is not q for q in transform_params)]
    opt = torch.optim.Adam([{'params': transform_params, 'lr': c['lr_transform']}, {'params': other, 'lr': c['lr_deblock']}])
    if done == 0:
        save(ckpt, ga, gs, 0, dev, images, cfg)
    rng = np.random.default_rng(cfg['seed'] + done)
    t0 = time.time()
    ema = None
    for step in range(1, steps + 1):
        x = random_batch(images, c['batch'], c['crop'], rng).to(dev)
        y = ga(x)
        y_noisy = y + (torch.rand_like(y) - 0.5)
        x_hat = gs(y_noisy)
        loss = torch.mean((x_hat - x) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % c['log_every'] == 0 or step == steps:
            psnr = 10 * np.log10(1.0 / max(ema, 1e-10))
            print(f'codec step {done + step} loss {ema:.6f} (~{psnr:.2f} dB train) {time.time() - t0:.0f}s', flush=True)
        if a.max_minutes and time.time() - t0 >= a.max_minutes * 60:
            print(f'codec: time limit reached at step {done + step}', flush=True)
            break
        if step % c.get('save_every', 50) == 0 and step < steps:
            save(ckpt, ga, gs, done + step, dev, images, cfg)
    total = done + step
    save(ckpt, ga, gs, total, dev, images, cfg)
    with open(os.path.join(out, 'codec_train.json'), 'w') as f:
        json.dump({'steps': total, 'final_train_mse_ema': ema, 'seconds': time.time() - t0, 'hardware': common.hardware_string(dev), 'images': len(images)}, f, indent=1)
    print(f'saved {ckpt}', flush=True)


if __name__ == '__main__':
    main()
