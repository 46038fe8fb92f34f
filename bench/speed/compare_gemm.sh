#!/usr/bin/env bash
# Matrix-multiply GFLOP/s, Strawberry's Swift kernel vs OpenBLAS (numpy's bundled build, from
# PyPI), both on 2 threads: 256², 512², 1024² and the training attention's shape (`bench gemm`'s
# `attn` row, for the default preset). The two are measured in turns, ROUNDS times (which one goes
# first alternates), and each shape's ratio is the median of the rounds' ratios with their range:
# a VM's neighbours come and go within a minute, and one pass of each, one after the other, moved
# the 256² ratio between 0.45 and 1.33.
#   bench/speed/compare_gemm.sh [ROUNDS]   (default 5; 0.3 s a shape and kind per round)
# STRAWBERRY_BINARY=PATH measures that binary instead of building .build/release/strawberry.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "compare_gemm.sh: ROUNDS must be a whole number of rounds, at least 1 (got '$rounds')" >&2; exit 2; }
source bench/lib/venv.sh && python=$(python_env blas)
source bench/lib/strawberry_binary.sh && bin=$(strawberry_binary)
ours() { STRAWBERRY_THREADS=2 "$bin" bench gemm --seconds 0.3; }
# OpenBLAS picks its AVX2/AVX-512 kernels itself when no core type is forced.
theirs() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 "$python" bench/speed/numpy_gemm.py --seconds 0.3 "$1"
}
# The training attention's shape (context × context × head width, one head's scores) as `bench gemm` prints it.
attention=$(STRAWBERRY_THREADS=2 "$bin" bench gemm --seconds 0.01 |
  awk '/^attn/ {sub(/×/, "x", $2); sub(/×/, "x", $2); print $2}')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then
    ours >"$work/ours.$round"; theirs "$attention" >"$work/theirs.$round"
  else
    theirs "$attention" >"$work/theirs.$round"; ours >"$work/ours.$round"
  fi
  echo "round $round of $rounds done" >&2
done
python3 - "$work" "$rounds" <<'PY'
import json, pathlib, statistics, sys
work, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
def ours(text):
    rates = {}
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "square": rates[f[1]] = [float(x) for x in f[2:5]]
        if f and f[0] == "attn": rates[f[1].replace("×", "x")] = [float(x) for x in f[2:5]]
    return rates
runs = [(ours((work / f"ours.{r}").read_text()), json.loads((work / f"theirs.{r}").read_text())) for r in range(1, rounds + 1)]
print(f"OpenBLAS via numpy {runs[0][1]['numpy']}: {runs[0][1]['blas']}; {rounds} rounds, medians (range of the ratio)")
print("shape        kind    strawberry  openblas  ratio  (range)")
for size in [s for s in runs[0][0] if s in runs[0][1]["rates"]]:
    for i, kind in enumerate(("A·B", "A·Bᵀ", "Aᵀ·B")):
        s = [o[size][i] for o, _ in runs]
        o = [t["rates"][size][i] for _, t in runs]
        ratios = [a / b for a, b in zip(s, o)]
        print(f"{size:11s}  {kind:6s} {statistics.median(s):9.1f} {statistics.median(o):9.1f}  {statistics.median(ratios):5.2f}"
              f"  ({min(ratios):.2f}–{max(ratios):.2f})")
PY
