#!/usr/bin/env bash
# Exports models as GGUF (F32, F16 and Q8_0, and an Ollama Modelfile) and loads every file with
# llama.cpp through llama-cpp-python (from PyPI, pinned in bench/requirements/llama.txt, built from
# source on first use, several minutes): same token ids, logits and greedy continuation as
# Strawberry (check_gguf_export.py). The models: RUN (default: a random `small` model with
# Strawberry's byte vocabulary), and three imported ones made by bench/lib/tiny_hf_model.py — a
# Qwen2 (q/k/v biases, its own BPE merges, ChatML), a Qwen3 (per-head q/k norms, heads wider than
# hidden/heads) and a Llama with Llama 3.1 rope scaling.
# Outside CI (heavy).
# Usage: bench/interop/check_gguf_export.sh [RUN]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/venv.sh && python=$(python_env llama)
swift build -c release --product strawberry >/dev/null 2>&1
bin=.build/release/strawberry
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run=${1:-}
if [ -z "$run" ]; then
  # An untrained model: random weights exercise every tensor just as well.
  printf '{"prompt":"a","completion":"b"}\n' > "$dir/one.jsonl"
  $bin sft --data "$dir/one.jsonl" --preset small --out "$dir/random" --steps 1 --log-every 1 2>/dev/null
  run="$dir/random"
fi
models=("$run")
for kind in qwen2 qwen3 llama3; do
  "$python" bench/lib/tiny_hf_model.py $kind "$dir/hf-$kind"
  $bin import "$dir/hf-$kind" --out "$dir/imported-$kind" >/dev/null
  models+=("$dir/imported-$kind")
done
for model in "${models[@]}"; do
  echo "== $(basename "$model")"
  $bin export "$model" --format gguf --precision all --out "$dir/gguf" >/dev/null
  "$python" bench/interop/check_gguf_export.py "$dir/gguf"
  rm -rf "$dir/gguf"
done
