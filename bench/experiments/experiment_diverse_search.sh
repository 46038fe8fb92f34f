#!/usr/bin/env bash
# Something to choose between (issue 17, item 3): expert iteration from an SFT model whose worked
# solutions search the numbers in a stated random order (`--search-order shuffled`: the first line
# restates them, so the opening pair varies between samples of one problem), against its
# compute-matched control — the same protocol as experiment_expert_iteration.sh, which it runs.
# Per seed: OUT/plain-s<seed> is the micro model after 1,200 SFT steps on 20,000 shuffled-order
# traces (as experiment_budget_tags.sh's untagged model, only the order differs); then the arms
# cut, control and ei on the fixed 1,000 test problems (ARMS="cut control ei-wide" adds ei-wide).
# Usage: bench/experiments/experiment_diverse_search.sh OUT [SEEDS]   (default seeds: 1 2 3)
# Then: python3 bench/experiments/paired_comparison.py OUT/s1/eval-ei:OUT/s1/eval-control …
# About 45 minutes per seed on one thread. Finished steps are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: experiment_diverse_search.sh OUT [SEEDS]}
seeds=${2:-1 2 3}
source bench/lib/private_binary.sh && private_binary "$out"
for seed in $seeds; do
  run=$out/plain-s$seed
  [ -e "$run/sft/latest" ] || "$out/strawberry" train --preset micro --search-order shuffled --ei-rounds 0 --seed "$seed" \
    --eval-problems 100 --budgets 128,200 --out "$run" > "$run.log" 2>&1
  ARMS="${ARMS:-cut control ei}" bench/experiments/experiment_expert_iteration.sh "$out" "$out" "$seed"
done
