#!/usr/bin/env bash
# Issue 5's tight-budget experiment: RL whose rollouts get a thinking budget below the length of
# the human-style traces (96 tokens; they run ~115–140), starting from each seed's human-trace SFT
# model of bench/experiment_thinking.sh, then SFT and SFT+RL evaluated on the same 200 test
# problems at budgets 64/96/128/200. summarize_rl_vs_sft.py prints the table.
# Usage: bench/experiment_tight_budget.sh [EXPERIMENT=runs/experiment] [OUT=runs/tight-budget] [SEEDS="1 2 3"]
# About 7 minutes per seed on 2 cores; finished seeds are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
experiment=${1:-runs/experiment}
out=${2:-runs/tight-budget}
seeds=${SEEDS:-1 2 3}
budget=${BUDGET:-96}
mkdir -p "$out"
swift build -c release --product strawberry >/dev/null
cp .build/release/strawberry "$out/strawberry"
for seed in $seeds; do
  sft="$experiment/human-s$seed/sft"
  [ -d "$sft" ] || { echo "missing $sft: run bench/experiment_thinking.sh first" >&2; exit 1; }
  rl="$out/rl-s$seed"
  if [ ! -f "$rl/done" ]; then
    rm -rf "$rl"
    "$out/strawberry" rl --model "$sft" --out "$rl" --steps 40 --problems 16 --group 8 --lr 2e-5 --kl 0.02 \
      --budget "$budget" --seed "$seed" > "$rl.log" 2>&1
    touch "$rl/done"
  fi
  for stage in sft rl; do
    model=$([ "$stage" = sft ] && echo "$sft" || echo "$rl")
    [ -f "$out/eval-$stage-s$seed/eval.json" ] && continue
    "$out/strawberry" eval --model "$model" --n 200 --budgets 64,96,128,200 --out "$out/eval-$stage-s$seed" \
      > "$out/eval-$stage-s$seed.log" 2>&1
  done
done
python3 bench/summarize_rl_vs_sft.py "$out"
