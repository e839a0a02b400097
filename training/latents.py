"""Latent cache for generator training: y = g_a(x) of every training photo (cropped to multiples of 16),
the per-image channel ranking (channel_select rule), per-channel normalisation statistics, captions."""
import json
import os

import numpy as np
import torch

import common
import tokenizer
from channel_select import luma_thumbnail, rank_channels
from nets import Analysis


def load_captions():
    """training/data/train_captions.jsonl (written by our built-in captioner), keyed by path relative to
    ../shared/data/train. Returns {} when the file does not exist yet."""
    if not os.path.exists(common.CAPTIONS_FILE):
        return {}
    caps = {}
    with open(common.CAPTIONS_FILE) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            key = r.get('file') or r.get('path') or r.get('image') or r.get('id')
            cap = r.get('caption') or r.get('text')
            if key is None or cap is None:
                continue
            key = key.replace('\\', '/')
            for prefix in ('../shared/data/train/', 'shared/data/train/', 'data/train/', 'train/'):
                if prefix in key:
                    key = key.split(prefix, 1)[1]
            caps[key] = cap
    return caps


@torch.no_grad()
def build_cache(cfg, ga, dev):
    images = common.load_train_images(cfg)
    ga.eval()
    items = []
    for rel, im in images:
        h, w = (im.shape[0] // 16) * 16, (im.shape[1] // 16) * 16
        x = torch.from_numpy(np.ascontiguousarray(im[:h, :w])).permute(2, 0, 1).float().unsqueeze(0) / 255.0
        y = ga(x.to(dev))[0].cpu()
        order = rank_channels(y.numpy(), luma_thumbnail(x[0].numpy()))
        items.append({'rel': rel, 'y': y.half(), 'rank': torch.tensor(order[:16], dtype=torch.long)})
    allv = torch.cat([it['y'].float().flatten(1) for it in items], dim=1)
    mean = allv.mean(1)
    std = allv.std(1).clamp(min=1e-3)
    return items, mean, std


def caption_tokens(cfg, items, captions, vocab_tokens):
    g = cfg['generator']
    ids = torch.zeros(len(items), g['max_tokens'], dtype=torch.long)
    mask = torch.zeros(len(items), g['max_tokens'])
    has = torch.zeros(len(items), dtype=torch.bool)
    for i, it in enumerate(items):
        cap = captions.get(it['rel'].replace(os.sep, '/'))
        if cap is None:
            continue
        a, m = tokenizer.encode(cap, vocab_tokens, g['max_tokens'])
        ids[i] = torch.tensor(a)
        mask[i] = torch.tensor(m)
        has[i] = True
    return ids, mask, has
