#!/usr/bin/env bash
# CI smoke test of the training code: a few codec and generator steps on tiny crops of a handful of
# training images (configs/smoke.json), ONNX export to a temp dir (checked against PyTorch in
# onnxruntime-node by export_onnx.py), then a real load + run of every exported model in onnxruntime-node.
# Then the learned-latent GPU command chain on the CPU for model set 5 (configs/v5_smoke.json; sets 3 and 4 differ only in their configs): the photo pack, training/device/device_job_latent.sh
# (train_latent_codec.py with --snapshot), a resume from the full checkpoint, training/device/device_unpack_latent.sh, a resume
# from the unpacked EMA snapshot (a later device run), export_latent_codec.py to a temp dir, and the exported set
# opened and run by the codec's loader in onnxruntime-node; then the shipped set rebuilt from its ONNX files
# (checkpoint_from_onnx.py, checked against them) and a run started from it; then the decoder-only chain on set 22's wire
# (check_colour_wire.py against the station, v24_smoke from the rebuilt set 5 through device_job_latent.sh with INIT, its
# snapshot unpacked, its export without a g_a of its own, a run); then set 36's post-filter: pairs, training, export,
# a packet through it (postfilter_smoke).
# Fails loudly (non-zero exit) if any step breaks. Needs /usr/bin/python3 with torch + onnx (scripts/setup.sh).
# Usage: bash training/smoke_test.sh [latent]   (latent: the learned-latent part alone)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
only=${1:-}
[ -z "$only" ] || [ "$only" = latent ] || { echo "usage: training/smoke_test.sh [latent]" >&2; exit 2; }
if ! "$PY" -c 'import torch, onnx' 2>/dev/null; then
  echo "training smoke test: FAILED - $PY cannot import torch and onnx (install python3-torch python3-onnx, see scripts/setup.sh)" >&2
  exit 1
fi
if [ ! -d ../shared/data/train ]; then
  echo "training smoke test: SKIPPED - training images not found at ../shared/data/train" >&2
  exit 0
fi
LATENT_CFG=v5_smoke
LATENT_SET=5
OUT=$(mktemp -d)
if [ "$only" = latent ]; then
  trap 'rm -rf "$OUT" "training/runs/$LATENT_CFG" training/runs/v24_smoke' EXIT
else
  trap 'rm -rf "$OUT" training/runs/smoke training/runs/smoke_ft "training/runs/$LATENT_CFG" training/runs/v24_smoke' EXIT
fi
start=$(date +%s)

fail() { echo "training smoke test: FAILED - $*" >&2; exit 1; }

# Model set 5: the command chain of a lent GPU machine (README, Training: device_job_latent.sh's default is v5_gpu), on the CPU.
latent_smoke() {
  local t0 V log
  t0=$(date +%s)
  V=$OUT/latent
  uses() { "$PY" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["latent_codec"].get(sys.argv[2], 0) > 0 else 1)' "training/configs/$LATENT_CFG.json" "$1"; }
  if uses lpips; then
    [ -f ../shared/data/weights/lpips/squeezenet_v1.1.ncnn.bin ] || fail "LPIPS weights not found at ../shared/data/weights/lpips ($LATENT_CFG trains with them)"
  fi
  "$PY" -W ignore training/latent/check_consistent_chroma.py || fail "config chroma_anchor's projection (check_consistent_chroma.py)"
  rm -rf training/runs/$LATENT_CFG
  mkdir -p "$V/models"
  cp resources/models/manifest.json resources/models/caption_vocab.json "$V/models/"
  echo "training smoke test (set $LATENT_SET): photo pack (pack_device_data.py)"
  "$PY" training/device/pack_device_data.py --config $LATENT_CFG --out "$V/data/pack.pkl"
  if uses lpips; then
    [ -f "$V/data/lpips/squeezenet_v1.1.ncnn.bin" ] || fail "pack_device_data.py did not put the LPIPS weights beside the pack"
  fi
  run_job() {  # OUT folder, then train_latent_codec.py options; prints the job's output
    OUT=$1 CONFIG=$LATENT_CFG PY=$PY ALLOW_CPU=1 MINUTES=5 GSC_TRAIN_PACK=$V/data/pack.pkl bash training/device/device_job_latent.sh "${@:2}" 2>&1
  }
  echo "training smoke test (set $LATENT_SET): device_job_latent.sh, 2 steps from scratch, snapshot into $V/snap1"
  log=$(run_job "$V/snap1" --steps 2) || { echo "$log"; fail "device_job_latent.sh (first run) failed"; }
  echo "$log"
  grep -q 'resumed' <<<"$log" && fail "the first run resumed, but no checkpoint should exist"
  echo "training smoke test (set $LATENT_SET): device_job_latent.sh resumes from the full checkpoint (1 step, adversarial on)"
  log=$(run_job "$V/snap2" --steps 3) || { echo "$log"; fail "device_job_latent.sh (resume) failed"; }
  echo "$log"
  grep -q '^resumed at step 2$' <<<"$log" || fail "the second run did not resume at step 2 from the full checkpoint"
  for term in lpips detector; do
    if uses $term; then
      grep -Eq "\"step\": 3,.*\"$term\": [0-9.e-]+.*\"adv_g\"" <<<"$log" || fail "step 3 did not log the $term and adversarial terms"
    fi
  done
  # what comes back from a device run: parts of at most 15 MB, at most 8 files
  [ "$(find "$V/snap2" -type f | wc -l)" -le 8 ] || fail "the snapshot folder holds more than 8 files"
  [ -z "$(find "$V/snap2" -type f -size +15000000c)" ] || fail "a snapshot file exceeds 15 MB"
  echo "training smoke test (set $LATENT_SET): device_unpack_latent.sh, then a run resuming from the EMA snapshot (a later device run)"
  bash training/device/device_unpack_latent.sh "$V/snap2" "$LATENT_CFG"
  log=$(run_job "$V/snap3") || { echo "$log"; fail "device_job_latent.sh (resume from the snapshot) failed"; }
  echo "$log"
  grep -q '^resumed at step 3 from an EMA snapshot' <<<"$log" || fail "the third run did not resume at step 3 from the unpacked snapshot"
  bash training/device/device_unpack_latent.sh "$V/snap3" "$LATENT_CFG"
  echo "training smoke test (set $LATENT_SET): export_latent_codec.py --config $LATENT_CFG (checked against PyTorch by onnx_check.ts)"
  # the temp dir's manifest is a copy of the shipped one, whose set $LATENT_SET was trained by another config: refused
  # without --replace (old packets of that set would decode with these weights), exported with it
  refusal=$("$PY" -W ignore training/latent/export_latent_codec.py --config $LATENT_CFG --out "$V/models" 2>&1) && fail "export over an installed set trained otherwise was not refused"
  grep -q "^export: model set $LATENT_SET is installed in" <<<"$refusal" || fail "export refused without saying why: $refusal"
  "$PY" -W ignore training/latent/export_latent_codec.py --config $LATENT_CFG --out "$V/models" --replace
  "$PY" -c 'import json, sys; m = json.load(open(sys.argv[1]))["models"]["decoder_v" + sys.argv[2]]; sys.exit(0 if m["steps"] == 4 and m["config"] == sys.argv[3] else 1)' \
    "$V/models/manifest.json" "$LATENT_SET" "$LATENT_CFG" || fail "the exported manifest does not record decoder_v$LATENT_SET of $LATENT_CFG at step 4"
  echo "training smoke test (set $LATENT_SET): the exported set in onnxruntime-node"
  npx tsx training/smoke_run.ts "$V/models" --set "$LATENT_SET"
  echo "training smoke test (set $LATENT_SET): the shipped set rebuilt from its committed ONNX files (checkpoint_from_onnx.py), a run started from it"
  "$PY" -W ignore training/latent/checkpoint_from_onnx.py --config v5_cpu --out "$V/from_onnx.pt" || fail "checkpoint_from_onnx.py did not rebuild set $LATENT_SET from resources/models"
  log=$(GSC_TRAIN_PACK=$V/data/pack.pkl "$PY" -W ignore training/latent/train_latent_codec.py --config $LATENT_CFG --out "$V/from_onnx_run" --init-from "$V/from_onnx.pt" --steps 1 2>&1) || { echo "$log"; fail "a run started from the rebuilt checkpoint failed"; }
  grep -q "^started from $V/from_onnx.pt" <<<"$log" || { echo "$log"; fail "the run did not start from the rebuilt checkpoint"; }
  echo "training smoke test (set 24): set 22's wire simulated as the station decodes it, a decoder-only run from the rebuilt set 5, its export and run"
  "$PY" -W ignore training/latent/check_colour_wire.py || fail "the training's copy of the station (sets 22 and 28) differs from the station (check_colour_wire.py)"
  # through the device job (a lent GPU's command for a decoder-only config: INIT is the set it starts from), then
  # unpacked from its snapshot as a device run's files are
  rm -rf training/runs/v24_smoke
  log=$(OUT=$V/snap24 CONFIG=v24_smoke INIT=$V/from_onnx.pt PY=$PY ALLOW_CPU=1 MINUTES=5 GSC_TRAIN_PACK=$V/data/pack.pkl bash training/device/device_job_latent.sh 2>&1) || { echo "$log"; fail "set 24's run (v24_smoke through device_job_latent.sh) failed"; }
  grep -q "^started from $V/from_onnx.pt" <<<"$log" || { echo "$log"; fail "set 24's device run did not start from INIT"; }
  grep -Eq '"step": 2,.*"grid_peak": [0-9.e-]+.*"grid_shape": [0-9.e-]+.*"detail_excess": [0-9.e-]+.*"flat_detail": [0-9.e-]+.*"detector": [0-9.e-]+.*"adv_g"' <<<"$log" || { echo "$log"; fail "set 24's run did not log its grid, texture, detector and adversarial terms at step 2"; }
  bash training/device/device_unpack_latent.sh "$V/snap24" v24_smoke
  "$PY" -W ignore training/latent/export_latent_codec.py --config v24_smoke --checkpoint training/runs/v24_smoke/latent_codec.pt --out "$V/models" --replace
  [ ! -e "$V/models/g_a_v24.onnx" ] || fail "a decoder-only export wrote a g_a of its own"
  npx tsx training/smoke_run.ts "$V/models" --set 24
  echo "training smoke test (set 29): set 28's wire with its luma plane's detail as a decoder input, a run from the rebuilt set 5, its export and run"
  log=$(GSC_TRAIN_PACK=$V/data/pack.pkl "$PY" -W ignore training/latent/train_latent_codec.py --config v29_smoke --out "$V/run29" --init-from "$V/from_onnx.pt" 2>&1) || { echo "$log"; fail "set 29's run (v29_smoke) failed"; }
  grep -q "^started from $V/from_onnx.pt" <<<"$log" || { echo "$log"; fail "set 29's run did not start from the rebuilt set 5"; }
  "$PY" -W ignore training/latent/export_latent_codec.py --config v29_smoke --checkpoint "$V/run29/latent_codec.pt" --out "$V/models" --replace
  "$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); sys.exit(0 if [i["name"] for i in m["models"]["decoder_v29"]["inputs"]][-1] == "luma_detail" and m["modelSets"]["29"]["networksOf"] == 5 else 1)' \
    "$V/models/manifest.json" || fail "the exported set 29 does not list its decoder's luma_detail input"
  log=$(npx tsx training/smoke_run.ts "$V/models" --set 29 2>&1) || { echo "$log"; fail "set 29's exported set did not run (smoke_run.ts)"; }
  echo "$log"
  grep -q 'with a luma detail' <<<"$log" || fail "set 29's decoder did not run with a luma detail"
  echo "training smoke test (set $LATENT_SET): OK in $(( $(date +%s) - t0 ))s"
}

# Set 36's post-filter: pairs from set 33's station (make_pairs.ts), a few steps (with set 37's detector term) started from set 34's committed filter
# ('phases', started as a 'smooth' one, as set 36 was), its export (checked against PyTorch by onnx_check.ts) into a
# copy of the models directory with set 36 added, and a packet encoded and decoded through it.
postfilter_smoke() {
  local P=$OUT/postfilter log
  echo "training smoke test (set 36): post-filter pairs, training, export, a decode through it"
  mkdir -p "$P/models"
  for f in resources/models/*; do [ "$(basename "$f")" = manifest.json ] || ln -s "$PWD/$f" "$P/models/"; done
  cp resources/models/manifest.json "$P/models/"
  rm -f "$P/models/postfilter_v36.onnx"
  "$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); m["models"].pop("postfilter_v36", None); m["modelSets"].pop("36", None); m["defaultModelSet"] = 33 if m.get("defaultModelSet") == 36 else m.get("defaultModelSet"); json.dump(m, open(sys.argv[1], "w"), indent=2)' "$P/models/manifest.json"
  npx tsx training/postfilter/make_pairs.ts "$P/pairs" 1,2,4,8,16 0 1 ../shared/data/train/imagenet_samples --limit 2 > /dev/null || fail "make_pairs.ts failed"
  log=$("$PY" -W ignore training/postfilter/train_postfilter.py "$P/pairs" "$P/run" --steps 3 --threads 1 --detector 1.0 --init-from training/checkpoints/postfilter_v34/postfilter.pt 2>&1) || { echo "$log"; fail "train_postfilter.py failed"; }
  grep -q '"step": 3,.*"grid": [0-9.e-]*.*"detector": [0-9.e-]*.*"val_delta' <<<"$log" || { echo "$log"; fail "train_postfilter.py did not log step 3 with its grid and detector terms and validation"; }
  "$PY" -W ignore training/postfilter/export_postfilter.py "$P/run/postfilter.pt" --models "$P/models" > /dev/null || fail "export_postfilter.py failed"
  grep -q "postfilter.py.*--arch smooth" "$P/models/manifest.json" || fail "the exported post-filter is not the smooth arch its run was trained with"
  "$PY" training/postfilter/add_model_set.py "$P/models/manifest.json" || fail "add_model_set.py failed"
  GSC_MODELS_DIR=$P/models node bin/gsc.mjs encode "$P/pairs/$(ls "$P/pairs" | head -1)" -o "$P/p.bin" --channels 2 --model-set 36 > /dev/null || fail "encoding with set 36 failed"
  log=$(GSC_MODELS_DIR=$P/models node bin/gsc.mjs decode "$P/p.bin" -o "$P/p.png" 2>&1) || { echo "$log"; fail "decoding set 36's packet failed"; }
  grep -q 'model set 36, C=2' <<<"$log" || { echo "$log"; fail "the packet did not decode with set 36"; }
}

if [ "$only" = latent ]; then
  latent_smoke
  exit 0
fi
echo "training smoke test: codec steps"
"$PY" training/set1/train_codec.py --config smoke
echo "training smoke test: generator steps"
"$PY" training/set1/train_generator.py --config smoke
echo "training smoke test: the detector's PyTorch copy (a training loss) against onnxruntime-node"
"$PY" training/set1/detector_torch.py
echo "training smoke test: fine-tuning steps with the detector loss (start from the smoke run's checkpoints)"
ft_log=$("$PY" training/set1/train_generator.py --config smoke_ft --resume)
echo "$ft_log"
grep -q 'resumed at step 3' <<<"$ft_log" || { echo "training smoke test: FAILED - fine-tuning did not start from the smoke run" >&2; exit 1; }
grep -Eq 'detector [0-9.]*[1-9]' <<<"$ft_log" || { echo "training smoke test: FAILED - the detector loss was not computed" >&2; exit 1; }
echo "training smoke test: paired bootstrap reproduces the committed Kodak comparison"
"$PY" training/eval/paired_bootstrap.py docs/bench/generator/kodak_conditions.json --json "$OUT/bootstrap.json" > /dev/null
"$PY" -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:]); sys.exit(0 if a == b else "training smoke test: FAILED - paired bootstrap differs from docs/bench/generator/bootstrap_kodak_conditions.json")' \
  "$OUT/bootstrap.json" docs/bench/generator/bootstrap_kodak_conditions.json
echo "training smoke test: export to $OUT"
"$PY" -W ignore training/set1/export_onnx.py --config smoke --out "$OUT"
echo "training smoke test: load and run in onnxruntime-node"
npx tsx training/smoke_run.ts "$OUT"
latent_smoke
postfilter_smoke
echo "training smoke test: OK in $(( $(date +%s) - start ))s"
