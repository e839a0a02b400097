#!/usr/bin/env bash
# Reassembles a snapshot that training/device/device_job_latent.sh (train_latent_codec.py --snapshot) left in FOLDER (the
# folder the device tool returned) into training/runs/CONFIG/latent_codec.pt, checking its size and sha256 against
# snapshot.json, and copies the run's log.jsonl beside it. Then:
#   /usr/bin/python3 training/latent/export_latent_codec.py --config CONFIG --out DIR --replace   (exports the EMA weights to
#   a copy of resources/models for evaluation; an installed set's id is never given other weights there: README, Training)
# and a later device run that carries training/runs/CONFIG resumes from it (train_latent_codec.py --resume).
# Usage: bash training/device/device_unpack_latent.sh FOLDER [CONFIG]   (CONFIG: v5_gpu; the smoke test unpacks v5_smoke)
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${1:?usage: training/device/device_unpack_latent.sh FOLDER [CONFIG] (FOLDER holds snapshot.json and its parts)}
config=${2:-v5_gpu}
"${PY:-python3}" - "$src" "training/runs/$config" "$config" <<'EOF'
import hashlib, json, os, shutil, sys
src, run, config = sys.argv[1:]
index_path = os.path.join(src, 'snapshot.json')
if not os.path.exists(index_path):
    sys.exit(f'device_unpack_latent: {index_path} not found (no snapshot was written, or this is not the returned folder)')
with open(index_path) as f:
    idx = json.load(f)
if idx['config'] != config:
    sys.exit(f"device_unpack_latent: the snapshot in {src} is of config {idx['config']}, not {config}")
missing = [p for p in idx['parts'] if not os.path.exists(os.path.join(src, p))]
if missing:
    sys.exit(f'device_unpack_latent: parts missing from {src}: {", ".join(missing)}')
data = b''.join(open(os.path.join(src, p), 'rb').read() for p in idx['parts'])
digest = hashlib.sha256(data).hexdigest()
if len(data) != idx['bytes'] or digest != idx['sha256']:
    sys.exit(f"device_unpack_latent: reassembled {len(data)} bytes with sha256 {digest[:12]}..., snapshot.json says {idx['bytes']} bytes, {idx['sha256'][:12]}...")
os.makedirs(run, exist_ok=True)
dest = os.path.join(run, idx['file'])
with open(dest + '.tmp', 'wb') as f:
    f.write(data)
os.replace(dest + '.tmp', dest)
if os.path.exists(os.path.join(src, 'log.jsonl')):
    shutil.copyfile(os.path.join(src, 'log.jsonl'), os.path.join(run, 'log.jsonl'))
print(f"device_unpack_latent: {dest} at step {idx['step']} ({len(data) / 1e6:.1f} MB from {len(idx['parts'])} parts; {idx['hardware']})")
EOF
