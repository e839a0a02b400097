"""Packs what a training run on a lent GPU machine needs into one file that fits its 64 MiB transfer limit:
every training photo exactly as common.load_train_images returns it (short side <= cache.max_short_side),
stored as WebP quality 90 (lossy: the raw 1,080 JPEGs are 100 MB), and each photo's channel ranking computed
here from the unrecompressed pixels (the ranking is the slow part of the latent cache: ~25 min on 2 CPU cores).
common.load_train_images reads the pack instead of ../shared/data/train when GSC_TRAIN_PACK names it.
Usage: python3 training/pack_device_data.py --config gpu --out .gpudata/train_pack.pkl"""
import argparse
import io
import os
import pickle
import sys

import torch
from PIL import Image

import common
import latents
from nets import Analysis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='gpu')
    ap.add_argument('--out', required=True)
    ap.add_argument('--quality', type=int, default=90)
    a = ap.parse_args()
    cfg = common.load_config(a.config)
    common.setup(cfg)
    # The ranking depends on g_a. Every config starts from the same fixed DCT g_a and none trains it
    # (train_analysis false), so the rankings are those of a fresh g_a; a config that trained g_a would need
    # them recomputed on the device. The latent cache is keyed by config name and g_a hash: with the same
    # cache settings the CPU config's cache holds exactly these latents, so it is reused when present.
    if cfg['codec'].get('train_analysis', True):
        sys.exit('pack_device_data: this config trains g_a, so rankings made here would not match its latents')
    cpu = common.load_config('cpu')
    same_photos = cpu['cache'] == cfg['cache'] and not cpu.get('max_images')
    items, _, _ = latents.build_cache(dict(cfg, latent_cache='cpu') if same_photos else cfg, Analysis(cfg), torch.device('cpu'))
    ranks = {it['rel']: it['rank'].tolist() for it in items}
    photos = []
    for rel, im in common.load_train_images(cfg):
        buf = io.BytesIO()
        Image.fromarray(im).save(buf, 'WEBP', quality=a.quality, method=6)
        photos.append({'rel': rel, 'webp': buf.getvalue(), 'rank': ranks.get(rel)})
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, 'wb') as f:
        pickle.dump({'quality': a.quality, 'cache': cfg['cache'], 'photos': photos}, f, protocol=4)
    missing = sum(p['rank'] is None for p in photos)
    print(f'{len(photos)} photos, {os.path.getsize(a.out) / 1e6:.1f} MB, {missing} without a cached ranking')


if __name__ == '__main__':
    main()
