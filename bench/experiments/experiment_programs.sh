#!/usr/bin/env bash
# The quickstart's recipe on the second task, `programs` (issue 17, item 7): a program that must pass
# hidden unit tests. Per seed, `strawberry train` with the quickstart's settings — SFT 1,200 steps
# (half of the thinking cut at random), one round of expert iteration at budget 128 (8 samples at
# temperature 1 for 1,200 training problems, the shortest verified one kept, 150 SFT steps with half
# of the kept thinking cut), and its compute-matched control (the SFT model given the same 150 steps
# on the worked solutions) — except what the task needs: difficulty 1 (one operation), a context of
# 640 tokens and worked solutions up to 410 thinking tokens (the longest is 402; the default 170
# would leave out the problems whose answer comes late in the search).
# Then SFT, RL and control greedy on the same 1,000 test problems (`--problem-seed 1000`) at budgets
# 0, 64, 128, 200, 400; compare with
#   python3 bench/experiments/paired_comparison.py OUT/s1/eval-rl:OUT/s1/eval-control …
#   python3 bench/experiments/beyond_human_search.py OUT 64,128,200
# Usage: bench/experiments/experiment_programs.sh OUT [SEEDS]   (default seeds: 1 2 3)
# Finished seeds and evaluations are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: experiment_programs.sh OUT [SEEDS]}
seeds=${2:-1 2 3}
source bench/lib/private_binary.sh && private_binary "$out"
bin=$out/strawberry
for seed in $seeds; do
  d=$out/s$seed
  mkdir -p "$d"
  if [ ! -f "$d/run/eval-control.json" ]; then
    rm -rf "${d:?}/run"
    $bin train --task programs --difficulty 1 --preset micro --context 640 --max-thinking 410 \
      --sft-steps 1200 --cut-thinking 0.5 \
      --rl-method expert-iteration --budget 128 --ei-problems 1200 --ei-samples 8 --ei-steps 150 --ei-cut-thinking 0.5 \
      --control-steps 150 --eval-problems 100 --budgets 128 --seed "$seed" --out "$d/run" > "$d/train.log" 2>&1
  fi
  for arm in sft rl control; do
    [ -f "$d/eval-$arm/eval.json" ] && continue
    $bin eval --model "$d/run/$arm" --task programs --difficulty 1 --n 1000 --problem-seed 1000 --seed "$seed" \
      --budgets 0,64,128,200,400 --max-answer 24 --out "$d/eval-$arm" > "$d/eval-$arm.log" 2>&1
  done
done
