"""GFLOP/s of float32 matrix multiply through numpy's bundled OpenBLAS, for the same square sizes
and the three training shapes (A·B, A·Bᵀ, Aᵀ·B) that `strawberry bench gemm` measures, and for
any M×N×K shapes given as arguments (the attention shape that `bench gemm` prints).
Thread count comes from OPENBLAS_NUM_THREADS (bench/compare_gemm.sh sets 2).

    python numpy_gemm.py [256x256x32 ...]"""
import json
import sys
import time

import numpy as np


def rate(m, n, k, ta, tb, seconds=1.0):
    """C[m×n] = A·B with A m×k and B k×n, each stored transposed when ta / tb says so."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    a, b = (a.T if ta else a), (b.T if tb else b)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        np.matmul(a, b, out=c)
        calls += 1
    return 2 * m * n * k * calls / (time.perf_counter() - start) / 1e9


def shapes(m, n, k):
    return [rate(m, n, k, False, False), rate(m, n, k, False, True), rate(m, n, k, True, False)]


def main():
    out = {n: shapes(n, n, n) for n in (256, 512, 1024)}
    for arg in sys.argv[1:]:
        out[arg] = shapes(*(int(x) for x in arg.split("x")))
    try:
        from threadpoolctl import threadpool_info
        info = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
    except ImportError:
        info = []
    print(json.dumps({"numpy": np.__version__, "blas": info, "rates": out}))


if __name__ == "__main__":
    main()
