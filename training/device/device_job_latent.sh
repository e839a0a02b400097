#!/usr/bin/env bash
# A learned-latent model set's full configuration (CONFIG: configs/v5_gpu.json, set 5; v4_gpu, set 4; v3_gpu, set 3) on a lent GPU machine, in ONE call of the device tool
# (at most 10 minutes; the session's device time, machine start included, is 15):
#   check torch and CUDA; put the carried LPIPS weights where lpips_squeeze.py looks (the machine has no
#   ../shared/data); train from the carried photo pack (GSC_TRAIN_PACK, made by training/device/pack_device_data.py) for
#   MINUTES minutes of training, resuming when training/runs/<config>/latent_codec.pt was carried (a full
#   checkpoint, or a snapshot unpacked by training/device/device_unpack_latent.sh); every save (save_seconds: 60 in v5_gpu)
#   also writes the EMA-only snapshot into $OUT, so a machine taken back mid-run still returns the last minute.
# $OUT ends with: the snapshot's parts (latent_codec_ema.s<step>.<token>.partNN, 15 MB each at most),
# snapshot.json (step, size, sha256, part names), log.jsonl (steps and losses), train.out (the job's output).
# Back here: bash training/device/device_unpack_latent.sh FOLDER, then export_latent_codec.py --config v5_gpu --out <a copy of resources/models> --replace to evaluate (README, Training).
# Usage (the device tool's command): OUT=... bash training/device/device_job_latent.sh [extra train_latent_codec.py options]
# Environment: CONFIG (v5_gpu), MINUTES (8), PY (python3), GSC_TRAIN_PACK (.gpudata/latent/pack.pkl), INIT (a
# checkpoint a first run starts from, --init-from: a decoder-only config's starting set, e.g. .gpudata/latent/init.pt),
# ALLOW_CPU=1 to run without CUDA (training/smoke_test.sh runs this script's CPU path with CONFIG=v5_smoke).
set -uo pipefail
cd "$(dirname "$0")/../.."
CONFIG=${CONFIG:-v5_gpu}
MINUTES=${MINUTES:-8}
PY=${PY:-python3}
export GSC_TRAIN_PACK=${GSC_TRAIN_PACK:-$PWD/.gpudata/latent/pack.pkl}
export PYTHONUNBUFFERED=1
: "${OUT:?device_job_latent: OUT must name the folder the snapshot goes to}"
RUN=training/runs/$CONFIG
mkdir -p "$OUT" || exit 1
start=$(date +%s)
fail() { echo "device_job_latent: FAILED - $*" >&2; exit 1; }

"$PY" -c "
import sys, torch
cuda = torch.cuda.is_available()
print('torch', torch.__version__, '| cuda', torch.version.cuda, '|', torch.cuda.get_device_name(0) if cuda else 'no CUDA device')
sys.exit(0 if cuda or '${ALLOW_CPU:-}' == '1' else 'device_job_latent: FAILED - no CUDA device (ALLOW_CPU=1 runs on the CPU)')
" || exit 1
[ -f "$GSC_TRAIN_PACK" ] || fail "no photo pack at $GSC_TRAIN_PACK (make it here: /usr/bin/python3 training/device/pack_device_data.py --config $CONFIG --out .gpudata/latent/pack.pkl, and carry .gpudata/latent)"

# the detector-agreement term reads the station's detector from the checkout (device_slim.sh leaves it in place)
if "$PY" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["latent_codec"].get("detector", 0) > 0 else 1)' "training/configs/$CONFIG.json"; then
  [ -f resources/models/detector.onnx ] || fail "$CONFIG trains with the detector term but resources/models/detector.onnx is missing (device_slim.sh stash keeps it; restore it from git)"
fi

# LPIPS weights: where lpips_squeeze.load_lpips_squeeze looks (../shared/data/weights/lpips beside the checkout);
# a machine without them gets the copy pack_device_data.py put beside the pack, or, where that folder cannot be
# written, the trainer runs with lpips_squeeze.WEIGHTS_DIR pointed at the carried copy
trainer=(training/latent/train_latent_codec.py)
weights=$(cd training/metrics && "$PY" -c 'import lpips_squeeze; print(lpips_squeeze.WEIGHTS_DIR)') || fail "cannot import training/metrics/lpips_squeeze.py"
carried=$(dirname "$GSC_TRAIN_PACK")/lpips
if [ ! -f "$weights/squeezenet_v1.1.ncnn.bin" ] && [ -d "$carried" ]; then
  if mkdir -p "$weights" 2> /dev/null && cp "$carried"/* "$weights"/; then
    echo "LPIPS weights copied from $carried to $weights"
  else
    echo "cannot write $weights: training with lpips_squeeze.WEIGHTS_DIR = $carried"
    trainer=(-c "import runpy, sys; sys.path.insert(0, 'training/metrics'); import lpips_squeeze; lpips_squeeze.WEIGHTS_DIR = sys.argv.pop(1); sys.argv[0] = 'training/latent/train_latent_codec.py'; runpy.run_path(sys.argv[0], run_name='__main__')" "$carried")
  fi
fi

args=(--config "$CONFIG" --max-minutes "$MINUTES" --snapshot "$OUT")
if [ -f "$RUN/latent_codec.pt" ]; then
  args+=(--resume)
  echo "resuming from the carried $RUN/latent_codec.pt"
elif [ -n "${INIT:-}" ]; then
  # a decoder-only config (train_only) starts from a checkpoint made here and carried beside the pack: a set rebuilt
  # by checkpoint_from_onnx.py (the machine may lack the onnx package) or a committed run's unpacked snapshot
  [ -f "$INIT" ] || fail "INIT names $INIT, which is not there"
  args+=(--init-from "$INIT")
fi
echo "training: $PY ${trainer[0]} ${args[*]} $*"
"$PY" "${trainer[@]}" "${args[@]}" "$@" 2>&1 | tee "$OUT/train.out"
rc=${PIPESTATUS[0]}
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu --format=csv 2>&1 | tee -a "$OUT/train.out"
[ -f "$OUT/snapshot.json" ] || fail "no snapshot was written to $OUT (train_latent_codec.py exit $rc)"
cat "$OUT/snapshot.json"
ls -la "$OUT"
echo "device_job_latent: exit $rc after $(( $(date +%s) - start )) s"
exit "$rc"
