#!/usr/bin/env bash
# Issue 16: does training with bfloat16 matrix products (`sft --matmul bfloat16`: operands rounded
# to bfloat16, sums in float32; vdpbf16ps where the CPU has AVX512-BF16) learn what float32 does?
# Per seed: one data file (20,000 worked solutions of at most 170 thinking tokens, as `train` and
# the quickstart make them for the 256-token context), then the same SFT run (micro preset, the
# quickstart's settings: 1,200 steps, batch 16, lr 2e-3, half the thinking cut) with --matmul
# float32 and bfloat16, each
# evaluated greedily on the fixed 1,000 test problems at budgets 0,64,128,200,400. Then
#   python3 bench/experiments/paired_comparison.py OUT/bfloat16-s1:OUT/float32-s1 ...
# prints the paired table, and the logs hold both loss curves (every 100 steps).
# Usage: bench/experiments/experiment_bf16_matmul.sh [OUT=runs/bf16-matmul] [SEEDS="1 2 3"]
# Runs two trainings at a time, one thread each. Finished runs are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/bf16-matmul}
seeds=${SEEDS:-1 2 3}
source bench/lib/private_binary.sh && private_binary "$out"
export STRAWBERRY_THREADS=1
run_arm() {
  local seed=$1 matmul=$2 run="$out/$2-s$1"
  [ -f "$run/eval/eval.json" ] && return
  rm -rf "$run" && mkdir -p "$run"
  "$out/strawberry" sft --data "$out/sft-s$seed.jsonl" --preset micro --out "$run/sft" --steps 1200 --batch-size 16 --lr 2e-3 \
    --cut-thinking 0.5 --seed "$seed" --checkpoint-every 400 --log-every 100 --matmul "$matmul" > "$run.log" 2>&1
  "$out/strawberry" eval --model "$run/sft" --task countdown --difficulty 3 --n 1000 --problem-seed 1000 --seed "$seed" \
    --budgets 0,64,128,200,400 --max-answer 24 --out "$run/eval" >> "$run.log" 2>&1
}
for seed in $seeds; do
  [ -f "$out/sft-s$seed.jsonl" ] || "$out/strawberry" data --task countdown --difficulty 3 --n 20000 --max-thinking 170 --seed "$seed" \
    > "$out/sft-s$seed.jsonl"
  run_arm "$seed" float32 &
  run_arm "$seed" bfloat16 &
  wait
done
