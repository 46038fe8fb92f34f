"""GFLOP/s of float32 matrix multiply through numpy's bundled OpenBLAS, for the same square sizes
and the three training shapes (A·B, A·Bᵀ, Aᵀ·B) that `strawberry bench gemm` measures, and for
any M×N×K shapes given as arguments (the attention shape that `bench gemm` prints), each timed for
SECONDS (default 1). Thread count comes from OPENBLAS_NUM_THREADS (bench/speed/compare_gemm.sh sets 2).

    python numpy_gemm.py [--seconds SECONDS] [256x256x32 ...]"""
import argparse
import json
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


def shapes(m, n, k, seconds):
    return [rate(m, n, k, False, False, seconds), rate(m, n, k, False, True, seconds), rate(m, n, k, True, False, seconds)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("shapes", nargs="*", help="M×N×K, written MxNxK")
    args = parser.parse_args()
    out = {str(n): shapes(n, n, n, args.seconds) for n in (256, 512, 1024)}
    for arg in args.shapes:
        out[arg] = shapes(*(int(x) for x in arg.split("x")), args.seconds)
    try:
        from threadpoolctl import threadpool_info
        info = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
    except ImportError:
        info = []
    print(json.dumps({"numpy": np.__version__, "blas": info, "rates": out}))


if __name__ == "__main__":
    main()
