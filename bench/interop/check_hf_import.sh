#!/usr/bin/env bash
# Makes tiny random Qwen2 and Llama checkpoints with transformers (PyTorch and transformers from
# PyPI, pinned in bench/requirements/torch.txt; large the first time), imports them with `strawberry import`
# and checks tokens, logits and greedy continuations against transformers. See check_hf_import.py.
#   bench/interop/check_hf_import.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/venv.sh && python=$(python_env torch)
swift build -c release --product strawberry >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" bench/interop/check_hf_import.py .build/release/strawberry "$work"
