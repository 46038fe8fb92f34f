#!/usr/bin/env bash
# GRPO with rewards at several cuts of one rollout (issue 17, item 4) against its compute-matched
# SFT control, on the fixed 1,000 test problems. Per seed:
#   start    OUT/plain-s<seed>: the micro model after 1,200 SFT steps on 20,000 shuffled-order
#            traces, half of the thinking cut (`train --search-order shuffled --ei-rounds 0`), so
#            that samples of one problem open differently and there is a search to choose.
#   anytime  RL_STEPS GRPO steps of PROBLEMS fresh training problems × 8 samples at thinking budget
#            200 (the whole search fits), every rollout also answered at 32, 64 and 128
#            (`rl --reward-cuts 32,64,128`): a thinking token earns the rewards of the cuts after
#            it and of the whole rollout, so a search that reaches the answer sooner earns more.
#   grpo     the same GRPO with one reward per rollout at budget 128 (named in ARMS only): what
#            the cuts add.
#   control  as many SFT steps of 16 on the human traces (half of the thinking cut, lr 3e-4) as
#            RL's updates see sequences: RL_STEPS × PROBLEMS × 8 / 16. RL's sampling is on top.
# Then every model greedy on the same 1,000 problems (`--problem-seed 1000`) at budgets
# 0, 64, 128, 200, 400; compare with
#   python3 bench/experiments/paired_comparison.py OUT/s1/eval-anytime:OUT/s1/eval-control …
# Usage: bench/experiments/experiment_anytime_grpo.sh OUT [SEEDS]   (default seeds: 1 2 3)
# RL_STEPS (75), RL_LR (5e-5), PROBLEMS (16), ARMS ("start control anytime").
# About 25 minutes per seed on one thread, the start model's 20 more. Finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: experiment_anytime_grpo.sh OUT [SEEDS]}
seeds=${2:-1 2 3}
steps=${RL_STEPS:-75}
lr=${RL_LR:-5e-5}
problems=${PROBLEMS:-16}
arms=${ARMS:-start control anytime}
control_steps=$((steps * problems * 8 / 16))
source bench/lib/private_binary.sh && private_binary "$out"
bin=$out/strawberry
for seed in $seeds; do
  base=$out/plain-s$seed
  [ -e "$base/sft/latest" ] || "$bin" train --preset micro --search-order shuffled --ei-rounds 0 --seed "$seed" \
    --eval-problems 100 --budgets 128,200 --out "$base" > "$base.log" 2>&1
  d=$out/s$seed
  mkdir -p "$d"
  for arm in $arms; do
    case $arm in
      start) model=$base/sft ;;
      control)
        model=$d/control
        if [ ! -f "$model/done" ]; then
          rm -rf "$model"
          "$bin" sft --model "$base/sft" --data "$base/sft.jsonl" --out "$model" --seed $((seed + 300)) --steps "$control_steps" \
            --lr 3e-4 --cut-thinking 0.5 --checkpoint-every 1000 --log-every 100 > "$d/control.log" 2>&1
          touch "$model/done"
        fi ;;
      anytime|grpo)
        model=$d/$arm
        if [ ! -f "$model/done" ]; then
          rm -rf "$model"
          if [ "$arm" = anytime ]; then rollout=(--budget 200 --reward-cuts 32,64,128); else rollout=(--budget 128); fi
          "$bin" rl --model "$base/sft" --out "$model" --steps "$steps" --problems "$problems" --group 8 "${rollout[@]}" \
            --lr "$lr" --wrong-reward 0 --seed "$seed" --checkpoint-every "$steps" > "$d/$arm.log" 2>&1
          touch "$model/done"
        fi ;;
      *) echo "unknown arm $arm" >&2; exit 1 ;;
    esac
    [ -f "$d/eval-$arm/eval.json" ] && continue
    "$bin" eval --model "$model" --task countdown --difficulty 3 --n 1000 --problem-seed 1000 --seed "$seed" \
      --budgets 0,64,128,200,400 --max-answer 24 --out "$d/eval-$arm" > "$d/eval-$arm.log" 2>&1
  done
done
