#!/usr/bin/env bash
# Expert iteration against a compute-matched SFT control on the fixed 1,000 test problems (issue 17).
# Per seed, from the untagged micro model of experiment_budget_tags.sh (SOURCE/plain-s<seed>: 1,200
# SFT steps on its 20,000 human traces):
#   cut      400 more SFT steps with half of the thinking cut at random (`sft --cut-thinking 0.5`),
#            so that a budget's cut is familiar; every arm below starts from it.
#   control  300 SFT steps (lr 3e-4) on the same human traces, half the thinking cut.
#   ei       one round of expert iteration at budget 128: 8 samples at temperature 1 for 3,000
#            training problems, the shortest correct one kept, 300 SFT steps (lr 3e-4) on them
#            (`distill --teacher cut --student cut`).
#   ei-clean as ei, keeping only samples whose thinking has no arithmetic slip, false "yes" or
#            missed solution (`distill --clean-thinking`): the verifier checks the steps too.
#   ei-mix   the same kept samples mixed 1:1 with human traces (half of their thinking cut at a
#            uniform point, its forced </think> not learned), 300 SFT steps (lr 3e-4), as ReST-EM
#            and RAFT mix their own samples with the data they started from.
#   ei-partly-mix  as ei-mix, but only the kept samples of problems that fewer than 8 of their 8
#            samples solved (ReST-EM's filter, `partly_solved.py`): a problem every sample solves
#            is one the model already does.
#   ei-partly  those samples alone, 300 SFT steps (lr 3e-4).
#   ei-cut   the same kept samples, 300 SFT steps (lr 3e-4) with half of their thinking cut at a
#            uniform point, as the control's steps cut the human traces: answering after any cut
#            stays in practice (plain ei lost 6-8 points to the control at budgets 0-64).
#   ei-wide  as ei, but the teacher samples WIDE_PROBLEMS (default 12,000) training problems, so
#            the same 300 steps see about one epoch of four times as many kept problems instead
#            of four epochs of ~1,300 (named in ARMS only: it samples four times as long).
#   ei-wide-long  ei at four times the scale: 1,200 SFT steps (lr 3e-4) on ei-wide's kept samples
#            (as many epochs as ei's 300 steps on its ~1,300), against
#   control-long  1,200 SFT steps on the human traces, as control (named in ARMS only, both).
#   ei400    as ei, but the teacher samples at budget 400, where the whole search fits (named in
#            ARMS only): does selecting among whole searches lift the accuracy after one?
# With ROUNDS=2, a second round on top of the first: ei2, the ei model's expert iteration on 3,000
# fresh training problems (`--seed` + 100 picks others), against control2, the control given 300
# more SFT steps on the human traces.
# Then every model greedy on the same 1,000 problems (`--problem-seed 1000`) at budgets
# 0, 64, 128, 200, 400; compare with
#   python3 bench/experiments/paired_comparison.py OUT/s1/eval-ei:OUT/s1/eval-control …
# Usage: bench/experiments/experiment_expert_iteration.sh SOURCE OUT [SEEDS]   (default seeds: 1 2 3)
# ARMS="cut control ei" leaves out the arms it does not name (cut and control always run, and ei's
# harvest; ei's student trains its 300 steps only when ei is named, one step otherwise).
# About 25 minutes per seed on one thread. Finished steps are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source_runs=${1:?usage: experiment_expert_iteration.sh SOURCE OUT [SEEDS]}
out=${2:?usage: experiment_expert_iteration.sh SOURCE OUT [SEEDS]}
seeds=${3:-1 2 3}
rounds=${ROUNDS:-1}
arms=${ARMS:-cut control ei ei-clean ei-mix ei-cut}
wants() { [[ " $arms " == *" $1 "* ]]; }
if [ "$rounds" = 2 ] && ! wants ei; then echo "ROUNDS=2 continues from the ei arm: name it in ARMS" >&2; exit 1; fi
source bench/lib/private_binary.sh && private_binary "$out"
bin=$out/strawberry
for seed in $seeds; do
  base=$source_runs/plain-s$seed
  [ -e "$base/sft/latest" ] || { echo "missing $base/sft: run experiment_budget_tags.sh first" >&2; exit 1; }
  d=$out/s$seed
  mkdir -p "$d"
  sft() { # NAME MODEL DATA SEED [extra sft options]
    local name=$1 model=$2 data=$3 s=$4; shift 4
    [ -f "$d/$name/done" ] && return
    rm -rf "${d:?}/$name"
    $bin sft --model "$model" --data "$data" --out "$d/$name" --seed "$s" --checkpoint-every 1000 --log-every 100 "$@" \
      > "$d/$name.log" 2>&1
    touch "$d/$name/done"
  }
  sft cut "$base/sft" "$base/sft.jsonl" $((seed + 200)) --steps 400 --lr 5e-4 --cut-thinking 0.5
  sft control "$d/cut" "$base/sft.jsonl" $((seed + 300)) --steps 300 --lr 3e-4 --cut-thinking 0.5
  expert_iteration() { # NAME TEACHER BUDGET PROBLEMS SEED [extra distill options]
    local name=$1 teacher=$2 budget=$3 problems=$4 s=$5 steps=300; shift 5
    [ -f "$d/$name/comparison.json" ] && return
    rm -rf "${d:?}/$name"
    [ "$name" = ei ] && ! wants ei && steps=1
    $bin distill --teacher "$teacher" --student "$teacher" --budget "$budget" --samples 8 --temperature 1 \
      --problems "$problems" --steps $steps --lr 3e-4 --no-baseline --eval-problems 20 --budgets 128 --cost-problems 1 \
      --seed "$s" --out "$d/$name" "$@" > "$d/$name.log" 2>&1
  }
  expert_iteration ei "$d/cut" 128 3000 "$seed"
  if wants ei-clean; then expert_iteration ei-clean "$d/cut" 128 3000 "$seed" --clean-thinking; fi
  if wants ei-wide; then expert_iteration ei-wide "$d/cut" 128 "${WIDE_PROBLEMS:-12000}" "$seed"; fi
  if wants ei400; then expert_iteration ei400 "$d/cut" 400 3000 "$seed"; fi
  if wants ei-mix; then
    python3 bench/experiments/mix_with_human.py "$d/ei/distill.jsonl" "$base/sft.jsonl" "$seed" > "$d/mix.jsonl"
    sft ei-mix "$d/cut" "$d/mix.jsonl" $((seed + 300)) --steps 300 --lr 3e-4
  fi
  if wants ei-partly || wants ei-partly-mix; then
    python3 bench/experiments/partly_solved.py "$d/ei/distill.jsonl" 8 > "$d/partly.jsonl" 2> "$d/partly.log"
    wants ei-partly && sft ei-partly "$d/cut" "$d/partly.jsonl" $((seed + 300)) --steps 300 --lr 3e-4
    if wants ei-partly-mix; then
      python3 bench/experiments/mix_with_human.py "$d/partly.jsonl" "$base/sft.jsonl" "$seed" > "$d/partly-mix.jsonl"
      sft ei-partly-mix "$d/cut" "$d/partly-mix.jsonl" $((seed + 300)) --steps 300 --lr 3e-4
    fi
  fi
  wants control-long && sft control-long "$d/cut" "$base/sft.jsonl" $((seed + 300)) --steps 1200 --lr 3e-4 --cut-thinking 0.5
  wants ei-wide-long && sft ei-wide-long "$d/cut" "$d/ei-wide/distill.jsonl" $((seed + 300)) --steps 1200 --lr 3e-4
  wants ei-cut && sft ei-cut "$d/cut" "$d/ei/distill.jsonl" $((seed + 300)) --steps 300 --lr 3e-4 --cut-thinking 0.5
  evaluated=$arms
  if [ "$rounds" = 2 ]; then
    sft control2 "$d/control" "$base/sft.jsonl" $((seed + 600)) --steps 300 --lr 3e-4 --cut-thinking 0.5
    expert_iteration ei2 "$d/ei/student" 128 3000 $((seed + 100))
    evaluated="$evaluated control2 ei2"
  fi
  for arm in $evaluated; do
    model=$d/$arm; case $arm in ei|ei2|ei-clean|ei-wide|ei400) model=$d/$arm/student ;; esac
    [ -f "$d/eval-$arm/eval.json" ] && continue
    $bin eval --model "$model" --task countdown --difficulty 3 --n 1000 --problem-seed 1000 --seed "$seed" \
      --budgets 0,64,128,200,400 --max-answer 24 --out "$d/eval-$arm" > "$d/eval-$arm.log" 2>&1
  done
done
