#!/usr/bin/env bash
# Issue 5's experiments: answer-only vs human-trace SFT vs SFT+RL, and pure vs tool-assisted
# thinking, each over several seeds, at the quickstart's size (micro, Countdown-3, 1200 SFT steps,
# 30 GRPO steps at budget 200, no thinking cut in SFT: train's defaults before expert iteration
# replaced GRPO). Every run is `strawberry train`; the table (mean and spread over seeds) comes from
# summarize_experiment.py reading each run's eval-sft.json / eval-rl.json.
# Usage: bench/experiments/experiment_thinking.sh [OUT=runs/experiment] [SEEDS="1 2 3"] [STYLES="none human tool"]
#        [EXTRA="more strawberry train options", e.g. "--context 512 --max-thinking 400 --rl-steps 0"]
# About 10–12 minutes per run on 2 cores; runs already finished are skipped, so it can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/experiment}
seeds=${SEEDS:-1 2 3}
styles=${STYLES:-none human tool}
extra=${EXTRA:-}
source bench/lib/private_binary.sh && private_binary "$out"
for seed in $seeds; do
  for style in $styles; do
    run="$out/$style-s$seed"
    if [ -f "$run/done" ] || { [ -f "$run/eval-sft.json" ] && { [ "$style" = none ] || [ -f "$run/eval-rl.json" ]; }; }; then continue; fi
    rm -rf "$run"
    echo "== $run" >&2
    "$out/strawberry" train --task countdown --difficulty 3 --preset micro --traces "$style" \
      --rl-method grpo --budget 200 --cut-thinking 0 \
      --seed "$seed" --out "$run" $extra > "$run.log" 2>&1 || { echo "failed: see $run.log" >&2; exit 1; }
    touch "$run/done"
  done
done
python3 bench/experiments/summarize_experiment.py "$out"
