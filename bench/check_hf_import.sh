#!/usr/bin/env bash
# Makes tiny random Qwen2 and Llama checkpoints with transformers (PyTorch and transformers from
# PyPI, installed into bench/.venv; large the first time), imports them with `strawberry import`
# and checks tokens, logits and greedy continuations against transformers. See check_hf_import.py.
#   bench/check_hf_import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c "import torch, transformers, tokenizers" 2>/dev/null; then
  python3 -m venv bench/.venv 2>/dev/null || true
  bench/.venv/bin/pip install -q torch transformers tokenizers numpy
fi
swift build -c release --product strawberry >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench/.venv/bin/python bench/check_hf_import.py .build/release/strawberry "$work"
