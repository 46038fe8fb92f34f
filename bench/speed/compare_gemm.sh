#!/usr/bin/env bash
# Matrix-multiply GFLOP/s, Strawberry's Swift kernel vs OpenBLAS (numpy's bundled build, from
# PyPI), both on 2 threads, measured one after the other in one run.
#   bench/speed/compare_gemm.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib/venv.sh && python=$(python_env blas)
swift build -c release --product strawberry >/dev/null
ours=$(STRAWBERRY_THREADS=2 .build/release/strawberry bench gemm --seconds 1 | awk '/^square/ {print $2, $3, $4, $5}')
# OpenBLAS picks its AVX2/AVX-512 kernels itself when no core type is forced.
theirs=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 "$python" bench/speed/numpy_gemm.py)
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = {int(l.split()[0]): [float(x) for x in l.split()[1:]] for l in sys.argv[1].splitlines()}
theirs = json.loads(sys.argv[2])
print(f"OpenBLAS via numpy {theirs['numpy']}: {theirs['blas']}")
print("size   shape   strawberry  openblas  ratio")
for n in (256, 512, 1024):
    for i, shape in enumerate(("A·B", "A·Bᵀ", "Aᵀ·B")):
        s, o = ours[n][i], theirs["rates"][str(n)][i]
        print(f"{n:5d}  {shape:6s} {s:9.1f} {o:9.1f}  {s / o:5.2f}")
PY
