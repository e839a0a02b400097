"""A finished CPU run's checkpoint as the EMA-only snapshot a device run brings back (train_latent_codec.write_snapshot:
parts of at most 15 MB, snapshot.json with size and sha256), small enough to commit, so a later session resumes the
run instead of training it again: `bash training/device/device_unpack_latent.sh FOLDER CONFIG` reassembles it into
training/runs/CONFIG/latent_codec.pt (checked), a start for --init-from or --resume. The optimiser state is left out
(a snapshot resumes with a fresh one, as after a device run).
Usage: /usr/bin/python3 training/latent/snapshot_checkpoint.py --checkpoint training/runs/CONFIG/latent_codec.pt --out training/checkpoints/CONFIG"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)
from train_latent_codec import write_snapshot  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    if not os.path.exists(a.checkpoint):
        sys.exit(f'gsc: {a.checkpoint}: no such checkpoint')
    ck = torch.load(a.checkpoint, map_location='cpu')
    if 'ema' not in ck or 'config' not in ck:
        sys.exit(f'gsc: {a.checkpoint}: not a train_latent_codec.py checkpoint (no EMA weights or config)')
    snap = {k: ck[k] for k in ('config', 'step', 'ema', 'disc', 'rng', 'torch_rng', 'log_tail', 'hardware') if k in ck}
    snap['snapshot'] = True
    log = os.path.join(os.path.dirname(a.checkpoint), 'log.jsonl')
    write_snapshot(a.out, snap, log)
    print(f"snapshot of {ck['config']['name']} at step {ck['step']} written to {a.out}")


if __name__ == '__main__':
    main()
