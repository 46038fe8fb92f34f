#!/usr/bin/env bash
# A Qwen2.5-0.5B-shaped random checkpoint (made by transformers from the model's real config)
# imported and decoded by Strawberry against transformers fp32 and bf16 on the same folder, with
# Strawberry's peak resident memory. Needs ~6 GB of disk and memory; a few minutes.
# Usage: bench/speed/compare_import.sh [BATCHES] [TOKENS]   (default: 1,8 and 32)
# STRAWBERRY_BINARY=PATH measures that binary instead of building .build/release/strawberry.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/venv.sh && python=$(python_env torch)
source bench/lib/strawberry_binary.sh && bin=$(strawberry_binary)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" bench/speed/compare_import.py "$bin" "$work" "${1:-1,8}" "${2:-32}"
