import Kernels
import Foundation
let n = Int(CommandLine.arguments.last!)!
let a = FloatBuffer(count: n*n), b = FloatBuffer(count: n*n), c = FloatBuffer(count: n*n)
var rng = SeededRNG(seed: 1)
for i in 0..<n*n { a[i] = rng.nextNormal(); b[i] = rng.nextNormal() }
for (ta, tb) in [(false,false),(false,true),(true,false)] {
Gemm.multiply(m: n, n: n, k: n, a: a.pointer, lda: n, transposeA: ta, b: b.pointer, ldb: n, transposeB: tb, c: c.pointer, ldc: n)
let t0 = Date()
let reps = max(1, 2_000_000_000 / (2*n*n*n))
for _ in 0..<reps { Gemm.multiply(m: n, n: n, k: n, a: a.pointer, lda: n, transposeA: ta, b: b.pointer, ldb: n, transposeB: tb, c: c.pointer, ldc: n) }
let dt = Date().timeIntervalSince(t0)
print(ta, tb, Double(2*n*n*n*reps)/dt/1e9, "GFLOP/s")
}
