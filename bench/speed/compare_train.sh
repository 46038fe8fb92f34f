#!/usr/bin/env bash
# Training throughput, Strawberry vs PyTorch eager (float32 and bf16 autocast), side by side on
# this machine: same model (preset), batch, sequence length and thread count. Strawberry runs in
# float32 and with its linear layers' products in bfloat16 (`--matmul bfloat16`, the counterpart
# of autocast; fast only where the CPU has AVX512-BF16).
#   bench/speed/compare_train.sh [preset] [batch] [rounds]
# PyTorch comes from PyPI into .venvs/torch, pinned in bench/requirements/torch.txt (a large download the first time).
# STRAWBERRY_BINARY=PATH measures that binary instead of building .build/release/strawberry.
set -euo pipefail
cd "$(dirname "$0")/../.."
preset=${1:-small}; batch=${2:-8}; rounds=${3:-2}
source bench/lib/venv.sh && python=$(python_env torch)
source bench/lib/strawberry_binary.sh && bin=$(strawberry_binary)
ours() {
  STRAWBERRY_THREADS=2 "$bin" bench train --preset "$preset" --batch-size "$batch" --steps 10 --matmul "$1" \
    | awk '/^tokens\/s/ {print $2}'
}
for round in $(seq "$rounds"); do
  f32=$(ours float32)
  bf16=$(ours bfloat16)
  theirs=$("$python" bench/speed/pytorch_train.py --preset "$preset" --batch-size "$batch" --steps 10 --threads 2)
  python3 - "$f32" "$bf16" "$theirs" "$round" <<'PY'
import json, sys
ours32, ours16, theirs, rnd = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
f32, bf16 = theirs["float32_tokens_per_s"], theirs["bf16_tokens_per_s"]
print(f"round {rnd}: {theirs['preset']} batch {theirs['batch']}x{theirs['length']}, torch {theirs['torch']}: "
      f"strawberry fp32 {ours32:.0f} tok/s, bf16 matmul {ours16:.0f} tok/s; pytorch fp32 {f32:.0f} tok/s, bf16 autocast {bf16:.0f} tok/s; "
      f"fp32 vs fp32 x{ours32 / f32:.2f}, fp32 vs bf16 x{ours32 / bf16:.2f}, bf16 vs fp32 x{ours16 / f32:.2f}, bf16 vs bf16 x{ours16 / bf16:.2f}")
PY
done
