#!/usr/bin/env bash
# Issue 5: expert iteration (rejection-sampling self-distillation) from each seed's human-trace SFT
# model of bench/experiment_thinking.sh. The model samples 4 completions (temperature 0.7, thinking
# budget 200) for 3,000 training problems, the verifier keeps the shortest correct one per
# problem, and the same model is fine-tuned on them (300 steps, lr 3e-4): `strawberry distill
# --teacher M --student M`. Both are evaluated greedily on 200 test problems at budgets 64–200;
# summarize_rl_vs_sft.py prints the table over seeds.
# Usage: bench/experiment_self_distill.sh [EXPERIMENT=runs/experiment] [OUT=runs/self-distill] [SEEDS="1 2 3"]
# About 11 minutes per seed on 2 cores; finished seeds are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
experiment=${1:-runs/experiment}
out=${2:-runs/self-distill}
seeds=${SEEDS:-1 2 3}
mkdir -p "$out"
swift build -c release --product strawberry >/dev/null
cp .build/release/strawberry "$out/strawberry"
for seed in $seeds; do
  sft="$experiment/human-s$seed/sft"
  [ -d "$sft" ] || { echo "missing $sft: run bench/experiment_thinking.sh first" >&2; exit 1; }
  [ -f "$out/s$seed/comparison.json" ] && continue
  rm -rf "$out/s$seed"
  "$out/strawberry" distill --teacher "$sft" --student "$sft" --steps 300 --lr 3e-4 --problems 3000 --samples 4 \
    --budgets 64,96,128,200 --eval-problems 200 --seed "$seed" --out "$out/s$seed" > "$out/s$seed.log" 2>&1
done
python3 bench/summarize_rl_vs_sft.py "$out"
