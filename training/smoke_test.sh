#!/usr/bin/env bash
# CI smoke test of the training code: a few codec and generator steps on tiny crops of a handful of
# training images (configs/smoke.json), ONNX export to a temp dir (checked against PyTorch in
# onnxruntime-node by export_onnx.py), then a real load + run of every exported model in onnxruntime-node.
# Fails loudly (non-zero exit) if any step breaks. Needs /usr/bin/python3 with torch + onnx (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
if ! "$PY" -c 'import torch, onnx' 2>/dev/null; then
  echo "training smoke test: FAILED - $PY cannot import torch and onnx (install python3-torch python3-onnx, see scripts/setup.sh)" >&2
  exit 1
fi
if [ ! -d ../shared/data/train ]; then
  echo "training smoke test: SKIPPED - training images not found at ../shared/data/train" >&2
  exit 0
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT" training/runs/smoke training/runs/smoke_ft' EXIT
start=$(date +%s)
echo "training smoke test: codec steps"
"$PY" training/train_codec.py --config smoke
echo "training smoke test: generator steps"
"$PY" training/train_generator.py --config smoke
echo "training smoke test: the detector's PyTorch copy (a training loss) against onnxruntime-node"
"$PY" training/detector_torch.py
echo "training smoke test: fine-tuning steps with the detector loss (start from the smoke run's checkpoints)"
ft_log=$("$PY" training/train_generator.py --config smoke_ft --resume)
echo "$ft_log"
grep -q 'resumed at step 3' <<<"$ft_log" || { echo "training smoke test: FAILED - fine-tuning did not start from the smoke run" >&2; exit 1; }
grep -Eq 'detector [0-9.]*[1-9]' <<<"$ft_log" || { echo "training smoke test: FAILED - the detector loss was not computed" >&2; exit 1; }
echo "training smoke test: paired bootstrap reproduces the committed Kodak comparison"
"$PY" training/paired_bootstrap.py docs/bench/generator/kodak_conditions.json --json "$OUT/bootstrap.json" > /dev/null
"$PY" -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:]); sys.exit(0 if a == b else "training smoke test: FAILED - paired bootstrap differs from docs/bench/generator/bootstrap_kodak_conditions.json")' \
  "$OUT/bootstrap.json" docs/bench/generator/bootstrap_kodak_conditions.json
echo "training smoke test: export to $OUT"
"$PY" -W ignore training/export_onnx.py --config smoke --out "$OUT"
echo "training smoke test: load and run in onnxruntime-node"
npx tsx training/smoke_run.ts "$OUT"
echo "training smoke test: OK in $(( $(date +%s) - start ))s"
