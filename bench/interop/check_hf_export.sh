#!/usr/bin/env bash
# Exports a model (a fresh random `small` one, or the run given) in Hugging Face format and checks
# it with transformers from PyPI (pinned in bench/requirements/torch.txt; large the first time).
#   bench/interop/check_hf_export.sh [run-folder]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/venv.sh && python=$(python_env torch)
swift build -c release --product strawberry >/dev/null
work=$(mktemp -d)
model=${1:-}
if [ -z "$model" ]; then
  # An untrained model: random weights exercise every tensor just as well.
  printf '{"prompt":"a","completion":"b"}\n' > "$work/one.jsonl"
  .build/release/strawberry sft --data "$work/one.jsonl" --preset small --out "$work/run" --steps 1 --log-every 1 2>/dev/null
  model="$work/run"
fi
.build/release/strawberry export "$model" --format hf --out "$work/hf"
"$python" bench/interop/check_hf_export.py "$work/hf"
