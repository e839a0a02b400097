"""Packs what a training run on a lent GPU machine needs into one file that fits its 64 MiB transfer limit:
every training photo exactly as common.load_train_images returns it (short side <= cache.max_short_side),
stored as WebP quality 90 (lossy: the raw 1,080 JPEGs are 100 MB), and each photo's channel ranking computed
here from the unrecompressed pixels (the ranking is the slow part of the latent cache: ~25 min on 2 CPU cores).
common.load_train_images reads the pack instead of ../shared/data/train when GSC_TRAIN_PACK names it.
Usage: python3 training/device/pack_device_data.py --config gpu --out .gpudata/train_pack.pkl

Model set 3 (a config with a "latent_codec" section, e.g. v3_gpu) ranks channels on the fly, so its pack holds the
photos alone, and, when the config trains with LPIPS, the LPIPS-squeeze weights go into lpips/ beside the pack
(the machine has no ../shared/data; training/device/device_job_latent.sh puts them where lpips_squeeze.py looks).
Usage: /usr/bin/python3 training/device/pack_device_data.py --config v3_gpu --out .gpudata/latent/pack.pkl"""
import argparse
import io
import os
import pickle
import shutil
import sys

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common


def pack_photos(cfg, quality, rank=None):
    """[{rel, webp[, rank]}] for every photo load_train_images(cfg) returns."""
    photos = []
    for rel, im in common.load_train_images(cfg):
        buf = io.BytesIO()
        Image.fromarray(im).save(buf, 'WEBP', quality=quality, method=6)
        photos.append({'rel': rel, 'webp': buf.getvalue(), **({'rank': rank.get(rel)} if rank is not None else {})})
    return photos


def write_pack(out, quality, cfg, photos):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, 'wb') as f:
        pickle.dump({'quality': quality, 'cache': cfg['cache'], 'photos': photos}, f, protocol=4)


def pack_latent_codec(cfg, a):
    """Set 3: the photos only (no channel rankings: train_latent_codec.py scores channels through its preview as it
    trains), plus the LPIPS weights when the config uses them."""
    photos = pack_photos(cfg, a.quality)
    write_pack(a.out, a.quality, cfg, photos)
    extra = ''
    if cfg['latent_codec'].get('lpips', 0) > 0:
        import lpips_squeeze
        dest = os.path.join(os.path.dirname(os.path.abspath(a.out)), 'lpips')
        os.makedirs(dest, exist_ok=True)
        for name in (lpips_squeeze.NCNN_PARAM, lpips_squeeze.NCNN_BIN, lpips_squeeze.LIN_PTH):
            shutil.copyfile(os.path.join(lpips_squeeze.WEIGHTS_DIR, name), os.path.join(dest, name))
        extra = f"; LPIPS weights in {dest} ({sum(os.path.getsize(os.path.join(dest, n)) for n in os.listdir(dest)) / 1e6:.1f} MB)"
    print(f'{len(photos)} photos, {os.path.getsize(a.out) / 1e6:.1f} MB{extra}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='gpu')
    ap.add_argument('--out', required=True)
    ap.add_argument('--quality', type=int, default=90)
    a = ap.parse_args()
    cfg = common.load_config(a.config)
    if 'latent_codec' in cfg:
        return pack_latent_codec(cfg, a)
    common.setup(cfg)
    import latents
    from nets import Analysis
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
    photos = pack_photos(cfg, a.quality, ranks)
    write_pack(a.out, a.quality, cfg, photos)
    missing = sum(p['rank'] is None for p in photos)
    print(f'{len(photos)} photos, {os.path.getsize(a.out) / 1e6:.1f} MB, {missing} without a cached ranking')


if __name__ == '__main__':
    main()
