#!/usr/bin/env bash
# Exports RUN as GGUF (F32 and F16) and loads both with llama.cpp through llama-cpp-python (from
# PyPI, pinned in bench/requirements/llama.txt, built from source on first use, several minutes): same token ids,
# logits, and greedy continuation as Strawberry. Outside CI (heavy).
# Usage: bench/interop/check_gguf_export.sh [RUN]   (default: a random `small` model)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/venv.sh && python=$(python_env llama)
swift build -c release --product strawberry >/dev/null 2>&1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run=${1:-}
if [ -z "$run" ]; then
  # An untrained model: random weights exercise every tensor just as well.
  printf '{"prompt":"a","completion":"b"}\n' > "$dir/one.jsonl"
  .build/release/strawberry sft --data "$dir/one.jsonl" --preset small --out "$dir/random" --steps 1 --log-every 1 2>/dev/null
  run="$dir/random"
fi
.build/release/strawberry export "$run" --format gguf --out "$dir/gguf"
"$python" bench/interop/check_gguf_export.py "$dir/gguf"
