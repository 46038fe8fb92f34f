#!/usr/bin/env bash
# A budget the model can see (issue 17): for each seed, one model trained with the budget line in
# its prompts (`--budget-tags default`) and one without, the same data, steps and seed; then every
# evaluation on the same 1,000 test problems (`--problem-seed 1000`).
# Usage: bench/experiments/experiment_budget_tags.sh OUT [SEEDS]   (default seeds: 1 2 3)
#   LEVELS=0,32,64,128,192 trains that ladder instead of the default (0,32,64,128,200,400); the
#   swap shows the largest level. ARMS="tagged" leaves out the untagged arm (default "tagged plain").
#   TOP_SHARE=0.5 shows the largest level to half of the tagged examples (train --budget-top-share).
#   BRIEF_BELOW=192 shows the levels below 192 the brief worked solutions (train --brief-below);
#   BRIEF_TRACES=hurried shows them the hurried search instead (train --brief-traces).
#   PRESET=small trains that preset instead of micro (about three times as long).
#   CONTEXT=512 MAX_THINKING=400 trains with that context and keeps worked solutions up to that many
#   thinking tokens (default: the preset's 256 and 170), so that the whole search fits for most problems.
#   MATMUL=bfloat16 trains with `--matmul bfloat16`.
#   STAGED=400 (with ARMS="plain tagged") trains the tagged model in two stages: the plain model's
#   SFT, then that many steps more under the budget lines (`sft --budget-tags`, lr 5e-4), so it
#   learns the search before it learns to cut it. With ARMS="plain tagged cut", cut-s<seed> gives
#   the plain model the same steps with half of the thinking cut (`--cut-thinking 0.5`, the untagged
#   start of experiment_expert_iteration.sh), evaluated on the same problems at every budget up to 400.
# Then: python3 bench/experiments/budget_awareness.py OUT/tagged-s1 OUT/tagged-s2 OUT/tagged-s3 [--swap-tag TOP]
#       python3 bench/experiments/paired_comparison.py OUT/tagged-s1/eval-own:OUT/plain-s1/eval-own …
# About 25 minutes per seed on 2 cores (two 1,200-step SFT runs of the micro model).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: experiment_budget_tags.sh OUT [SEEDS]}
seeds=${2:-1 2 3}
source bench/lib/private_binary.sh && private_binary "$out"
bin=$out/strawberry
n=1000
common=(--task countdown --difficulty 3 --n $n --problem-seed 1000)
levels=${LEVELS:-default}
if [ "$levels" = default ]; then ladder=(0 32 64 128 200 400); own=0,32,64,128,200
else IFS=, read -ra ladder <<< "$levels"; own=$levels; fi
top=${ladder[${#ladder[@]}-1]}
length=()
[ -n "${CONTEXT:-}" ] && length+=(--context "$CONTEXT")
[ -n "${MAX_THINKING:-}" ] && length+=(--max-thinking "$MAX_THINKING")
matmul=(); [ -n "${MATMUL:-}" ] && matmul=(--matmul "$MATMUL")
staged=${STAGED:-0}
# STAGED more SFT steps of the plain model of this seed into RUN/sft (with the extra options), once.
more_sft() { # RUN SEED EXTRA…
  local run=$1 seed=$2 plain=$out/plain-s$2
  [ -e "$plain/sft/latest" ] || { echo "STAGED needs the plain arm first: ARMS=\"plain tagged\"" >&2; exit 1; }
  mkdir -p "$run"; ln -sfn "../plain-s$seed/sft.jsonl" "$run/sft.jsonl"
  [ -e "$run/sft/latest" ] || $bin sft --model "$plain/sft" --data "$plain/sft.jsonl" --out "$run/sft" --steps "$staged" \
    --lr 5e-4 --seed $((seed + 200)) --checkpoint-every 1000 --log-every 100 "${matmul[@]}" "${@:3}" > "$run.log" 2>&1
}
for seed in $seeds; do
  for arm in ${ARMS:-tagged plain}; do
    [ $arm = cut ] && continue
    run=$out/$arm-s$seed
    tags=(); [ $arm = tagged ] && tags=(--budget-tags "$levels" --budget-top-share "${TOP_SHARE:-0}" --brief-below "${BRIEF_BELOW:-0}")
    [ $arm = tagged ] && [ -n "${BRIEF_TRACES:-}" ] && tags+=(--brief-traces "$BRIEF_TRACES")
    if [ $arm = tagged ] && [ "$staged" -gt 0 ]; then
      more_sft "$run" "$seed" "${tags[@]}"
    else
      [ -e "$run/sft/latest" ] || $bin train --preset "${PRESET:-micro}" --out "$run" "${tags[@]}" "${length[@]}" --cut-thinking 0 \
        --ei-rounds 0 --seed "$seed" "${matmul[@]}" > "$run.log" 2>&1
    fi
    $bin eval --model "$run/sft" "${common[@]}" --seed "$seed" --budgets "$own" --out "$run/eval-own" > /dev/null 2>&1
  done
  if [ "$staged" -gt 0 ] && [[ " ${ARMS:-} " == *" cut "* ]]; then
    more_sft "$out/cut-s$seed" "$seed" --cut-thinking 0.5
    $bin eval --model "$out/cut-s$seed/sft" "${common[@]}" --seed "$seed" --budgets 0,32,64,128,200,400 \
      --out "$out/cut-s$seed/eval-own" > /dev/null 2>&1
  fi
  [[ " ${ARMS:-tagged plain} " == *" tagged "* ]] || continue
  run=$out/tagged-s$seed
  $bin eval --model "$run/sft" "${common[@]}" --seed "$seed" --budgets 128 --budget-tag "$top" --out "$run/eval-swap" > /dev/null 2>&1
  for level in "${ladder[@]}"; do
    $bin eval --model "$run/sft" "${common[@]}" --seed "$seed" --budgets 400 --budget-tag $level --out "$run/eval-free-$level" > /dev/null 2>&1
  done
done
