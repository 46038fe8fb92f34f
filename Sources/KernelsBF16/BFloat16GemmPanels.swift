#if arch(x86_64)
import CBFloat16Dot
import RegisterTiles

/// The training GEMM's panels and register tile with both operands rounded to bfloat16 and the
/// sums kept in float32, by the CPU's bfloat16 dot products (AVX512-BF16 only; see
/// `BFloat16DotTiles` for how this target is compiled). `Kernels.Gemm` runs them under
/// `MatmulPrecision.bfloat16` where the CPU has the instruction.
///
/// Values go in pairs along `k`, one 32-bit word a pair (the even `k` in its bottom half): B is
/// packed into panels of 32 columns, word `(p, j)` at `32p + j`; A into micro-panels of 8 rows,
/// word `(p, r)` at `8p + r`. The 8 × 32 tile broadcasts one word of A against two registers of B
/// per pair: sixteen accumulators, two products each per instruction. An odd last `k` is paired
/// with a zero.
public enum BFloat16GemmPanels {
    public static let microRows = 8
    public static let microCols = 32

    /// Eight values from `p` on, the `count < 8` there followed by zeros (none when `count ≤ 0`).
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD8<Float> {
        if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>()
        var i = 0
        while i < count { v[i] = p[i]; i &+= 1 }
        return v
    }

    /// Words of `kLen` values along `k`.
    @inline(__always)
    public static func pairs(_ kLen: Int) -> Int { (kLen &+ 1) >> 1 }

    /// A `kLen × jLen` block of op(B) as a panel of `pairs(kLen) × 32` words, missing columns zero.
    @inline(never)
    public static func packB(b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k0: Int, kLen: Int, j0: Int, jLen: Int,
                             into dst: UnsafeMutablePointer<UInt32>) {
        let pairs = pairs(kLen), raw = UnsafeMutableRawPointer(dst)
        if transposed {
            // Column j of op(B) is row j of storage: sixteen values along k make eight pairs.
            if jLen < microCols { dst.update(repeating: 0, count: pairs &* microCols) }
            for j in 0..<jLen {
                let row = b + ((j0 &+ j) &* ldb &+ k0)
                var g = 0
                while g &* 16 < kLen {
                    let words = BFloat16Rounding.neighbours(Float32Rows.values(row, g &* 64, count: kLen &- g &* 16))
                    for w in 0..<min(8, pairs &- g &* 8) { dst[(g &* 8 &+ w) &* microCols &+ j] = words[w] }
                    g &+= 1
                }
            }
        } else {
            // Rows k and k + 1 of op(B) are storage rows: their columns pair up lane by lane.
            for p in 0..<pairs {
                let first = b + ((k0 &+ 2 &* p) &* ldb &+ j0), hasSecond = 2 &* p &+ 1 < kLen
                for q in 0..<(microCols / 8) {
                    let count = jLen &- q &* 8
                    let low = load8(first + q &* 8, count), high = hasSecond ? load8(first + (ldb &+ q &* 8), count) : SIMD8()
                    raw.storeBytes(of: BFloat16Rounding.pairs(low: low, high: high), toByteOffset: (p &* microCols &+ q &* 8) &* 4,
                                   as: SIMD8<UInt32>.self)
                }
            }
        }
    }

    /// Rows `i0..<i0+iLen` of alpha·op(A), columns `k0..<k0+kLen`, as 8-row micro-panels of
    /// `pairs(kLen) × 8` words each, missing rows zero.
    @inline(never)
    public static func packA(a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, iLen: Int, k0: Int, kLen: Int, alpha: Float,
                             into dst: UnsafeMutablePointer<UInt32>) {
        let pairs = pairs(kLen), microPanels = (iLen &+ microRows &- 1) / microRows
        for ip in 0..<microPanels {
            let panel = dst + ip &* microRows &* pairs, first = i0 &+ ip &* microRows
            let rows = min(microRows, iLen &- ip &* microRows)
            if transposed {
                // Row k of storage holds the panel's rows side by side: one store a pair.
                for p in 0..<pairs {
                    let low = alpha * load8(a + ((k0 &+ 2 &* p) &* lda &+ first), rows)
                    let high = 2 &* p &+ 1 < kLen ? alpha * load8(a + ((k0 &+ 2 &* p &+ 1) &* lda &+ first), rows) : SIMD8()
                    UnsafeMutableRawPointer(panel + p &* microRows).storeBytes(of: BFloat16Rounding.pairs(low: low, high: high),
                                                                               as: SIMD8<UInt32>.self)
                }
            } else {
                if rows < microRows { panel.update(repeating: 0, count: pairs &* microRows) }
                for r in 0..<rows {
                    let row = a + ((first &+ r) &* lda &+ k0)
                    var g = 0
                    while g &* 16 < kLen {
                        let words = BFloat16Rounding.neighbours(alpha * Float32Rows.values(row, g &* 64, count: kLen &- g &* 16))
                        for w in 0..<min(8, pairs &- g &* 8) { panel[(g &* 8 &+ w) &* microRows &+ r] = words[w] }
                        g &+= 1
                    }
                }
            }
        }
    }

    /// One block of `k` for a block of rows: every 8×32 tile of `C[rows, columns of panels p0..<p1]`
    /// gets `A · B` written (`overwrite`) or added; panels `panelStride` words apart.
    @inline(never)
    public static func blockProduct(kLen: Int, packedA: UnsafePointer<UInt32>, rows: Int, packedB: UnsafePointer<UInt32>,
                                    panelStride: Int, p0: Int, p1: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                    overwrite: Bool) {
        let pairs = pairs(kLen), microPanels = (rows &+ microRows &- 1) / microRows
        for jp in p0..<p1 {
            let j0 = jp &* microCols, jLen = min(microCols, n &- j0)
            for ip in 0..<microPanels {
                let i0 = ip &* microRows
                microKernel(pairs: pairs, a: packedA + ip &* microRows &* pairs, b: packedB + jp &* panelStride, c: c + (i0 &* ldc &+ j0),
                            ldc: ldc, rows: min(microRows, rows &- i0), cols: jLen, overwrite: overwrite)
            }
        }
    }

    @inline(__always)
    static func microKernel(pairs: Int, a: UnsafePointer<UInt32>, b: UnsafePointer<UInt32>, c: UnsafeMutablePointer<Float>, ldc: Int,
                            rows: Int, cols: Int, overwrite: Bool) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
        var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
        let braw = UnsafeRawPointer(b)
        var ap = a
        for p in 0..<pairs {
            let b0 = braw.loadUnaligned(fromByteOffset: p &* 128, as: SIMD32<Int16>.self)
            let b1 = braw.loadUnaligned(fromByteOffset: p &* 128 &+ 64, as: SIMD32<Int16>.self)
            // Row r's word of A against both registers of B.
            @inline(__always) func step(_ r: Int, _ left: inout SIMD16<Float>, _ right: inout SIMD16<Float>) {
                let x = unsafeBitCast(SIMD16<UInt32>(repeating: ap[r]), to: SIMD32<Int16>.self)
                left = strawberry_dot_bf16x32(left, x, b0)
                right = strawberry_dot_bf16x32(right, x, b1)
            }
            step(0, &c00, &c01); step(1, &c10, &c11); step(2, &c20, &c21); step(3, &c30, &c31)
            step(4, &c40, &c41); step(5, &c50, &c51); step(6, &c60, &c61); step(7, &c70, &c71)
            ap += microRows
        }
        if rows == microRows && cols == microCols {
            @inline(__always) func put(_ r: Int, _ left: SIMD16<Float>, _ right: SIMD16<Float>) {
                GemmPanels.store(left, c + r &* ldc, overwrite)
                GemmPanels.store(right, c + (r &* ldc &+ 16), overwrite)
            }
            put(0, c00, c01); put(1, c10, c11); put(2, c20, c21); put(3, c30, c31)
            put(4, c40, c41); put(5, c50, c51); put(6, c60, c61); put(7, c70, c71)
            return
        }
        // An edge tile (a block's last rows or the last columns): element by element.
        let tile = [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51), (c60, c61), (c70, c71)]
        for r in 0..<rows {
            let row = c + r &* ldc
            for j in 0..<cols {
                let v = j < 16 ? tile[r].0[j] : tile[r].1[j &- 16]
                row[j] = overwrite ? v : row[j] + v
            }
        }
    }
}
#endif
