#!/usr/bin/env bash
# Training throughput, Strawberry vs PyTorch eager (float32 and bf16 autocast), side by side on
# this machine: same model (preset), batch, sequence length and thread count.
#   bench/speed/compare_train.sh [preset] [batch] [rounds]
# PyTorch comes from PyPI into .venvs/torch, pinned in bench/requirements/torch.txt (a large download the first time).
set -euo pipefail
cd "$(dirname "$0")/../.."
preset=${1:-small}; batch=${2:-8}; rounds=${3:-2}
source bench/lib/venv.sh && python=$(python_env torch)
swift build -c release --product strawberry >/dev/null
for round in $(seq "$rounds"); do
  ours=$(STRAWBERRY_THREADS=2 .build/release/strawberry bench train --preset "$preset" --batch-size "$batch" --steps 10 \
         | awk '/^tokens\/s/ {print $2}')
  theirs=$("$python" bench/speed/pytorch_train.py --preset "$preset" --batch-size "$batch" --steps 10 --threads 2)
  python3 - "$ours" "$theirs" "$round" <<'PY'
import json, sys
ours, theirs, rnd = float(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
f32, bf16 = theirs["float32_tokens_per_s"], theirs["bf16_tokens_per_s"]
print(f"round {rnd}: {theirs['preset']} batch {theirs['batch']}x{theirs['length']}, torch {theirs['torch']}: "
      f"strawberry {ours:.0f} tok/s, pytorch fp32 {f32:.0f} tok/s (x{ours / f32:.2f}), "
      f"pytorch bf16 {bf16:.0f} tok/s (x{ours / bf16:.2f})")
PY
done
