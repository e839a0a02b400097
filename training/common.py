"""Shared training plumbing: config, seeds, threads, paths, training-image loading."""
import glob
import json
import os
import pickle
import random
import sys

import numpy as np
import torch
from PIL import Image

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TRAINING_DIR)
DATA_ROOT = os.path.normpath(os.path.join(REPO_ROOT, '..', 'shared', 'data'))
TRAIN_DIR = os.path.join(DATA_ROOT, 'train')
KODAK_DIR = os.path.join(DATA_ROOT, 'kodak')
CACHE_DIR = os.path.join(TRAINING_DIR, 'data_cache')
RUNS_DIR = os.path.join(TRAINING_DIR, 'runs')
MODELS_DIR = os.path.join(REPO_ROOT, 'resources', 'models')
CAPTIONS_FILE = os.path.join(TRAINING_DIR, 'data', 'train_captions.jsonl')


def load_config(name_or_path):
    """A config that names "fine_tune_of" holds only what differs from that config (sections merged key by
    key); it shares the parent's latent cache unless it names its own "latent_cache"."""
    path = name_or_path if name_or_path.endswith('.json') else os.path.join(TRAINING_DIR, 'configs', name_or_path + '.json')
    with open(path) as f:
        cfg = json.load(f)
    parent = cfg.get('fine_tune_of')
    if not parent:
        return cfg
    base = load_config(parent)
    merged = {k: v for k, v in base.items() if k != 'fine_tune_of'}
    merged['latent_cache'] = base.get('latent_cache', base['name'])
    for k, v in cfg.items():
        merged[k] = {**base[k], **v} if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return merged


def setup(cfg):
    """Fixed seeds, thread count and device; returns the torch device."""
    seed = int(cfg['seed'])
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(int(cfg.get('threads', 2)))
    # TF32 matmuls/convolutions on CUDA (ignored on CPU): the networks train in float32 and need no more
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    dev = cfg.get('device', 'cpu')
    if dev == 'cuda' and not torch.cuda.is_available():
        print('config asks for cuda but no CUDA device is available; using cpu', file=sys.stderr)
        dev = 'cpu'
    return torch.device(dev)


def run_dir(cfg):
    d = os.path.join(RUNS_DIR, cfg['name'])
    os.makedirs(d, exist_ok=True)
    return d


def hardware_string(device):
    if device.type == 'cuda':
        return f'GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}'
    model = 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'CPU: {model} x{torch.get_num_threads()} threads, torch {torch.__version__}'


def list_train_files():
    if not os.path.isdir(TRAIN_DIR):
        sys.exit(f'training data not found at {TRAIN_DIR} (see DESIGN.md: ../shared/data/train)')
    exts = ('.jpg', '.jpeg', '.png')
    files = [p for p in glob.glob(os.path.join(TRAIN_DIR, '**', '*'), recursive=True) if p.lower().endswith(exts)]
    return sorted(os.path.relpath(p, TRAIN_DIR) for p in files)


def load_rgb(path):
    return np.asarray(Image.open(path).convert('RGB'), dtype=np.uint8)


_PACK = None


def train_pack():
    """The packed training photos (training/device/pack_device_data.py) named by GSC_TRAIN_PACK, or None.
    A lent GPU machine has no ../shared/data; the pack carries the photos and their channel rankings there."""
    path = os.environ.get('GSC_TRAIN_PACK')
    if not path:
        return None
    global _PACK
    if _PACK is None:
        with open(path, 'rb') as f:
            _PACK = pickle.load(f)
    return _PACK


def train_pack_note():
    """How the photos reached this run when they came from a pack (recorded with the checkpoint), else None."""
    pack = train_pack()
    return None if pack is None else f"packed by training/device/pack_device_data.py as WebP quality {pack['quality']} (short side <= {pack['cache']['max_short_side']})"


def decode_webp(data):
    """uint8 HxWx3 from WebP bytes: Pillow, or OpenCV where this Pillow was built without WebP."""
    import io
    try:
        return np.asarray(Image.open(io.BytesIO(data)).convert('RGB'), dtype=np.uint8)
    except OSError:
        import cv2
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return np.ascontiguousarray(bgr[:, :, ::-1])


def load_train_images(cfg):
    """All training photos as uint8 HxWx3, resized (Lanczos) so the short side <= max_short_side.
    Cached as a pickle under training/data_cache so later runs skip JPEG decoding."""
    c = cfg['cache']
    pack = train_pack()
    if pack is not None:
        if pack['cache'] != c:
            sys.exit(f"GSC_TRAIN_PACK was packed for cache settings {pack['cache']}, this config has {c}")
        return [(p['rel'], decode_webp(p['webp'])) for p in pack['photos']]
    max_images = cfg.get('max_images')
    key = f"train_{c['max_short_side']}_{c['min_side']}_{max_images or 'all'}.pkl"
    os.makedirs(CACHE_DIR, exist_ok=True)
    path = os.path.join(CACHE_DIR, key)
    if os.path.exists(path):
        with open(path, 'rb') as f:
            return pickle.load(f)
    files = list_train_files()
    if max_images:
        files = files[:: max(1, len(files) // max_images)][:max_images]
    out = []
    for rel in files:
        im = Image.open(os.path.join(TRAIN_DIR, rel)).convert('RGB')
        w, h = im.size
        if min(w, h) < c['min_side']:
            continue
        s = min(w, h)
        if s > c['max_short_side']:
            r = c['max_short_side'] / s
            im = im.resize((max(16, round(w * r)), max(16, round(h * r))), Image.LANCZOS)
        out.append((rel, np.asarray(im, dtype=np.uint8)))
    with open(path, 'wb') as f:
        pickle.dump(out, f, protocol=4)
    return out


def pad16(x):
    """Edge-replicate padding of a [B,3,H,W] tensor to multiples of 16 (what the codec does)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % 16, (-w) % 16
    if ph == 0 and pw == 0:
        return x
    return torch.nn.functional.pad(x, (0, pw, 0, ph), mode='replicate')
