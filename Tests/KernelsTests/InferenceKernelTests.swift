import Foundation
import Testing
import Kernels

/// The decoding kernels against references on odd shapes: the packed-weight product matches the
/// training GEMM and gives the same bits with either register tile (so the AVX2 tiles on an
/// AVX-512 machine change nothing) and for a row alone as in a batch; the dot-product GEMM matches a naive product and gives a row the same
/// numbers alone as in a batch, and cached attention matches softmax attention written out.
@Suite struct InferenceKernelTests {
    static let rowCounts = [1, 7, 13, 65]

    static func random(_ n: Int, seed: UInt64) -> [Float] { GemmTests.random(n, seed: seed) }

    @Test(arguments: [(1, 5), (17, 300), (40, 513), (300, 64)])
    func packedProductMatchesTheGemmWithEitherTileAndInAnyBatch(shape: (Int, Int)) {
        let (n, k) = shape
        let w = Self.random(n * k, seed: 4)
        let packed = w.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k, ld: k) }
        for m in Self.rowCounts {
            let a = Self.random(m * k, seed: UInt64(m))
            let start = Self.random(m * n, seed: 9)
            for accumulate in [false, true] {
                var reference = start
                Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: w, ldb: k, transposeB: true, c: &reference, ldc: n,
                              accumulate: accumulate)
                var results: [[Float]] = []
                for wide in [true, false] {
                    var c = start
                    c.withUnsafeMutableBufferPointer {
                        Gemm.multiply(m: m, a: a, lda: k, packed: packed, c: $0.baseAddress!, ldc: n, accumulate: accumulate,
                                      wideTiles: wide)
                    }
                    let worst = zip(c, reference).map { abs($0 - $1) }.max()!
                    #expect(worst < 1e-4 * Float(k).squareRoot(), "m \(m) n \(n) k \(k) wide \(wide): \(worst)")
                    results.append(c)
                }
                #expect(results[0] == results[1], "the AVX-512 and AVX2 tiles differ: m \(m) n \(n) k \(k)")
                var alone = Array(start[((m - 1) * n)...])
                a.withUnsafeBufferPointer { ap in
                    alone.withUnsafeMutableBufferPointer {
                        Gemm.multiply(m: 1, a: ap.baseAddress! + (m - 1) * k, lda: k, packed: packed, c: $0.baseAddress!, ldc: n,
                                      accumulate: accumulate)
                    }
                }
                #expect(Array(results[0][((m - 1) * n)...]) == alone, "row \(m - 1) of \(m) differs from the row alone")
            }
        }
    }

    @Test(arguments: [(1, 5), (17, 300), (40, 513), (33, 16)])
    func dotProductMatchesNaiveAndIsTheSameInAnyBatch(shape: (Int, Int)) {
        let (n, k) = shape
        let w = Self.random(n * k, seed: 5)
        for m in Self.rowCounts {
            let a = Self.random(m * k, seed: UInt64(m) + 20)
            var c = [Float](repeating: 0, count: m * n)
            DotGemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: w, ldb: k, c: &c, ldc: n)
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var s: Double = 0
                    for p in 0..<k { s += Double(a[i * k + p]) * Double(w[j * k + p]) }
                    worst = max(worst, abs(c[i * n + j] - Float(s)))
                }
            }
            #expect(worst < 1e-4 * Float(k).squareRoot(), "m \(m) n \(n) k \(k): \(worst)")
            let last = m - 1
            var alone = [Float](repeating: 0, count: n)
            a.withUnsafeBufferPointer { ap in
                DotGemm.multiply(m: 1, n: n, k: k, a: ap.baseAddress! + last * k, lda: k, b: w, ldb: k, c: &alone, ldc: n)
            }
            #expect(Array(c[(last * n)...]) == alone, "row \(last) of \(m) differs from the row alone")
        }
    }

    /// (head dimension, query heads per KV head): a narrow head, one register of 16, 32 (micro's
    /// heads), 64 and 80 wide, groups of one to four.
    @Test(arguments: [(8, 2), (16, 1), (32, 2), (64, 3), (80, 2), (48, 4)])
    func cachedAttentionMatchesSoftmaxAttention(shape: (Int, Int)) {
        let (hd, group) = shape
        for count in Self.rowCounts {
            let rowLength = (count + 15) & ~15
            let keys = Self.random(count * hd, seed: 6), values = Self.random(rowLength * hd, seed: 7)
            let queries = Self.random(group * hd, seed: 8)
            // Keys as the cache holds them: blocks of sixteen positions, dimension-major.
            var blocked = [Float](repeating: 0, count: rowLength * hd)
            for j in 0..<count { for d in 0..<hd { blocked[(j >> 4) * hd * 16 + d * 16 + (j & 15)] = keys[j * hd + d] } }
            let scale = 1 / Float(hd).squareRoot()
            var scores = [Float](repeating: 0, count: group * rowLength)
            var out = [Float](repeating: .nan, count: group * hd)
            CachedAttention.attend(queries: queries, group: group, headDim: hd, scale: scale, keys: blocked,
                                   keyRowLength: rowLength, values: values, count: count, scores: &scores, out: &out)
            var worst: Double = 0
            for h in 0..<group {
                let logits = (0..<count).map { j in
                    (0..<hd).reduce(0.0) { $0 + Double(queries[h * hd + $1]) * Double(keys[j * hd + $1]) } * Double(scale)
                }
                let top = logits.max()!, weights = logits.map { exp($0 - top) }, total = weights.reduce(0, +)
                for d in 0..<hd {
                    let expected = (0..<count).reduce(0.0) { $0 + weights[$1] / total * Double(values[$1 * hd + d]) }
                    worst = max(worst, abs(expected - Double(out[h * hd + d])))
                }
            }
            #expect(worst < 1e-5, "head dim \(hd) group \(group) positions \(count): \(worst)")
        }
    }
}
