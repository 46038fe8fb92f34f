#!/usr/bin/env bash
# Issue 5: RL-family improvements of each seed's human-trace SFT model (from
# bench/experiments/experiment_thinking.sh), evaluated greedily with the SFT model on the same 200 test
# problems at budgets 64/96/128/200; summarize_rl_vs_sft.py prints the table over seeds.
#   grpo-tight        GRPO whose rollouts get a 96-token thinking budget (the human-style traces
#                     run ~115–125): `strawberry rl`, 40 steps of 16 problems × 8, lr 2e-5, KL 0.02.
#                     Writes OUT/rl-s<seed>, OUT/eval-sft-s<seed>, OUT/eval-rl-s<seed>. ~7 min per seed.
#   expert-iteration  the model samples 4 completions (temperature 0.7, budget 200) for 3,000
#                     training problems, the verifier keeps the shortest correct one per problem, and
#                     the model is fine-tuned on them (300 steps, lr 3e-4): `strawberry distill
#                     --teacher M --student M`. Writes OUT/s<seed>. ~11 min per seed.
#   sft-control       expert iteration's control: the same 300 steps at lr 3e-4 on the human traces
#                     instead of the model's own verified thinking, with half of the thinking cut
#                     (`strawberry sft --model M --cut-thinking 0.5`), evaluated on expert-iteration's
#                     test problems (seed S, 200 problems, EVAL_BUDGETS). Writes OUT/control-s<seed>
#                     and OUT/eval-control-s<seed>, beside expert-iteration's OUT/s<seed>. ~6 min per seed.
# Usage: bench/experiments/experiment_rl_vs_sft.sh METHOD [EXPERIMENT=runs/experiment] [OUT=runs/METHOD] [SEEDS="1 2 3"]
#        [RL_BUDGET=96] [RL_LR=2e-5] [RL_STEPS=40] [RL_EXTRA="--wrong-reward 0"] [EVAL_BUDGETS=64,96,128,200]
#        [EI_BUDGET=200] [EI_SAMPLES=4] [EI_TEMPERATURE=0.7] [EI_PROBLEMS=3000] [CONTROL_SEED_OFFSET=300]
#        (grpo-tight's rollout budget, learning rate, steps and further `strawberry rl` options; the
#        budgets both models are evaluated at; expert iteration's sampling budget, samples per
#        problem, temperature and training problems; the control's SFT seed is the seed plus
#        CONTROL_SEED_OFFSET, so a second round's control cuts and orders its traces afresh)
# A second round starts from the first round's models: point EXPERIMENT at a folder whose
# human-s<seed>/sft links to OUT/s<seed>/student (and, for the control, to OUT/control-s<seed>, with
# human-s<seed>/sft.jsonl linking to the human traces).
# Finished seeds are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
method=${1:?usage: bench/experiments/experiment_rl_vs_sft.sh grpo-tight|expert-iteration|sft-control [EXPERIMENT] [OUT]}
experiment=${2:-runs/experiment}
out=${3:-runs/$method}
seeds=${SEEDS:-1 2 3}
rl_budget=${RL_BUDGET:-96}
rl_lr=${RL_LR:-2e-5}
rl_steps=${RL_STEPS:-40}
rl_extra=${RL_EXTRA:-}
eval_budgets=${EVAL_BUDGETS:-64,96,128,200}
ei_budget=${EI_BUDGET:-200}
ei_samples=${EI_SAMPLES:-4}
ei_temperature=${EI_TEMPERATURE:-0.7}
ei_problems=${EI_PROBLEMS:-3000}
control_seed_offset=${CONTROL_SEED_OFFSET:-300}
source bench/lib/private_binary.sh && private_binary "$out"
for seed in $seeds; do
  sft="$experiment/human-s$seed/sft"
  [ -d "$sft" ] || { echo "missing $sft: run bench/experiments/experiment_thinking.sh first" >&2; exit 1; }
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
      "$out/strawberry" distill --teacher "$sft" --student "$sft" --steps 300 --lr 3e-4 --problems "$ei_problems" \
        --samples "$ei_samples" --budget "$ei_budget" --temperature "$ei_temperature" \
        --budgets "$eval_budgets" --eval-problems 200 --seed "$seed" --out "$out/s$seed" > "$out/s$seed.log" 2>&1 ;;
    sft-control)
      control="$out/control-s$seed"
      if [ ! -f "$control/done" ]; then
        rm -rf "$control"
        "$out/strawberry" sft --model "$sft" --data "$experiment/human-s$seed/sft.jsonl" --out "$control" --steps 300 \
          --lr 3e-4 --cut-thinking 0.5 --seed $((seed + control_seed_offset)) --checkpoint-every 400 --log-every 100 > "$control.log" 2>&1
        touch "$control/done"
      fi
      [ -f "$out/eval-control-s$seed/eval.json" ] && continue
      "$out/strawberry" eval --model "$control" --n 200 --seed "$seed" --max-answer 24 --budgets "$eval_budgets" \
        --out "$out/eval-control-s$seed" > "$out/eval-control-s$seed.log" 2>&1 ;;
    *) echo "unknown method '$method': grpo-tight, expert-iteration or sft-control" >&2; exit 2 ;;
  esac
done
python3 bench/experiments/summarize_rl_vs_sft.py "$out"
