import Foundation
import Testing
import Kernels
import RegisterTiles

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

    /// The bfloat16 product is the float32 product over the weights rounded to bfloat16, bit for
    /// bit (the same sums in the same order), on widths that are not multiples of sixteen, and
    /// within bfloat16's rounding of the float32 product over the weights as they were.
    @Test(arguments: [(1, 5), (17, 300), (40, 513), (33, 16), (6, 1)])
    func bfloat16ProductIsTheProductOfTheRoundedWeights(shape: (Int, Int)) {
        let (n, k) = shape
        let w = Self.random(n * k, seed: 9)
        let rounded = w.map { BFloat16.float(BFloat16.bits($0)) }
        let matrix = w.withUnsafeBufferPointer { BFloat16Matrix($0.baseAddress!, n: n, k: k, ld: k) }
        #expect((0..<n).allSatisfy { j in (0..<k).allSatisfy { matrix.value(row: j, column: $0) == rounded[j * k + $0] } })
        for m in Self.rowCounts {
            let a = Self.random(m * k, seed: UInt64(m) + 30), start = Self.random(m * n, seed: 3)
            for accumulate in [false, true] {
                var c = start, expected = start, exact = start
                DotGemm.multiply(m: m, a: a, lda: k, bfloat16: matrix, c: &c, ldc: n, accumulate: accumulate)
                DotGemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: rounded, ldb: k, c: &expected, ldc: n, accumulate: accumulate)
                DotGemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: w, ldb: k, c: &exact, ldc: n, accumulate: accumulate)
                #expect(c == expected, "m \(m) n \(n) k \(k) accumulate \(accumulate)")
                // Either tile shape, float32 or bfloat16 rows: the same sums.
                for wide in [false, true] {
                    var tiled = start, tiled32 = start
                    DotTiles.columns(0, n, m: m, k: k, a: a, lda: k, b: matrix.base, panelBytes: matrix.panelBytes, as: BFloat16Rows.self,
                                     c: &tiled, ldc: n, accumulate: accumulate, wide: wide)
                    DotTiles.columns(0, n, m: m, k: k, a: a, lda: k, b: rounded, ldb: k, c: &tiled32, ldc: n, accumulate: accumulate, wide: wide)
                    #expect(tiled == expected && tiled32 == expected, "wide \(wide) m \(m) n \(n) k \(k)")
                }
                // Each weight is within 2⁻⁸ of itself; a sum of k products within that of its size.
                let worst = zip(c, exact).map { abs($0 - $1) }.max() ?? 0
                #expect(worst < 0.01 * Float(k).squareRoot(), "m \(m) n \(n) k \(k): \(worst)")
            }
        }
    }

    /// (head dimension, query heads per KV head): a narrow head, one register of 16, 32 (micro's
    /// heads), 64 and 80 wide, groups of one to four. The reference attends over the same keys and
    /// values rounded to bfloat16, as the cache holds them.
    @Test(arguments: [(8, 2), (16, 1), (32, 2), (64, 3), (80, 2), (48, 4)])
    func cachedAttentionMatchesSoftmaxAttention(shape: (Int, Int)) {
        let (hd, group) = shape
        for count in Self.rowCounts {
            let rowLength = (count + 15) & ~15
            let round = { (x: Float) in BFloat16.float(BFloat16.bits(x)) }
            let keys = Self.random(count * hd, seed: 6).map(round), values = Self.random(count * hd, seed: 7).map(round)
            let queries = Self.random(group * hd, seed: 8)
            // Keys and values as the cache holds them: keys in blocks of sixteen positions, one
            // group per dimension; values one row of groups per position.
            let rowBytes = BFloat16.rowBytes(hd)
            var blocked = [UInt8](repeating: 0, count: (rowLength >> 4) * hd * 32)
            var rows = [UInt8](repeating: 0, count: rowLength * rowBytes)
            blocked.withUnsafeMutableBytes { k in
                rows.withUnsafeMutableBytes { v in
                    for j in 0..<count {
                        for d in 0..<hd {
                            BFloat16.store(keys[j * hd + d], at: k.baseAddress! + (j >> 4) * hd * 32 + d * 32, value: j & 15)
                            BFloat16.store(values[j * hd + d], at: v.baseAddress! + j * rowBytes + (d >> 4) * 32, value: d & 15)
                        }
                    }
                }
            }
            let scale = 1 / Float(hd).squareRoot()
            var scores = [Float](repeating: 0, count: group * rowLength)
            var out = [Float](repeating: .nan, count: group * hd)
            CachedAttention.attend(queries: queries, group: group, headDim: hd, scale: scale, keys: blocked,
                                   keyRowLength: rowLength, values: rows, count: count, scores: &scores, out: &out)
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

    /// bfloat16 keeps the top sixteen bits, rounded to nearest with ties to even, and widens back
    /// exactly; a group's halves land where `widen` reads them.
    @Test func bfloat16RoundsToNearestEvenAndWidensInGroupOrder() {
        #expect(BFloat16.bits(1) == 0x3F80 && BFloat16.float(0x3F80) == 1)
        #expect(BFloat16.bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // a tie, to the even 0x3F80
        #expect(BFloat16.bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // a tie, to the even 0x3F82
        #expect(BFloat16.bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)  // above the tie, up
        #expect(BFloat16.bits(-.infinity) == 0xFF80 && BFloat16.float(BFloat16.bits(.nan)).isNaN)
        for x in Self.random(1000, seed: 9) {
            let y = BFloat16.float(BFloat16.bits(x))
            #expect(abs(y - x) <= abs(x) / 256, "\(x) rounded to \(y)")
        }
        var group = [UInt8](repeating: 0, count: 32)
        group.withUnsafeMutableBytes { g in
            for i in 0..<16 { BFloat16.store(Float(i + 1), at: g.baseAddress!, value: i) }
            let (low, high) = BFloat16.widen(g.baseAddress!)
            #expect(low == SIMD8((1...8).map(Float.init)) && high == SIMD8((9...16).map(Float.init)))
            #expect((0..<16).allSatisfy { BFloat16.load(g.baseAddress!, value: $0) == Float($0 + 1) })
        }
    }
}
