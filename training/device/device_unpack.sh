#!/usr/bin/env bash
# Puts a device_job.sh snapshot (the folder the device tool returned) into training/runs/gpu, where
# export_onnx.py --config gpu and eval scripts expect it. Usage: training/device/device_unpack.sh FOLDER
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${1:?folder with codec.pt and generator_ema.pt.part*}
mkdir -p training/runs/gpu
cp "$src/codec.pt" training/runs/gpu/codec.pt
cat "$src"/generator_ema.pt.part* > training/runs/gpu/generator.pt.tmp
mv training/runs/gpu/generator.pt.tmp training/runs/gpu/generator.pt
cp "$src/job.log" training/runs/gpu/job.log
echo "unpacked into training/runs/gpu"
