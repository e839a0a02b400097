#!/usr/bin/env bash
# Full-configuration training (configs/gpu.json) on a lent GPU machine, split across two calls of the device
# tool (each at most 10 minutes; the machine stays up between calls made back to back):
#   start   launch the job in its own session, follow it for START_WAIT seconds, snapshot into $OUT
#   finish  wait for the job to end (at most FINISH_WAIT seconds), snapshot into $OUT
# The machine has no ../shared/data: .gpudata/train_pack.pkl (training/device/pack_device_data.py) travels with the
# call ("carry") and stands in for it. A snapshot is the codec checkpoint, the generator checkpoint without its
# raw (non-EMA) weights, split into 15 MB parts (the tool returns files of at most 16 MiB), and the log;
# training/device/device_unpack.sh reassembles them here, then export_onnx.py --config gpu exports as usual.
set -uo pipefail
cd "$(dirname "$0")/../.."
RUN=training/runs/gpu
mode=${1:?start or finish}
PY=${PY:-python3}
snapshot() {
  mkdir -p "$OUT"
  cp "$RUN/job.log" "$OUT/job.log" 2>/dev/null
  [ -f "$RUN/codec.pt" ] && cp "$RUN/codec.pt" "$OUT/codec.pt"
  if [ -f "$RUN/generator.pt" ]; then
    "$PY" -c "
import torch, sys
st = torch.load('$RUN/generator.pt', map_location='cpu', weights_only=False)
for k in ('generator', 'caption_encoder_raw', 'prior'):
    st.pop(k, None)
torch.save(st, '/tmp/generator_ema.pt')
print('snapshot: generator step', st['steps'])
" && split -b 15000000 -d /tmp/generator_ema.pt "$OUT/generator_ema.pt.part"
  fi
  nvidia-smi --query-gpu=name,memory.used,utilization.gpu --format=csv > "$OUT/gpu.csv" 2>&1
  ls -la "$OUT"
}
case "$mode" in
  start)
    "$PY" -c "import torch, PIL; from PIL import features; print('torch', torch.__version__, torch.cuda.get_device_name(0), 'webp', features.check('webp'))"
    mkdir -p "$RUN"
    rm -f "$RUN/DONE"
    GSC_TRAIN_PACK=$PWD/.gpudata/train_pack.pkl PYTHONUNBUFFERED=1 setsid nohup bash -c "
      { [ -n "${SKIP_CODEC:-}" ] && [ -f $RUN/codec.pt ] || $PY training/set1/train_codec.py --config gpu --max-minutes ${CODEC_MINUTES:-2}; } &&
      $PY training/set1/train_generator.py --config gpu --max-minutes ${GENERATOR_MINUTES:-14}
      echo exit \$? > $RUN/DONE" > "$RUN/job.log" 2>&1 < /dev/null &
    end=$(( $(date +%s) + ${START_WAIT:-560} ))
    while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$RUN/DONE" ]; do sleep 20; tail -n 2 "$RUN/job.log"; done
    snapshot ;;
  finish)
    end=$(( $(date +%s) + ${FINISH_WAIT:-540} ))
    while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$RUN/DONE" ]; do sleep 15; done
    tail -n 5 "$RUN/job.log"
    cat "$RUN/DONE" 2>/dev/null || echo "job still running"
    snapshot ;;
esac
