#!/usr/bin/env bash
# Decode throughput with a KV cache, Strawberry vs PyTorch eager (float32 and bf16 autocast),
# side by side: same model, batch sizes, prompt and decoded length, 2 threads.
#   bench/speed/compare_generate.sh [preset] [batches]
# PyTorch comes from PyPI into .venvs/torch, pinned in bench/requirements/torch.txt (a large download the first time).
# STRAWBERRY_BINARY=PATH measures that binary instead of building .build/release/strawberry.
set -euo pipefail
cd "$(dirname "$0")/../.."
preset=${1:-small}; batches=${2:-1,16,64}
source bench/lib/venv.sh && python=$(python_env torch)
source bench/lib/strawberry_binary.sh && bin=$(strawberry_binary)
ours=$(STRAWBERRY_THREADS=2 "$bin" bench generate --preset "$preset" --batch "$batches")
theirs=$("$python" bench/speed/pytorch_generate.py --preset "$preset" --batch "$batches" --threads 2)
echo "$ours"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = {int(l.split()[0]): float(l.split()[1]) for l in sys.argv[1].splitlines() if l.strip() and l.split()[0].isdigit()}
theirs = json.loads(sys.argv[2])
print(f"torch {theirs['torch']}, {theirs['threads']} threads")
print("batch  strawberry  pytorch fp32  ratio  pytorch bf16  ratio")
for b, s in ours.items():
    f, h = theirs["float32"][str(b)], theirs["bf16"][str(b)]
    print(f"{b:5d}  {s:10.0f}  {f:12.0f}  {s / f:5.2f}  {h:12.0f}  {s / h:5.2f}")
PY
