#!/usr/bin/env bash
# RL under a budget the model can see (issue 17, items 2 and 4): does expert iteration at a budget
# shown in the prompt teach the model to use that budget? Per seed, from the model of
# experiment_budget_tags.sh that reads its budget (SOURCE/tagged-s<seed>: 1,200 SFT steps, each
# example at one of the levels 0, 32, 64, 128, 200, 400):
#   ei       one round of expert iteration at budget 128, the prompt carrying `budget: 128`: 8 samples
#            at temperature 1 for 3,000 training problems, the shortest correct kept and learned
#            under that line, 300 SFT steps (lr 3e-4).
#   ei-mix   the same kept samples (each under `budget: 128`, distill.jsonl's "budget_level") mixed
#            1:1 with human traces (each at a level drawn per batch, none cut otherwise), 300 SFT
#            steps (lr 3e-4) from the same start, as ReST-EM mixes: the other lines keep their practice.
#   ei-partly-mix  as ei-mix, but only the kept samples of problems that fewer than 8 of their 8
#            samples solved (ReST-EM's filter, `partly_solved.py`), mixed 1:1 with human traces.
#   ei-partly  those samples alone, 300 SFT steps.
#   control  300 SFT steps (lr 3e-4) on the same human traces the model started from, each at a
#            level drawn from all six.
# Then, each on the same 1,000 test problems (`--problem-seed 1000`), greedy, as
# experiment_budget_tags.sh measures the model it starts from: ARM-evals/eval-own (budgets 0-400,
# each with its own line), eval-swap (budget 128 with the line of 400), eval-free-L (budget 400
# with line L), for
#   python3 bench/experiments/budget_awareness.py OUT/s1/ei-evals OUT/s2/ei-evals OUT/s3/ei-evals
#   python3 bench/experiments/paired_comparison.py OUT/s1/ei-evals/eval-own:OUT/s1/control-evals/eval-own …
# Usage: bench/experiments/experiment_budget_rl.sh SOURCE OUT [SEEDS]   (default seeds: 1 2 3)
# ARMS="ei ei-mix ei-partly ei-partly-mix control start" adds the mixed and filtered arms and the
# start's evaluations (default "ei control"; without ei the harvest's student trains one step, not
# 300); MATMUL=bfloat16 trains every
# arm with `--matmul bfloat16` (as its start was trained, to compare like with like).
# About 25 minutes per seed on one thread (35 with ei-mix and start, three seeds side by side on two
# cores, 512-token context). Finished steps are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source_runs=${1:?usage: experiment_budget_rl.sh SOURCE OUT [SEEDS]}
out=${2:?usage: experiment_budget_rl.sh SOURCE OUT [SEEDS]}
seeds=${3:-1 2 3}
arms=${ARMS:-ei control}
wants() { [[ " $arms " == *" $1 "* ]]; }
matmul=(); [ -n "${MATMUL:-}" ] && matmul=(--matmul "$MATMUL")
source bench/lib/private_binary.sh && private_binary "$out"
bin=$out/strawberry
for seed in $seeds; do
  base=$source_runs/tagged-s$seed
  [ -e "$base/sft/latest" ] || { echo "missing $base/sft: run experiment_budget_tags.sh first" >&2; exit 1; }
  d=$out/s$seed
  mkdir -p "$d"
  if [ ! -f "$d/ei/comparison.json" ]; then
    rm -rf "$d/ei"
    # Without the ei arm only the harvest is wanted: its student gets one step.
    steps=1; wants ei && steps=300
    $bin distill --teacher "$base/sft" --student "$base/sft" --budget 128 --samples 8 --temperature 1 --problems 3000 \
      --steps $steps --lr 3e-4 --no-baseline --eval-problems 20 --budgets 128 --cost-problems 1 --seed "$seed" \
      "${matmul[@]}" --out "$d/ei" > "$d/ei.log" 2>&1
  fi
  sft() { # NAME DATA
    [ -f "$d/$1/done" ] && return
    rm -rf "${d:?}/$1"
    $bin sft --model "$base/sft" --data "$2" --out "$d/$1" --seed $((seed + 300)) --steps 300 --lr 3e-4 \
      --checkpoint-every 1000 --log-every 100 "${matmul[@]}" > "$d/$1.log" 2>&1
    touch "$d/$1/done"
  }
  if wants ei-mix; then
    python3 bench/experiments/mix_with_human.py "$d/ei/distill.jsonl" "$base/sft.jsonl" "$seed" 0 > "$d/mix.jsonl"
    sft ei-mix "$d/mix.jsonl"
  fi
  if wants ei-partly || wants ei-partly-mix; then
    python3 bench/experiments/partly_solved.py "$d/ei/distill.jsonl" 8 > "$d/partly.jsonl" 2> "$d/partly.log"
    wants ei-partly && sft ei-partly "$d/partly.jsonl"
    if wants ei-partly-mix; then
      python3 bench/experiments/mix_with_human.py "$d/partly.jsonl" "$base/sft.jsonl" "$seed" 0 > "$d/partly-mix.jsonl"
      sft ei-partly-mix "$d/partly-mix.jsonl"
    fi
  fi
  sft control "$base/sft.jsonl"
  for arm in $arms; do
    model=$d/$arm; [ $arm = ei ] && model=$d/ei/student; [ $arm = start ] && model=$base/sft
    e=$d/$arm-evals
    mkdir -p "$e"
    common=(--model "$model" --task countdown --difficulty 3 --n 1000 --problem-seed 1000 --seed "$seed")
    run() { [ -f "$e/$1/eval.json" ] || $bin eval "${common[@]}" "${@:2}" --out "$e/$1" > "$e/$1.log" 2>&1; }
    run eval-own --budgets 0,32,64,128,200,400
    run eval-swap --budgets 128 --budget-tag 400
    for level in 0 32 64 128 200 400; do run eval-free-$level --budgets 400 --budget-tag $level; done
  done
done
