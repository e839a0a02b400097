"""Rebuild a training checkpoint of an installed learned model set (3, 4, 5 or 24) from its committed ONNX files, so a
fresh checkout can fine-tune from it (`train_latent_codec.py --config X --init-from OUT`): the checkpoints under
training/runs are not committed (tens of MB each, per session), the ONNX files and the manifest are.

What comes back: g_a, the decoder and the caption encoder exactly (every weight is an ONNX initializer of the same
name; the decoder's mask layer is stored transposed, as a MatMul), then checked against the shipped files in
onnxruntime-node as export_latent_codec.py checks an export; the selection preview from the manifest's patterns (its
bias, not exported, refitted on training photos: the preview loss trains it on anyway). What does not: the
discriminator, the optimiser state and the random streams (a run started with --init-from begins those afresh).
Usage: /usr/bin/python3 training/latent/checkpoint_from_onnx.py --config v5_cpu [--models resources/models] [--out PATH]"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import common  # noqa: E402
from export_latent_codec import onnx_check, set_model_ids  # noqa: E402
from latent_codec import LATENT_CHANNELS, PREVIEW, fixed_channels, ycc_planes  # noqa: E402
from latent_codec import without_gain  # noqa: E402
from train_latent_codec import build  # noqa: E402

# ONNX initializer -> state-dict key where torch.onnx.export renamed it, and how to turn it back
RENAMED = {'decoder': {'in_m.weight': lambda inits: next(v.T for k, v in inits.items() if k.startswith('onnx::MatMul') and v.shape == (LATENT_CHANNELS, v.shape[1]))}}


def load_onnx_weights(net, role, path):
    """net's state dict from the ONNX file's initializers (refuses a missing or misshapen one in one line)."""
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(path).graph.initializer}
    sd = net.state_dict()
    for k, v in sd.items():
        if k.endswith('num_batches_tracked'):
            continue
        w = inits[k] if k in inits else RENAMED.get(role, {}).get(k, lambda _: None)(inits)
        if w is None or tuple(w.shape) != tuple(v.shape):
            sys.exit(f'gsc: {path}: no initializer for {role}.{k} {tuple(v.shape)}')
        sd[k] = w.to(v.dtype)
    net.load_state_dict(sd)


def fit_preview_bias(nets, cfg, photos=8):
    """The preview's bias (3 values, not exported): the mean residual of its YCbCr 4x4 means on training photos."""
    files = common.list_train_files()[:photos]
    total, count = torch.zeros(3), 0
    with torch.no_grad():
        for f in files:
            x = common.pad16(torch.from_numpy(common.load_rgb(os.path.join(common.TRAIN_DIR, f))).permute(2, 0, 1)[None].float() / 255)
            y = nets['g_a'](x)
            target = F.avg_pool2d(ycc_planes(x), 4)
            pred = nets['preview'](without_gain(cfg, y))  # the preview sees y as training shows it (without the colour gain)
            total += (target - pred).mean((0, 2, 3))
            count += 1
    nets['preview'].up.bias.data.copy_(total / count)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', required=True, help='the config the set was trained with, e.g. v5_cpu')
    ap.add_argument('--models', default=common.MODELS_DIR)
    ap.add_argument('--out', help='default: training/runs/<config>/from_onnx.pt')
    a = ap.parse_args()
    full = common.load_config(a.config)
    cfg = full['latent_codec']
    IDS = set_model_ids(full)  # a decoder-only set (24): set 5's g_a and caption encoder, its own decoder
    with open(os.path.join(a.models, 'manifest.json')) as f:
        manifest = json.load(f)
    missing = [m for m in IDS.values() if m not in manifest['models']]
    if missing:
        sys.exit(f"gsc: {a.models}: model set {full['model_id']} is not installed (missing {', '.join(missing)})")
    files = {mid: os.path.join(a.models, manifest['models'][mid]['file']) for mid in IDS.values()}
    torch.set_num_threads(int(full.get('threads', 2)))
    nets = build(cfg)
    for role, mid in (('g_a', IDS['g_a']), ('decoder', IDS['decoder']), ('caption', IDS['caption_encoder'])):
        load_onnx_weights(nets[role], role, files[mid])
    # the manifest's patterns carry 1/colour_gain on the fixed channels (export_latent_codec.py): take it out again
    patterns = torch.tensor(manifest['models'][IDS['g_a']]['latent']['patterns'], dtype=torch.float32)
    patterns[:fixed_channels(cfg)] *= float(cfg.get('colour_gain', 1.0))
    nets['preview'].up.weight.data.copy_(patterns.view(LATENT_CHANNELS, 3, PREVIEW, PREVIEW))
    for v in nets.values():
        v.eval()
    diffs = onnx_check(nets, cfg, IDS, files)  # the rebuilt networks compute what the shipped files compute
    fit_preview_bias(nets, cfg)
    steps = manifest['models'][IDS['decoder']].get('steps', 0)
    state = {k: v.state_dict() for k, v in nets.items()}
    out = a.out or os.path.join(common.run_dir(full), 'from_onnx.pt')
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.save({'config': full, 'step': steps, 'ema': state, 'from_onnx': {'files': files, 'check': diffs}}, out)
    print(f"rebuilt model set {full['model_id']} (step {steps}) from {a.models} into {out}", flush=True)


if __name__ == '__main__':
    main()
