#!/usr/bin/env bash
# The GPU measurement of issue 8, prepared to run as one command on a machine with a GPU (the `device` tool):
# the reference config on every GPU backend that starts (CUDA through tfjs-node-gpu, WebGPU through Dawn) at
# batch 4096 and 16384, then the same on the CPU for scale. Figures land in $OUT (or bench/gpu-results/).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench/gpu-results}"
mkdir -p "$out"
[ -d node_modules ] || npm ci --no-audit --no-fund
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
node bin/esmc-lab.js backends | tee "$out/backends.txt"
for batch in 4096 16384; do
  npx tsx bench/run.ts --backends node-gpu,webgpu --batch-size "$batch" --no-torch --no-import --steps 20 \
    --repeats 3 --out "$out/gpu-batch-$batch.md" --json "$out/gpu-batch-$batch.json"
done
