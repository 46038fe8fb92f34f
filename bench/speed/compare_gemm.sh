#!/usr/bin/env bash
# Matrix-multiply GFLOP/s, Strawberry's Swift kernel vs OpenBLAS (numpy's bundled build, from
# PyPI), both on 2 threads, measured one after the other in one run: 256², 512², 1024² and the
# training attention's shape (`bench gemm`'s `attn` row, for the default preset).
#   bench/speed/compare_gemm.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/venv.sh && python=$(python_env blas)
swift build -c release --product strawberry >/dev/null
ours=$(STRAWBERRY_THREADS=2 .build/release/strawberry bench gemm --seconds 1)
squares=$(awk '/^square/ {print $2, $3, $4, $5}' <<<"$ours")
# The training attention's shape (context × context × head width, one head's scores) as `bench gemm` prints it.
attention=$(awk '/^attn/ {sub(/×/, "x", $2); sub(/×/, "x", $2); print $2, $3, $4, $5}' <<<"$ours")
# OpenBLAS picks its AVX2/AVX-512 kernels itself when no core type is forced.
theirs=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 "$python" bench/speed/numpy_gemm.py "${attention%% *}")
python3 - "$squares" "$attention" "$theirs" <<'PY'
import json, sys
ours = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in (sys.argv[1] + "\n" + sys.argv[2]).splitlines() if l.strip()}
theirs = json.loads(sys.argv[3])
print(f"OpenBLAS via numpy {theirs['numpy']}: {theirs['blas']}")
print("shape        kind    strawberry  openblas  ratio")
for size in [s for s in ours if s in theirs["rates"]]:
    for i, kind in enumerate(("A·B", "A·Bᵀ", "Aᵀ·B")):
        s, o = ours[size][i], theirs["rates"][size][i]
        print(f"{size:11s}  {kind:6s} {s:9.1f} {o:9.1f}  {s / o:5.2f}")
PY
