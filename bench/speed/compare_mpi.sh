#!/usr/bin/env bash
# Scale-out on this machine: 2 MPI ranks × 1 thread against 1 process × 2 threads, for training
# (`bench train`, the same synthetic global batch; and `sft` on Countdown data) and for RL
# rollouts (`rl`, rollout tokens/s), and against PyTorch DDP (gloo, torchrun --nproc_per_node 2)
# on the same model and global batch, side by side in one run.
#   bench/speed/compare_mpi.sh [preset] [global batch] [rounds]
# Needs Open MPI (Debian: libopenmpi-dev openmpi-bin); builds strawberry with --traits MPI into
# .build-mpi. PyTorch comes from PyPI into .venvs/torch (bench/requirements/torch.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
preset=${1:-small}; batch=${2:-16}; rounds=${3:-2}
command -v mpirun >/dev/null || { echo "mpirun not found: apt-get install libopenmpi-dev openmpi-bin" >&2; exit 1; }
source bench/lib/venv.sh && python=$(python_env torch)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
swift build -c release --traits MPI --scratch-path .build-mpi --product strawberry >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
bin=.build-mpi/release/strawberry
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$bin" bench train --preset tiny --steps 1 >/dev/null   # warm the binary's pages
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(grep -o -m1 -w 'avx512f' /proc/cpuinfo || echo 'no AVX-512'), $(nproc) cores; $(mpirun --version | head -1)"
tokens() { awk '/^tokens\/s/ {print $2}'; }
last_metric() { python3 -c "import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; print(sum(r[sys.argv[2]] for r in rows[1:]) / max(len(rows) - 1, 1))" "$@"; }
"$bin" data --n 2000 --max-thinking 200 > "$work/sft.jsonl" 2>/dev/null
STRAWBERRY_THREADS=2 "$bin" sft --data "$work/sft.jsonl" --preset "$preset" --steps 1 --out "$work/start" >/dev/null 2>&1
for round in $(seq "$rounds"); do
  one=$(STRAWBERRY_THREADS=2 "$bin" bench train --preset "$preset" --batch-size "$batch" --steps 10 | tokens)
  two=$(mpirun -np 2 "$bin" bench train --preset "$preset" --batch-size "$batch" --steps 10 | tokens)
  ddp=$(cd bench/speed && OMP_NUM_THREADS=1 "$python" -m torch.distributed.run --nproc_per_node 2 \
        pytorch_ddp_train.py --preset "$preset" --batch-size "$batch" --steps 10 2>/dev/null | grep '^{')
  rm -rf "$work"/s1 "$work"/s2 "$work"/r1 "$work"/r2
  STRAWBERRY_THREADS=2 "$bin" sft --data "$work/sft.jsonl" --preset "$preset" --steps 21 --batch-size "$batch" --out "$work/s1" >/dev/null 2>&1
  mpirun -np 2 "$bin" sft --data "$work/sft.jsonl" --preset "$preset" --steps 21 --batch-size "$batch" --out "$work/s2" >/dev/null 2>&1
  rl=(rl --model "$work/start" --steps 3 --problems 8 --group 8 --budget 128)
  STRAWBERRY_THREADS=2 "$bin" "${rl[@]}" --out "$work/r1" >/dev/null 2>&1
  mpirun -np 2 "$bin" "${rl[@]}" --out "$work/r2" >/dev/null 2>&1
  python3 - "$round" "$one" "$two" "$ddp" \
    "$(last_metric "$work/s1/metrics.jsonl" tokens_per_s)" "$(last_metric "$work/s2/metrics.jsonl" tokens_per_s)" \
    "$(last_metric "$work/r1/metrics.jsonl" rollout_tokens_per_s)" "$(last_metric "$work/r2/metrics.jsonl" rollout_tokens_per_s)" <<'PY'
import json, sys
rnd, one, two = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ddp = json.loads(sys.argv[4]); sft1, sft2, rl1, rl2 = map(float, sys.argv[5:9])
print(f"round {rnd}: {ddp['preset']} global batch {ddp['batch']}x{ddp['length']}, torch {ddp['torch']}")
print(f"  bench train: 1 process x 2 threads {one:.0f} tok/s, 2 ranks x 1 thread {two:.0f} tok/s (x{two / one:.2f}); "
      f"pytorch DDP 2 processes {ddp['tokens_per_s']:.0f} tok/s (strawberry 2 ranks x{two / ddp['tokens_per_s']:.2f})")
print(f"  sft (countdown): 1x2 {sft1:.0f} tok/s, 2x1 {sft2:.0f} tok/s (x{sft2 / sft1:.2f})")
print(f"  rl rollouts: 1x2 {rl1:.0f} tok/s, 2x1 {rl2:.0f} tok/s (x{rl2 / rl1:.2f})")
PY
done
