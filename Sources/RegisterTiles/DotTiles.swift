/// The inference dot-product tiles of `DotGemm` (every output summed in sixteen lanes over `k`,
/// then pairwise), inlinable so that each instruction set's module compiles its own copy (see
/// `GemmPanels`).
public enum DotTiles {
    /// Columns `j0..<j1` of C for every row: tiles of 4 rows × 4 columns, then the edges.
    @inlinable @inline(__always)
    public static func columns(_ j0: Int, _ j1: Int, m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                        ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let fullRows = m & ~3, fullCols = j0 &+ ((j1 &- j0) & ~3)
        var i = 0
        while i < fullRows {
            var j = j0
            while j < fullCols {
                tile4x4(k: k, a: a + i &* lda, lda: lda, b: b + j &* ldb, ldb: ldb, c: c + (i &* ldc &+ j), ldc: ldc, accumulate: accumulate)
                j &+= 4
            }
            while j < j1 {
                for r in 0..<4 { single(k: k, a: a + (i &+ r) &* lda, b: b + j &* ldb, c: c + ((i &+ r) &* ldc &+ j), accumulate: accumulate) }
                j &+= 1
            }
            i &+= 4
        }
        while i < m {
            var j = j0
            while j &+ 4 <= j1 {
                tile1x4(k: k, a: a + i &* lda, b: b + j &* ldb, ldb: ldb, c: c + (i &* ldc &+ j), accumulate: accumulate)
                j &+= 4
            }
            while j < j1 {
                single(k: k, a: a + i &* lda, b: b + j &* ldb, c: c + (i &* ldc &+ j), accumulate: accumulate)
                j &+= 1
            }
            i &+= 1
        }
    }

    /// Sixteen values from `p`, or the `count < 16` there are followed by zeros.
    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD16<Float> {
        if count >= 16 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }
        var v = SIMD16<Float>()
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    /// The lanes added pairwise: i + 8, then i + 4, i + 2, i + 1.
    @inlinable @inline(__always)
    static func total(_ v: SIMD16<Float>) -> Float {
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

    @inlinable @inline(__always)
    static func put4(_ values: SIMD4<Float>, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(c)
        raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: SIMD4<Float>.self) + values : values, as: SIMD4<Float>.self)
    }

    @inlinable @inline(__always)
    static func put(_ value: Float, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        c.pointee = accumulate ? c.pointee + value : value
    }

    @inlinable @inline(__always)
    static func single(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        var s = SIMD16<Float>()
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b)
        let full = k & ~15
        var p = 0
        while p < full {
            s.addProduct(ar.loadUnaligned(fromByteOffset: p &* 4, as: SIMD16<Float>.self),
                         br.loadUnaligned(fromByteOffset: p &* 4, as: SIMD16<Float>.self))
            p &+= 16
        }
        if full < k { s.addProduct(load(a + full, k &- full), load(b + full, k &- full)) }
        put(total(s), c, accumulate)
    }

    @inlinable @inline(__always)
    static func tile1x4(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>,
                        accumulate: Bool) {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b), rowB = ldb &* 4
        @inline(__always) func step(_ x: SIMD16<Float>, _ y0: SIMD16<Float>, _ y1: SIMD16<Float>, _ y2: SIMD16<Float>, _ y3: SIMD16<Float>) {
            s0.addProduct(x, y0); s1.addProduct(x, y1); s2.addProduct(x, y2); s3.addProduct(x, y3)
        }
        let full = k & ~15
        var offset = 0
        while offset < full &* 4 {
            step(ar.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self),
                 br.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self),
                 br.loadUnaligned(fromByteOffset: rowB &+ offset, as: SIMD16<Float>.self),
                 br.loadUnaligned(fromByteOffset: 2 &* rowB &+ offset, as: SIMD16<Float>.self),
                 br.loadUnaligned(fromByteOffset: 3 &* rowB &+ offset, as: SIMD16<Float>.self))
            offset &+= 64
        }
        if full < k {
            let left = k &- full
            step(load(a + full, left), load(b + full, left), load(b + (ldb &+ full), left), load(b + (2 &* ldb &+ full), left),
                 load(b + (3 &* ldb &+ full), left))
        }
        let y = SIMD16(lowHalf: fold8(level1(s0, s1)), highHalf: fold8(level1(s2, s3)))
        let z = fold4(y)
        put4(z.evenHalf + z.oddHalf, c, accumulate)
    }

    @inlinable @inline(__always)
    static func tile4x4(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>,
                        ldc: Int, accumulate: Bool) {
        var s00 = SIMD16<Float>(), s01 = SIMD16<Float>(), s02 = SIMD16<Float>(), s03 = SIMD16<Float>()
        var s10 = SIMD16<Float>(), s11 = SIMD16<Float>(), s12 = SIMD16<Float>(), s13 = SIMD16<Float>()
        var s20 = SIMD16<Float>(), s21 = SIMD16<Float>(), s22 = SIMD16<Float>(), s23 = SIMD16<Float>()
        var s30 = SIMD16<Float>(), s31 = SIMD16<Float>(), s32 = SIMD16<Float>(), s33 = SIMD16<Float>()
        @inline(__always) func step(_ x: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>),
                                    _ y: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)) {
            s00.addProduct(x.0, y.0); s01.addProduct(x.0, y.1); s02.addProduct(x.0, y.2); s03.addProduct(x.0, y.3)
            s10.addProduct(x.1, y.0); s11.addProduct(x.1, y.1); s12.addProduct(x.1, y.2); s13.addProduct(x.1, y.3)
            s20.addProduct(x.2, y.0); s21.addProduct(x.2, y.1); s22.addProduct(x.2, y.2); s23.addProduct(x.2, y.3)
            s30.addProduct(x.3, y.0); s31.addProduct(x.3, y.1); s32.addProduct(x.3, y.2); s33.addProduct(x.3, y.3)
        }
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b), rowA = lda &* 4, rowB = ldb &* 4
        let full = k & ~15
        var offset = 0
        while offset < full &* 4 {
            @inline(__always) func four(_ base: UnsafeRawPointer, _ row: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                (base.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self),
                 base.loadUnaligned(fromByteOffset: row &+ offset, as: SIMD16<Float>.self),
                 base.loadUnaligned(fromByteOffset: 2 &* row &+ offset, as: SIMD16<Float>.self),
                 base.loadUnaligned(fromByteOffset: 3 &* row &+ offset, as: SIMD16<Float>.self))
            }
            step(four(ar, rowA), four(br, rowB))
            offset &+= 64
        }
        if full < k {
            let left = k &- full
            step((load(a + full, left), load(a + (lda &+ full), left), load(a + (2 &* lda &+ full), left), load(a + (3 &* lda &+ full), left)),
                 (load(b + full, left), load(b + (ldb &+ full), left), load(b + (2 &* ldb &+ full), left), load(b + (3 &* ldb &+ full), left)))
        }
        // The sixteen totals at once, in the order of `total`.
        let y0 = SIMD16(lowHalf: fold8(level1(s00, s01)), highHalf: fold8(level1(s02, s03)))
        let y1 = SIMD16(lowHalf: fold8(level1(s10, s11)), highHalf: fold8(level1(s12, s13)))
        let y2 = SIMD16(lowHalf: fold8(level1(s20, s21)), highHalf: fold8(level1(s22, s23)))
        let y3 = SIMD16(lowHalf: fold8(level1(s30, s31)), highHalf: fold8(level1(s32, s33)))
        let z0 = SIMD16(lowHalf: fold4(y0), highHalf: fold4(y1)), z1 = SIMD16(lowHalf: fold4(y2), highHalf: fold4(y3))
        let rows01 = z0.evenHalf + z0.oddHalf, rows23 = z1.evenHalf + z1.oddHalf
        put4(rows01.lowHalf, c, accumulate)
        put4(rows01.highHalf, c + ldc, accumulate)
        put4(rows23.lowHalf, c + 2 &* ldc, accumulate)
        put4(rows23.highHalf, c + 3 &* ldc, accumulate)
    }
}
