#!/usr/bin/env bash
# Exports RUN as GGUF (F32 and F16) and loads both with llama.cpp through llama-cpp-python (from
# PyPI, built from source into bench/.venv-llama on first use, several minutes): same token ids,
# logits, and greedy continuation as Strawberry. Outside CI (heavy).
# Usage: bench/check_gguf_export.sh [RUN]   (default: a random `small` model)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv-llama/bin/python ]; then
  python3 -m venv bench/.venv-llama && bench/.venv-llama/bin/pip install -q --disable-pip-version-check llama-cpp-python numpy
fi
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
bench/.venv-llama/bin/python bench/check_gguf_export.py "$dir/gguf"
