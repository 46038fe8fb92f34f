"""GFLOP/s of float32 matrix multiply through numpy's bundled OpenBLAS, for the same square sizes
and the three training shapes (A·B, A·Bᵀ, Aᵀ·B) that `strawberry bench gemm` measures.
Thread count comes from OPENBLAS_NUM_THREADS (bench/compare_gemm.sh sets 2)."""
import json
import time

import numpy as np


def rate(n, ta, tb, seconds=1.0):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a, b = (a.T if ta else a), (b.T if tb else b)
    c = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        np.matmul(a, b, out=c)
        calls += 1
    return 2 * n ** 3 * calls / (time.perf_counter() - start) / 1e9


def main():
    out = {}
    for n in (256, 512, 1024):
        out[n] = [rate(n, False, False), rate(n, False, True), rate(n, True, False)]
    try:
        from threadpoolctl import threadpool_info
        info = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
    except ImportError:
        info = []
    print(json.dumps({"numpy": np.__version__, "blas": info, "rates": out}))


if __name__ == "__main__":
    main()
