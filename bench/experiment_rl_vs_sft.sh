#!/usr/bin/env bash
# Issue 5: RL-family improvements of each seed's human-trace SFT model (from
# bench/experiment_thinking.sh), evaluated greedily with the SFT model on the same 200 test
# problems at budgets 64/96/128/200; summarize_rl_vs_sft.py prints the table over seeds.
#   grpo-tight        GRPO whose rollouts get a 96-token thinking budget (the human-style traces
#                     run ~115–125): `strawberry rl`, 40 steps of 16 problems × 8, lr 2e-5, KL 0.02.
#                     Writes OUT/rl-s<seed>, OUT/eval-sft-s<seed>, OUT/eval-rl-s<seed>. ~7 min per seed.
#   expert-iteration  the model samples 4 completions (temperature 0.7, budget 200) for 3,000
#                     training problems, the verifier keeps the shortest correct one per problem, and
#                     the model is fine-tuned on them (300 steps, lr 3e-4): `strawberry distill
#                     --teacher M --student M`. Writes OUT/s<seed>. ~11 min per seed.
# Usage: bench/experiment_rl_vs_sft.sh METHOD [EXPERIMENT=runs/experiment] [OUT=runs/METHOD] [SEEDS="1 2 3"]
#        [RL_BUDGET=96] [RL_LR=2e-5] [RL_STEPS=40] [RL_EXTRA="--wrong-reward 0"] [EVAL_BUDGETS=64,96,128,200]
#        (grpo-tight's rollout budget, learning rate, steps and further `strawberry rl` options, and
#        the budgets both models are evaluated at)
# Finished seeds are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
method=${1:?usage: bench/experiment_rl_vs_sft.sh grpo-tight|expert-iteration [EXPERIMENT] [OUT]}
experiment=${2:-runs/experiment}
out=${3:-runs/$method}
seeds=${SEEDS:-1 2 3}
rl_budget=${RL_BUDGET:-96}
rl_lr=${RL_LR:-2e-5}
rl_steps=${RL_STEPS:-40}
rl_extra=${RL_EXTRA:-}
eval_budgets=${EVAL_BUDGETS:-64,96,128,200}
source bench/private_binary.sh && private_binary "$out"
for seed in $seeds; do
  sft="$experiment/human-s$seed/sft"
  [ -d "$sft" ] || { echo "missing $sft: run bench/experiment_thinking.sh first" >&2; exit 1; }
  case "$method" in
    grpo-tight)
      rl="$out/rl-s$seed"
      if [ ! -f "$rl/done" ]; then
        rm -rf "$rl"
        "$out/strawberry" rl --model "$sft" --out "$rl" --steps "$rl_steps" --problems 16 --group 8 --lr "$rl_lr" --kl 0.02 \
          --budget "$rl_budget" --seed "$seed" $rl_extra > "$rl.log" 2>&1
        touch "$rl/done"
      fi
      for stage in sft rl; do
        model=$([ "$stage" = sft ] && echo "$sft" || echo "$rl")
        [ -f "$out/eval-$stage-s$seed/eval.json" ] && continue
        "$out/strawberry" eval --model "$model" --n 200 --budgets "$eval_budgets" --out "$out/eval-$stage-s$seed" \
          > "$out/eval-$stage-s$seed.log" 2>&1
      done ;;
    expert-iteration)
      [ -f "$out/s$seed/comparison.json" ] && continue
      rm -rf "$out/s$seed"
      "$out/strawberry" distill --teacher "$sft" --student "$sft" --steps 300 --lr 3e-4 --problems 3000 --samples 4 \
        --budgets 64,96,128,200 --eval-problems 200 --seed "$seed" --out "$out/s$seed" > "$out/s$seed.log" 2>&1 ;;
    *) echo "unknown method '$method': grpo-tight or expert-iteration" >&2; exit 2 ;;
  esac
done
python3 bench/summarize_rl_vs_sft.py "$out"
