#!/usr/bin/env bash
# A check that can fail (issue 17, item 5): per seed, two models from the same data, steps (1,200 ×
# 16) and seed, one on the human worked solutions, one on the checked ones (`--traces checked`: the
# check works the answer out again, and for half of the problems, where it fits, a false claim that
# the check catches is shown but not learned), both without cuts; then each greedy on the same 1,000
# test problems (`--problem-seed 1000`) at budgets 0, 64, 128, 200, 400.
# Usage: bench/experiments/experiment_checked_traces.sh OUT [SEEDS]   (default seeds: 1 2 3)
#   ARMS="checked" trains one arm (default "human checked"); PRESET=small another size (default micro).
# Then: python3 bench/experiments/paired_comparison.py OUT/checked-s1/eval:OUT/human-s1/eval …
#       python3 bench/experiments/self_correction.py human=OUT/human-s1/eval checked=OUT/checked-s1/eval
# About 15 minutes per arm and seed on one thread (micro). Finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: experiment_checked_traces.sh OUT [SEEDS]}
seeds=${2:-1 2 3}
source bench/lib/private_binary.sh && private_binary "$out"
bin=$out/strawberry
for seed in $seeds; do
  for arm in ${ARMS:-human checked}; do
    run=$out/$arm-s$seed
    [ -e "$run/sft/latest" ] || $bin train --preset "${PRESET:-micro}" --out "$run" --traces "$arm" --cut-thinking 0 --ei-rounds 0 --eval-problems 20 \
      --seed "$seed" > "$run.log" 2>&1
    [ -f "$run/eval/eval.json" ] || $bin eval --model "$run/sft" --task countdown --difficulty 3 --n 1000 --problem-seed 1000 \
      --seed "$seed" --budgets 0,64,128,200,400 --out "$run/eval" > "$run/eval.log" 2>&1
  done
done
