import CPrefetch

/// The inference dot-product tiles of `DotGemm` (every output summed in sixteen lanes over `k`,
/// then pairwise), inlinable so that each instruction set's module compiles its own copy (see
/// `GemmPanels`). The weight rows are float32 (`Float32Rows`) or bfloat16 (`BFloat16Rows`); the
/// activations are float32 either way, and the sums run in the same order.
public enum DotTiles {
    /// Columns `j0..<j1` of C for every row, weights stored as float32 rows `ldb` floats apart.
    @inlinable @inline(__always)
    public static func columns(_ j0: Int, _ j1: Int, m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                               ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, wide: Bool) {
        columns(j0, j1, m: m, k: k, a: a, lda: lda, b: UnsafeRawPointer(b), panelBytes: ldb &* 4, as: Float32Rows.self, c: c, ldc: ldc,
                accumulate: accumulate, wide: wide)
    }

    /// Columns `j0..<j1` of C for every row, weight rows stored as `R` in panels `panelBytes`
    /// apart from `b` (`j0` a multiple of `R.panelRows`). Tiles of 4 rows × 4 columns when `wide`
    /// (sixteen accumulators of one zmm register each: AVX-512), else 2 rows × 2 columns (four of
    /// two ymm registers, which AVX2's sixteen hold with room to load, where more accumulators spill
    /// to the stack); then the edges, and a row alone four columns at a time. Every output is summed the same way whichever tile holds it.
    @inlinable @inline(__always)
    public static func columns<R: DotRows>(_ j0: Int, _ j1: Int, m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer,
                                           panelBytes: Int, as _: R.Type, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                                           wide: Bool) {
        // Row j of the weights, and the stride between the four rows of a tile (which start a panel).
        @inline(__always) func row(_ j: Int) -> UnsafeRawPointer {
            R.panelRows == 1 ? b + j &* panelBytes : b + (j / R.panelRows &* panelBytes &+ j % R.panelRows &* R.rowStride)
        }
        let tileRowStride = R.panelRows == 1 ? panelBytes : R.rowStride
        let tileRows = wide ? 4 : 2, tileColumns = wide ? 4 : 2
        let fullRows = m &- m % tileRows
        var i = 0
        while i < fullRows {
            var j = j0
            while j &+ tileColumns <= j1 {
                if wide {
                    tile4x4(k: k, a: a + i &* lda, lda: lda, b: row(j), rowStride: tileRowStride, as: R.self, c: c + (i &* ldc &+ j),
                            ldc: ldc, accumulate: accumulate)
                } else {
                    tile2x2(k: k, a: a + i &* lda, lda: lda, b: row(j), rowStride: tileRowStride, as: R.self, c: c + (i &* ldc &+ j),
                            ldc: ldc, accumulate: accumulate)
                }
                j &+= tileColumns
            }
            while j < j1 {
                for r in 0..<tileRows {
                    single(k: k, a: a + (i &+ r) &* lda, b: row(j), as: R.self, c: c + ((i &+ r) &* ldc &+ j), accumulate: accumulate)
                }
                j &+= 1
            }
            i &+= tileRows
        }
        while i < m {
            var j = j0
            while j &+ 4 <= j1 {
                tile1x4(k: k, a: a + i &* lda, b: row(j), rowStride: tileRowStride, as: R.self, c: c + (i &* ldc &+ j),
                        accumulate: accumulate)
                j &+= 4
            }
            while j < j1 {
                single(k: k, a: a + i &* lda, b: row(j), as: R.self, c: c + (i &* ldc &+ j), accumulate: accumulate)
                j &+= 1
            }
            i &+= 1
        }
    }

    /// The lanes added pairwise: i + 8, then i + 4, i + 2, i + 1.
    @inlinable @inline(__always)
    public static func total(_ v: SIMD16<Float>) -> Float {
        let h8 = v.lowHalf + v.highHalf
        let h4 = h8.lowHalf + h8.highHalf
        let h2 = h4.lowHalf + h4.highHalf
        return h2[0] + h2[1]
    }

    // The steps of `total` for several accumulators at once, each output keeping its own lanes:
    // `level1` halves two accumulators into one vector, `fold8` halves each group of eight lanes,
    // `fold4` each group of four; adding the even and odd lanes finishes.
    @inlinable @inline(__always)
    static func level1(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(lowHalf: a.lowHalf + a.highHalf, highHalf: b.lowHalf + b.highHalf)
    }

    @inlinable @inline(__always)
    static func fold8(_ v: SIMD16<Float>) -> SIMD8<Float> {
        SIMD8(lowHalf: v.lowHalf.lowHalf + v.lowHalf.highHalf, highHalf: v.highHalf.lowHalf + v.highHalf.highHalf)
    }

    @inlinable @inline(__always)
    static func fold4(_ v: SIMD16<Float>) -> SIMD8<Float> {
        let a = v.lowHalf, b = v.highHalf
        return SIMD8(lowHalf: SIMD4(lowHalf: a.lowHalf.lowHalf + a.lowHalf.highHalf, highHalf: a.highHalf.lowHalf + a.highHalf.highHalf),
                     highHalf: SIMD4(lowHalf: b.lowHalf.lowHalf + b.lowHalf.highHalf, highHalf: b.highHalf.lowHalf + b.highHalf.highHalf))
    }

    /// The totals of four accumulators at once, each in the order of `total`.
    @inlinable @inline(__always)
    public static func totals(_ s0: SIMD16<Float>, _ s1: SIMD16<Float>, _ s2: SIMD16<Float>, _ s3: SIMD16<Float>) -> SIMD4<Float> {
        let z = fold4(SIMD16(lowHalf: fold8(level1(s0, s1)), highHalf: fold8(level1(s2, s3))))
        return z.evenHalf + z.oddHalf
    }

    /// The lanes of an eight-lane accumulator added pairwise: i + 4, then i + 2, i + 1.
    @inlinable @inline(__always)
    public static func total(_ v: SIMD8<Float>) -> Float {
        let h4 = v.lowHalf + v.highHalf
        let h2 = h4.lowHalf + h4.highHalf
        return h2[0] + h2[1]
    }

    /// The totals of four eight-lane accumulators at once, each in the order of `total`.
    @inlinable @inline(__always)
    public static func totals(_ s0: SIMD8<Float>, _ s1: SIMD8<Float>, _ s2: SIMD8<Float>, _ s3: SIMD8<Float>) -> SIMD4<Float> {
        let z = fold4(SIMD16(lowHalf: fold8(SIMD16(lowHalf: s0, highHalf: s1)), highHalf: fold8(SIMD16(lowHalf: s2, highHalf: s3))))
        return z.evenHalf + z.oddHalf
    }

    @inlinable @inline(__always)
    public static func put4(_ values: SIMD4<Float>, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(c)
        raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: SIMD4<Float>.self) + values : values, as: SIMD4<Float>.self)
    }

    @inlinable @inline(__always)
    public static func put(_ value: Float, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        c.pointee = accumulate ? c.pointee + value : value
    }

    /// Calls `step(aOffset, bOffset, count)` for each group of sixteen values along `k`: the byte
    /// offsets of the group in a row of activations and in a weight row stored as `R`, and how many
    /// of its values are there (sixteen, or fewer in a last group).
    @inlinable @inline(__always)
    static func alongK<R: DotRows>(_ k: Int, _: R.Type, _ step: (Int, Int, Int) -> Void) {
        let groups = k >> 4, left = k & 15
        var g = 0
        while g < groups {
            step(g &* 64, g &* R.groupStride, 16)
            g &+= 1
        }
        if left > 0 { step(groups &* 64, groups &* R.groupStride, left) }
    }

    /// Asks for the two cache lines of a panel's group `R.prefetchDistance` bytes past
    /// `bOffset` (the four rows of a bfloat16 group), when `R` wants them asked for.
    @inlinable @inline(__always)
    static func prefetch<R: DotRows>(_ b: UnsafeRawPointer, _ bOffset: Int, _: R.Type) {
        if R.prefetchDistance > 0 {
            strawberry_prefetch(b + (bOffset &+ R.prefetchDistance))
            strawberry_prefetch(b + (bOffset &+ R.prefetchDistance &+ 64))
        }
    }

    /// Sixteen activations of a row from `offset` bytes on, or the `count < 16` there followed by zeros.
    @inlinable @inline(__always)
    static func activations(_ a: UnsafeRawPointer, _ offset: Int, _ count: Int) -> SIMD16<Float> {
        Float32Rows.values(a, offset, count: count)
    }

    @inlinable @inline(__always)
    static func single<R: DotRows>(k: Int, a: UnsafePointer<Float>, b: UnsafeRawPointer, as _: R.Type, c: UnsafeMutablePointer<Float>,
                                   accumulate: Bool) {
        var s = SIMD16<Float>()
        let ar = UnsafeRawPointer(a)
        alongK(k, R.self) { aOffset, bOffset, count in
            s.addProduct(activations(ar, aOffset, count), R.values(b, bOffset, count: count))
        }
        put(total(s), c, accumulate)
    }

    @inlinable @inline(__always)
    static func tile1x4<R: DotRows>(k: Int, a: UnsafePointer<Float>, b: UnsafeRawPointer, rowStride: Int, as _: R.Type,
                                    c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        let ar = UnsafeRawPointer(a)
        @inline(__always) func step(_ aOffset: Int, _ bOffset: Int, _ count: Int) {
            prefetch(b, bOffset, R.self)
            let x = activations(ar, aOffset, count)
            s0.addProduct(x, R.values(b, bOffset, count: count))
            s1.addProduct(x, R.values(b, rowStride &+ bOffset, count: count))
            s2.addProduct(x, R.values(b, 2 &* rowStride &+ bOffset, count: count))
            s3.addProduct(x, R.values(b, 3 &* rowStride &+ bOffset, count: count))
        }
        alongK(k, R.self, step)
        put4(totals(s0, s1, s2, s3), c, accumulate)
    }

    @inlinable @inline(__always)
    static func tile2x2<R: DotRows>(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer, rowStride: Int, as _: R.Type,
                                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        var s00 = SIMD16<Float>(), s01 = SIMD16<Float>(), s10 = SIMD16<Float>(), s11 = SIMD16<Float>()
        let ar = UnsafeRawPointer(a), rowA = lda &* 4
        @inline(__always) func step(_ aOffset: Int, _ bOffset: Int, _ count: Int) {
            prefetch(b, bOffset, R.self)
            let x0 = activations(ar, aOffset, count), x1 = activations(ar, rowA &+ aOffset, count)
            let y0 = R.values(b, bOffset, count: count)
            s00.addProduct(x0, y0); s10.addProduct(x1, y0)
            let y1 = R.values(b, rowStride &+ bOffset, count: count)
            s01.addProduct(x0, y1); s11.addProduct(x1, y1)
        }
        alongK(k, R.self, step)
        // The four totals at once, in the order of `total`.
        let z = fold4(SIMD16(lowHalf: fold8(level1(s00, s01)), highHalf: fold8(level1(s10, s11))))
        let sums = z.evenHalf + z.oddHalf
        put(sums[0], c, accumulate)
        put(sums[1], c + 1, accumulate)
        put(sums[2], c + ldc, accumulate)
        put(sums[3], c + (ldc &+ 1), accumulate)
    }

    @inlinable @inline(__always)
    static func tile4x4<R: DotRows>(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer, rowStride: Int, as _: R.Type,
                                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        var s00 = SIMD16<Float>(), s01 = SIMD16<Float>(), s02 = SIMD16<Float>(), s03 = SIMD16<Float>()
        var s10 = SIMD16<Float>(), s11 = SIMD16<Float>(), s12 = SIMD16<Float>(), s13 = SIMD16<Float>()
        var s20 = SIMD16<Float>(), s21 = SIMD16<Float>(), s22 = SIMD16<Float>(), s23 = SIMD16<Float>()
        var s30 = SIMD16<Float>(), s31 = SIMD16<Float>(), s32 = SIMD16<Float>(), s33 = SIMD16<Float>()
        let ar = UnsafeRawPointer(a), rowA = lda &* 4
        @inline(__always) func step(_ aOffset: Int, _ bOffset: Int, _ count: Int) {
            prefetch(b, bOffset, R.self)
            let x0 = activations(ar, aOffset, count), x1 = activations(ar, rowA &+ aOffset, count)
            let x2 = activations(ar, 2 &* rowA &+ aOffset, count), x3 = activations(ar, 3 &* rowA &+ aOffset, count)
            let y0 = R.values(b, bOffset, count: count), y1 = R.values(b, rowStride &+ bOffset, count: count)
            let y2 = R.values(b, 2 &* rowStride &+ bOffset, count: count), y3 = R.values(b, 3 &* rowStride &+ bOffset, count: count)
            s00.addProduct(x0, y0); s01.addProduct(x0, y1); s02.addProduct(x0, y2); s03.addProduct(x0, y3)
            s10.addProduct(x1, y0); s11.addProduct(x1, y1); s12.addProduct(x1, y2); s13.addProduct(x1, y3)
            s20.addProduct(x2, y0); s21.addProduct(x2, y1); s22.addProduct(x2, y2); s23.addProduct(x2, y3)
            s30.addProduct(x3, y0); s31.addProduct(x3, y1); s32.addProduct(x3, y2); s33.addProduct(x3, y3)
        }
        alongK(k, R.self, step)
        put4(totals(s00, s01, s02, s03), c, accumulate)
        put4(totals(s10, s11, s12, s13), c + ldc, accumulate)
        put4(totals(s20, s21, s22, s23), c + 2 &* ldc, accumulate)
        put4(totals(s30, s31, s32, s33), c + 3 &* ldc, accumulate)
    }
}
