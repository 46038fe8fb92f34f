import Foundation
import Testing
import Kernels

/// The training GEMM under `MatmulPrecision.bfloat16`: every transposition, odd shapes, alpha and
/// accumulation, against the exact sum (in double) of the products of the operands rounded to
/// bfloat16 — the bfloat16 tiles where the CPU has AVX512-BF16, the rounded float32 product
/// elsewhere — and the same bits whatever the thread count.
@Suite struct BFloat16GemmTests {
    static func rounded(_ x: Float) -> Float { BFloat16.float(BFloat16.bits(x)) }

    @Test(arguments: [(1, 1, 1), (7, 17, 5), (13, 33, 300), (65, 70, 513), (130, 40, 257), (9, 32, 2)])
    func productsAreTheExactProductsOfTheRoundedOperands(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = GemmTests.random(m * k, seed: 41), b = GemmTests.random(k * n, seed: 42), start = GemmTests.random(m * n, seed: 43)
        for (transposeA, transposeB) in [(false, true), (false, false), (true, false)] {
            for (alpha, accumulate) in [(Float(1), false), (Float(0.5), true)] {
                var c = start
                Gemm.multiply(m: m, n: n, k: k, a: a, lda: transposeA ? m : k, transposeA: transposeA, b: b, ldb: transposeB ? k : n,
                              transposeB: transposeB, c: &c, ldc: n, alpha: alpha, accumulate: accumulate, precision: .bfloat16)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var exact = accumulate ? Double(start[i * n + j]) : 0, size = abs(exact)
                        for p in 0..<k {
                            let x = Self.rounded(alpha * (transposeA ? a[p * m + i] : a[i * k + p]))
                            let y = Self.rounded(transposeB ? b[j * k + p] : b[p * n + j])
                            exact += Double(x) * Double(y)
                            size += abs(Double(x) * Double(y))
                        }
                        worst = max(worst, abs(Double(c[i * n + j]) - exact) / (size + 1e-30))
                    }
                }
                #expect(worst < 1e-6, "m \(m) n \(n) k \(k) transposeA \(transposeA) transposeB \(transposeB) alpha \(alpha): \(worst)")
            }
        }
    }

    @Test func theRoundingIsRealAndTheThreadCountChangesNothing() {
        let (m, n, k) = (96, 80, 300)
        let a = GemmTests.random(m * k, seed: 51), b = GemmTests.random(n * k, seed: 52)
        var full = [Float](repeating: 0, count: m * n), half = full, one = full
        Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, transposeB: true, c: &full, ldc: n)
        Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, transposeB: true, c: &half, ldc: n, precision: .bfloat16)
        Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, transposeB: true, c: &one, ldc: n, parallel: false, precision: .bfloat16)
        #expect(half != full, "bfloat16 operands change the product")
        #expect(half == one, "one thread or all: the same bits")
        let worst = zip(half, full).map { abs($0 - $1) }.max()!
        #expect(worst < 0.2, "within bfloat16's rounding of sums of 300 products of normals: \(worst)")
    }
}
