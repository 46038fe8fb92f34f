import Foundation
import Testing
import Kernels
#if arch(x86_64)
import KernelsBF16
#endif

/// Products with the activations rounded to bfloat16 as well as the weights: the rounding of whole
/// rows into groups, the CPU's bfloat16 dot products (`BFloat16DotTiles`, where it has AVX512-BF16)
/// against the exact sum of the rounded values' products, and a row's outputs independent of the
/// rows beside it.
@Suite struct BFloat16DotTests {
    static func rounded(_ x: Float) -> Float { BFloat16.float(BFloat16.bits(x)) }

    /// Rows with ties, a NaN, infinities and values too large to round up, as `bits` rounds them.
    static func awkward(_ count: Int) -> [Float] {
        let special: [Float] = [Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000), .nan, -.infinity, .greatestFiniteMagnitude, -0.0]
        return (0..<count).map { i in i < special.count ? special[i] : GemmTests.random(count, seed: 3)[i] }
    }

    @Test(arguments: [1, 6, 15, 16, 17, 33, 100])
    func roundingARowFillsGroupsAsStoringEachValueDoes(count: Int) {
        let x = Self.awkward(count), rowBytes = BFloat16.rowBytes(count)
        var whole = [UInt8](repeating: 0xAA, count: rowBytes), oneByOne = [UInt8](repeating: 0, count: rowBytes)
        x.withUnsafeBufferPointer { xs in whole.withUnsafeMutableBytes { BFloat16.round(xs.baseAddress!, count: count, into: $0.baseAddress!) } }
        oneByOne.withUnsafeMutableBytes { out in
            for i in 0..<count { BFloat16.store(x[i], at: out.baseAddress! + (i >> 4) * 32, value: i & 15) }
        }
        #expect(whole == oneByOne, "count \(count): the padding is zeros and every value sits where `store` puts it")
        var trip = [Float](repeating: 0, count: count)
        x.withUnsafeBufferPointer { xs in trip.withUnsafeMutableBufferPointer { BFloat16.roundTrip(xs.baseAddress!, count: count, into: $0.baseAddress!) } }
        #expect(zip(trip, x).allSatisfy { $0.bitPattern == Self.rounded($1).bitPattern || ($0.isNaN && $1.isNaN) }, "count \(count)")
    }

    /// Every output within float32's rounding of summing `k` products (exact in float32) of the
    /// rounded values, in double; each row the same, bit for bit, alone or in a batch of 65.
    @Test(arguments: [(1, 1), (5, 16), (13, 17), (33, 31), (70, 300), (9, 513)])
    func roundedProductsAreTheExactProductsOfTheRoundedValues(shape: (Int, Int)) {
        let (n, k) = shape
        let w = GemmTests.random(n * k, seed: 11), a = GemmTests.random(65 * k, seed: 12), start = GemmTests.random(65 * n, seed: 13)
        let matrix = w.withUnsafeBufferPointer { BFloat16Matrix($0.baseAddress!, n: n, k: k, ld: k) }
        for accumulate in [false, true] {
            var batch = start
            DotGemm.multiply(m: 65, a: a, lda: k, bfloat16: matrix, roundingActivations: true, c: &batch, ldc: n, accumulate: accumulate)
            for i in 0..<65 {
                var alone = Array(start[(i * n)..<((i + 1) * n)])
                a.withUnsafeBufferPointer {
                    DotGemm.multiply(m: 1, a: $0.baseAddress! + i * k, lda: k, bfloat16: matrix, roundingActivations: true, c: &alone, ldc: n,
                                     accumulate: accumulate)
                }
                #expect(alone == Array(batch[(i * n)..<((i + 1) * n)]), "row \(i) of 65 is the row alone (n \(n) k \(k))")
                for j in 0..<n {
                    var exact = accumulate ? Double(start[i * n + j]) : 0, size = abs(exact)
                    for p in 0..<k {
                        let product = Double(Self.rounded(a[i * k + p])) * Double(Self.rounded(w[j * k + p]))
                        exact += product
                        size += abs(product)
                    }
                    let got = Double(batch[i * n + j])
                    #expect(abs(got - exact) <= 1e-6 * size + 1e-30, "row \(i) column \(j): \(got) against \(exact) (n \(n) k \(k))")
                }
            }
        }
    }

    #if arch(x86_64)
    /// Where the CPU has the instruction, the tiles against the widened product of the same
    /// rounded values, which other CPUs run: the same within float32's rounding of the sums.
    @Test(.enabled(if: CPU.hasAVX512BF16, "this CPU has no AVX512-BF16"), arguments: [(4, 32), (7, 300), (65, 513)])
    func theBFloat16TilesAgreeWithTheWidenedProduct(shape: (Int, Int)) {
        let (m, k) = shape, n = 37
        let w = GemmTests.random(n * k, seed: 21), a = GemmTests.random(m * k, seed: 22)
        let matrix = w.withUnsafeBufferPointer { BFloat16Matrix($0.baseAddress!, n: n, k: k, ld: k) }
        let roundedA = a.map(Self.rounded)
        var widened = [Float](repeating: 0, count: m * n), tiles = widened
        DotGemm.multiply(m: m, a: roundedA, lda: k, bfloat16: matrix, c: &widened, ldc: n)
        let rowBytes = BFloat16.rowBytes(k)
        var rows = [UInt8](repeating: 0, count: m * rowBytes)
        rows.withUnsafeMutableBytes { out in
            a.withUnsafeBufferPointer { for i in 0..<m { BFloat16.round($0.baseAddress! + i * k, count: k, into: out.baseAddress! + i * rowBytes) } }
        }
        rows.withUnsafeBytes { r in
            tiles.withUnsafeMutableBufferPointer { c in
                // Two column ranges, the second not a multiple of four wide.
                for (j0, j1) in [(0, 32), (32, n)] {
                    BFloat16DotTiles.columns(j0, j1, m: m, groups: rowBytes / 32, a: r.baseAddress!, aRowBytes: rowBytes, b: matrix.base,
                                             panelBytes: matrix.panelBytes, c: c.baseAddress!, ldc: n, accumulate: false)
                }
            }
        }
        let worst = zip(tiles, widened).map { abs($0 - $1) / max(1, abs($1)) }.max()!
        #expect(worst < 1e-5, "m \(m) k \(k): worst relative difference \(worst)")
    }
    #endif
}
