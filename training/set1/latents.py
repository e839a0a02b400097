"""Latent cache for generator training: y = g_a(x) of every training photo (cropped to multiples of 16),
the per-image channel ranking (channel_select rule), per-channel normalisation statistics, captions."""
import json
import os

import numpy as np
import torch

import common
import tokenizer
from channel_select import rank_channels
from nets import Analysis, channel_layout

SELECTION_RULE = 'ssim-gain-v2'


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
            # keys are relative to ../shared/data/train; tolerate a leading data-folder prefix only
            for prefix in ('../shared/data/train/', 'shared/data/train/', 'data/train/'):
                if key.startswith(prefix):
                    key = key[len(prefix):]
            caps[key] = cap
    return caps


def build_cache(cfg, ga, dev, use_disk=True):
    """Cached on disk under training/data_cache, keyed by a hash of the g_a weights and the selection rule."""
    key = None
    if use_disk:
        import hashlib
        h = hashlib.sha256()
        for k, v in sorted(ga.state_dict().items()):
            h.update(k.encode())
            h.update(v.detach().cpu().numpy().tobytes())
        h.update(SELECTION_RULE.encode())
        key = h.hexdigest()[:16]
        os.makedirs(common.CACHE_DIR, exist_ok=True)
        # a fine-tuning config names the config whose cache (same cache settings, same g_a) it reuses
        path = os.path.join(common.CACHE_DIR, f"latents_{cfg.get('latent_cache', cfg['name'])}_{key}.pt")
        if os.path.exists(path):
            d = torch.load(path)
            return d['items'], d['mean'], d['std']
    items, mean, std = _build(cfg, ga, dev)
    if key:
        torch.save({'items': items, 'mean': mean, 'std': std}, path + '.tmp')
        os.replace(path + '.tmp', path)
    return items, mean, std


@torch.no_grad()
def _build(cfg, ga, dev):
    images = common.load_train_images(cfg)
    pack = common.train_pack()
    packed_rank = {p['rel']: p['rank'] for p in pack['photos']} if pack else {}
    ga.eval()
    items = []
    n = cfg['latent_channels']
    layout = channel_layout(cfg)
    s1, s2, cnt = torch.zeros(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64), 0
    for rel, im in images:
        h, w = (im.shape[0] // 16) * 16, (im.shape[1] // 16) * 16
        x = torch.from_numpy(np.ascontiguousarray(im[:h, :w])).permute(2, 0, 1).float().unsqueeze(0) / 255.0
        y = ga(x.to(dev))[0].cpu()
        order = packed_rank.get(rel) or rank_channels(y.numpy(), x[0].numpy(), layout, cfg['latent_scale'])
        items.append({'rel': rel, 'y': y.half(), 'rank': torch.tensor(order[:16], dtype=torch.long)})
        yd = y.double().flatten(1)
        s1 += yd.sum(1)
        s2 += (yd * yd).sum(1)
        cnt += yd.shape[1]
    mean = s1 / cnt
    std = (s2 / cnt - mean * mean).clamp(min=0).sqrt().clamp(min=1e-3)
    return items, mean.float(), std.float()


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


class CropSampler:
    """Random training crops drawn in one gather: every latent is stored once in a flat [channels, positions]
    tensor on the training device, so a batch costs a few kernels however large it is (a per-sample Python
    loop kept a GPU mostly idle)."""

    def __init__(self, items, crop, dev):
        self.crop, self.dev = crop, dev
        sizes = [tuple(it['y'].shape[1:]) for it in items]
        self.h = torch.tensor([h for h, _ in sizes], dtype=torch.long)
        self.w = torch.tensor([w for _, w in sizes], dtype=torch.long)
        self.offset = torch.cumsum(self.h * self.w, 0) - self.h * self.w
        self.flat = torch.cat([it['y'].flatten(1) for it in items], dim=1).to(dev)
        self.rank = torch.stack([it['rank'][:16] for it in items]).to(dev)
        r = torch.arange(crop)
        self.grid = (r.view(-1, 1), r.view(1, -1))

    def sample(self, rng, n, c_choices):
        """(y [n,channels,crop,crop] float32, mask [n,channels], image indices [n] (cpu)) for random images,
        positions and C values (mask = the top-C ranked channels)."""
        idx = torch.from_numpy(rng.integers(len(self.h), size=n))
        h, w = self.h[idx], self.w[idx]
        oy = (torch.from_numpy(rng.random(n)) * (h - self.crop + 1)).long()
        ox = (torch.from_numpy(rng.random(n)) * (w - self.crop + 1)).long()
        rows, cols = self.grid
        pos = self.offset[idx].view(n, 1, 1) + (oy.view(n, 1, 1) + rows) * w.view(n, 1, 1) + ox.view(n, 1, 1) + cols
        y = self.flat[:, pos.to(self.dev).flatten()].view(-1, n, self.crop, self.crop).permute(1, 0, 2, 3).float()
        c = torch.from_numpy(rng.choice(c_choices, size=n)).to(self.dev)
        on = (torch.arange(16, device=self.dev).view(1, -1) < c.view(-1, 1)).float()
        mask = torch.zeros(n, self.flat.shape[0], device=self.dev).scatter_(1, self.rank[idx.to(self.dev)], on)
        return y.contiguous(), mask, idx
