#!/usr/bin/env bash
# Issue 5: does a second pass over the same worked solutions help? Continues each SFT model of an
# experiment (bench/experiments/experiment_thinking.sh) for STEPS more steps with a fresh warmup-cosine
# schedule peaking at LR (`strawberry sft --model`), with a new data order, then evaluates it as
# the pipeline did (same seed → same test problems, same budgets and strategies; answer-only
# models with --no-thinking). Writes OUT/<style>-s<seed>/{sft.jsonl,sft,eval-sft.json}, so
# summarize_experiment.py prints the table and OUT can be continued in turn; both runs of a
# style get the same extra steps. CUT=p cuts the thinking of that share of examples at a random
# point (`sft --cut-thinking`); the data order's seed is the run's seed + SEED_OFFSET.
# Usage: bench/experiments/experiment_more_sft.sh [EXPERIMENT=runs/long] [OUT=runs/long-more] [SEEDS="1 2 3"]
#        [STYLES="none human"] [STEPS=1200] [LR=1e-3] [CUT=0] [SEED_OFFSET=100]
#        [BUDGETS=0,64,128,200,300,400]
# About 18 minutes per human-trace seed at context 512 on 2 cores (alone), 3 per answer-only seed.
# Finished seeds are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
experiment=${1:-runs/long}
out=${2:-runs/long-more}
seeds=${SEEDS:-1 2 3}
styles=${STYLES:-none human}
steps=${STEPS:-1200}
lr=${LR:-1e-3}
cut=${CUT:-0}
seed_offset=${SEED_OFFSET:-100}
budgets=${BUDGETS:-0,64,128,200,300,400}
source bench/lib/private_binary.sh && private_binary "$out"
for seed in $seeds; do
  for style in $styles; do
    from="$experiment/$style-s$seed"
    run="$out/$style-s$seed"
    [ -f "$run/eval-sft.json" ] && continue
    [ -d "$from/sft" ] || { echo "missing $from/sft: run bench/experiments/experiment_thinking.sh first" >&2; exit 1; }
    echo "== $run" >&2
    rm -rf "$run" && mkdir -p "$run" && cp "$from/sft.jsonl" "$run/sft.jsonl"
    "$out/strawberry" sft --model "$from/sft" --data "$run/sft.jsonl" --out "$run/sft" --steps "$steps" --lr "$lr" \
      --cut-thinking "$cut" --seed $((seed + seed_offset)) --checkpoint-every 400 --log-every 100 > "$run.log" 2>&1
    thinking=$([ "$style" = none ] && echo "--no-thinking" || echo "")
    "$out/strawberry" eval --model "$run/sft" --n 100 --seed "$seed" --budgets "$budgets" \
      --strategies single,best-of-n:4 $thinking --out "$run/eval" >> "$run.log" 2>&1
    cp "$run/eval/eval.json" "$run/eval-sft.json"
  done
done
python3 bench/experiments/summarize_experiment.py "$out"
