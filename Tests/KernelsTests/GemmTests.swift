import Testing
import Kernels

/// The blocked SIMD multiply against a naive triple loop, over every transpose combination,
/// edge sizes that leave partial register tiles, strided operands, scaling and accumulation.
@Suite struct GemmTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in rng.nextNormal() }
    }

    @Test(arguments: [(1, 1, 1), (7, 17, 5), (13, 33, 300), (64, 48, 32), (130, 70, 513)])
    func matchesNaiveProduct(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for accumulate in [false, true] {
                    let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 1, ldc = n + 2
                    let a = Self.random((transposeA ? k : m) * lda, seed: 1)
                    let b = Self.random((transposeB ? n : k) * ldb, seed: 2)
                    var c = Self.random(m * ldc, seed: 3)
                    var expected = c
                    for i in 0..<m {
                        for j in 0..<n {
                            var s: Double = 0
                            for p in 0..<k {
                                let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                                let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                                s += Double(av) * Double(bv)
                            }
                            expected[i * ldc + j] = Float(0.5 * s) + (accumulate ? expected[i * ldc + j] : 0)
                        }
                    }
                    a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                Gemm.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, transposeA: transposeA,
                                              b: bp.baseAddress!, ldb: ldb, transposeB: transposeB,
                                              c: cp.baseAddress!, ldc: ldc, alpha: 0.5, accumulate: accumulate)
                            }
                        }
                    }
                    var worst: Float = 0
                    for i in 0..<m { for j in 0..<n { worst = max(worst, abs(c[i * ldc + j] - expected[i * ldc + j])) } }
                    #expect(worst < 1e-3 * Float(k).squareRoot(), "\(shape) tA \(transposeA) tB \(transposeB) acc \(accumulate): \(worst)")
                    // Padding columns between rows are never written.
                    for i in 0..<m { #expect(c[i * ldc + n] == expected[i * ldc + n]) }
                }
            }
        }
    }

    /// The products on unpacked operands give the packed products' bits wherever `multiply` packs
    /// (more than `smallRows` rows, or A transposed), and its results within rounding elsewhere;
    /// only `n` columns of C are written though B's rows are read in whole vectors.
    @Test(arguments: [(9, 16, 1), (13, 24, 7), (65, 32, 32), (130, 48, 300), (7, 70, 513), (3, 33, 40)])
    func unpackedProductGivesThePackedProductsBits(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for transposeA in [false, true] {
            for accumulate in [false, true] {
                let lda = (transposeA ? m : k) + 3, ldb = (n + 15) / 16 * 16, ldc = n + 2
                let a = Self.random((transposeA ? k : m) * lda, seed: 4), b = Self.random(k * ldb, seed: 5)
                var packed = Self.random(m * ldc, seed: 6)
                var unpacked = packed
                Gemm.multiply(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: &packed, ldc: ldc,
                              accumulate: accumulate)
                Gemm.multiplyUnpacked(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: &unpacked,
                                      ldc: ldc, accumulate: accumulate)
                let label = "\(shape) tA \(transposeA) acc \(accumulate)"
                if m > Gemm.smallRows || transposeA {
                    #expect(packed == unpacked, "\(label)")
                } else {
                    let worst = zip(packed, unpacked).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst < 1e-4 * Float(k).squareRoot(), "\(label): \(worst)")
                }
                // Padding columns between rows are never written.
                let start = Self.random(m * ldc, seed: 6)
                for i in 0..<m { #expect(unpacked[i * ldc + n] == start[i * ldc + n] && unpacked[i * ldc + n + 1] == start[i * ldc + n + 1]) }
            }
        }
    }

    @Test func zeroInnerDimensionClearsOrKeeps() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [0], b: [Float] = [0]
        c.withUnsafeMutableBufferPointer { cp in
            Gemm.multiply(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, c: cp.baseAddress!, ldc: 2, accumulate: true)
        }
        #expect(c == [1, 2, 3, 4])
        c.withUnsafeMutableBufferPointer { cp in
            Gemm.multiply(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, c: cp.baseAddress!, ldc: 2)
        }
        #expect(c == [0, 0, 0, 0])
    }
}
