/// The training GEMM's packed layout and its register tile, written once as inlinable code so
/// that each instruction set's module compiles its own copy (`Kernels` for AVX2, `KernelsAVX512`
/// for AVX-512) and `Kernels` picks one at run time.
///
/// The BLIS layout: B is packed into `kc × 16` panels, A into `6 × kc` micro-panels, and a 6×16
/// register tile of SIMD accumulators runs over them (6×32, two panels at once, for AVX-512). The
/// tiles broadcast A's values one at a time, so they read A as well where it lies (`UnpackedTiles`).
public enum GemmPanels {
    public static let microRows = 6
    public static let microCols = 16
    public static let blockK = 256

    /// One block of `k` for a block of rows: every 6×16 tile of `C[rows, columns of panels p0..<p1]`
    /// gets `Apacked · Bpanel` written (`overwrite`) or added. `packedA` holds the rows' micro-panels
    /// (`kLen × 6` each), `packedB` the block's panels `kLen × 16` apart by `panelStride`.
    /// `wide` takes two panels at a time (a 6×32 tile, `wideMicroKernel`): twelve accumulators,
    /// for AVX-512 cores with two FMA ports, where six one-register rows leave a port idle. Each
    /// element's sum runs in the same order either way, so the results are the same bits.
    @inlinable @inline(__always)
    public static func blockProduct(kLen: Int, packedA: UnsafePointer<Float>, rows: Int, packedB: UnsafePointer<Float>,
                                    panelStride: Int, p0: Int, p1: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                    overwrite: Bool, wide: Bool = false) {
        let microPanels = (rows &+ microRows &- 1) / microRows
        var jp = p0
        while jp < p1 {
            let j0 = jp &* microCols, bPanel = packedB + jp &* panelStride
            let pair = wide && jp &+ 1 < p1
            let jLen = min(pair ? 2 &* microCols : microCols, n &- j0)
            for ip in 0..<microPanels {
                let i0 = ip &* microRows, iLen = min(microRows, rows &- i0)
                let a = packedA + ip &* microRows &* kLen, cTile = c + (i0 &* ldc &+ j0)
                // Packed micro-panels are zero-padded to six rows: every offset is a constant.
                if pair {
                    wideMicroKernel(kLen: kLen, a: a, rowStep: 1, kStep: microRows, readRows: microRows, b: bPanel, bStep: microCols,
                                    right: panelStride, c: cTile, ldc: ldc, rows: iLen, cols: jLen, overwrite: overwrite)
                } else {
                    microKernel(kLen: kLen, a: a, rowStep: 1, kStep: microRows, readRows: microRows, b: bPanel, bStep: microCols,
                                c: cTile, ldc: ldc, rows: iLen, cols: jLen, overwrite: overwrite)
                }
            }
            jp &+= pair ? 2 : 1
        }
    }

    /// Copies a `kLen × jLen` block of op(B) into a `kLen × 16` panel, zero-padding missing columns.
    @inlinable @inline(__always)
    public static func packB(b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k0: Int, kLen: Int,
                             j0: Int, jLen: Int, into dst: UnsafeMutablePointer<Float>) {
        if !transposed && jLen == microCols {
            for p in 0..<kLen {
                (dst + p &* microCols).update(from: b + ((k0 &+ p) &* ldb &+ j0), count: microCols)
            }
            return
        }
        dst.update(repeating: 0, count: kLen &* microCols)
        if transposed {
            let src = b + (j0 &* ldb &+ k0)
            for p in 0..<kLen {
                let row = dst + p &* microCols
                for j in 0..<jLen { row[j] = src[j &* ldb &+ p] }
            }
        } else {
            for p in 0..<kLen {
                let src = b + ((k0 &+ p) &* ldb &+ j0)
                for j in 0..<jLen { dst[p &* microCols &+ j] = src[j] }
            }
        }
    }

    /// Copies rows `i0..<i0+iLen` of alpha·op(A), columns `k0..<k0+kLen`, into 6-row micro-panels
    /// laid out k-major (`kLen × 6` each), zero-padding missing rows.
    @inlinable @inline(__always)
    public static func packA(a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, iLen: Int,
                             k0: Int, kLen: Int, alpha: Float, into dst: UnsafeMutablePointer<Float>) {
        let microPanels = (iLen &+ microRows &- 1) / microRows
        for ip in 0..<microPanels {
            let panel = dst + ip &* microRows &* kLen
            let rows = min(microRows, iLen &- ip &* microRows)
            if rows < microRows { panel.update(repeating: 0, count: kLen &* microRows) }
            let first = i0 &+ ip &* microRows
            if transposed && rows == microRows {
                // Row p of Aᵀ's storage holds this panel's six values contiguously: constant offsets,
                // no loop over a run-time count.
                for p in 0..<kLen {
                    let src = a + ((k0 &+ p) &* lda &+ first), dst = panel + p &* microRows
                    dst[0] = alpha * src[0]; dst[1] = alpha * src[1]; dst[2] = alpha * src[2]
                    dst[3] = alpha * src[3]; dst[4] = alpha * src[4]; dst[5] = alpha * src[5]
                }
            } else if transposed {
                for p in 0..<kLen {
                    let src = a + ((k0 &+ p) &* lda &+ first), dst = panel + p &* microRows
                    for r in 0..<rows { dst[r] = alpha * src[r] }
                }
            } else if rows == microRows {
                // A whole micro-panel: six row streams, six stores a step, no inner loop (the loop
                // over a run-time row count cost five instructions a value).
                let s0 = a + (first &* lda &+ k0), s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda
                var dst = panel
                for p in 0..<kLen {
                    dst[0] = alpha * s0[p]; dst[1] = alpha * s1[p]; dst[2] = alpha * s2[p]
                    dst[3] = alpha * s3[p]; dst[4] = alpha * s4[p]; dst[5] = alpha * s5[p]
                    dst += microRows
                }
            } else {
                let src = a + (first &* lda &+ k0)
                for p in 0..<kLen {
                    let dst = panel + p &* microRows
                    for r in 0..<rows { dst[r] = alpha * src[r &* lda &+ p] }
                }
            }
        }
    }

    /// Offsets of a tile's six rows of A; rows past `readRows` repeat the last one (read, never stored).
    @inlinable @inline(__always)
    static func rowOffsets(_ readRows: Int, _ rowStep: Int) -> (Int, Int, Int, Int, Int) {
        let last = readRows &- 1
        return (min(1, last) &* rowStep, min(2, last) &* rowStep, min(3, last) &* rowStep, min(4, last) &* rowStep,
                min(5, last) &* rowStep)
    }

    /// The 6×16 register tile: `C[rows, cols] (+)= A[rows, kLen] · B[kLen, 16]`, A's element (r, p)
    /// at `a[r · rowStep + p · kStep]` for the first `readRows` rows (the rest repeat the last), B's
    /// row p the sixteen floats at `b + p · bStep`.
    @inlinable @inline(__always)
    public static func microKernel(kLen: Int, a: UnsafePointer<Float>, rowStep: Int, kStep: Int, readRows: Int, b: UnsafePointer<Float>,
                                   bStep: Int, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, overwrite: Bool) {
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
        var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
        let (o1, o2, o3, o4, o5) = rowOffsets(readRows, rowStep)
        var ap = a
        let bp = UnsafeRawPointer(b), bBytes = bStep &* 4
        for p in 0..<kLen {
            let bv = bp.loadUnaligned(fromByteOffset: p &* bBytes, as: SIMD16<Float>.self)
            c0.addProduct(SIMD16(repeating: ap[0]), bv)
            c1.addProduct(SIMD16(repeating: ap[o1]), bv)
            c2.addProduct(SIMD16(repeating: ap[o2]), bv)
            c3.addProduct(SIMD16(repeating: ap[o3]), bv)
            c4.addProduct(SIMD16(repeating: ap[o4]), bv)
            c5.addProduct(SIMD16(repeating: ap[o5]), bv)
            ap += kStep
        }
        if rows == microRows && cols == microCols {
            store(c0, c, overwrite); store(c1, c + ldc, overwrite); store(c2, c + (2 &* ldc), overwrite)
            store(c3, c + (3 &* ldc), overwrite); store(c4, c + (4 &* ldc), overwrite); store(c5, c + (5 &* ldc), overwrite)
            return
        }
        var tile = (c0, c1, c2, c3, c4, c5)
        withUnsafeBytes(of: &tile) { storeEdge($0, width: microCols, rows: rows, cols: cols, c: c, ldc: ldc, overwrite: overwrite) }
    }

    /// The 6×32 register tile: as `microKernel`, with a second sixteen columns of B `right` floats
    /// after the first (the next panel, or the rest of an unpacked row); each row two accumulators.
    @inlinable @inline(__always)
    public static func wideMicroKernel(kLen: Int, a: UnsafePointer<Float>, rowStep: Int, kStep: Int, readRows: Int,
                                       b: UnsafePointer<Float>, bStep: Int, right: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                       rows: Int, cols: Int, overwrite: Bool) {
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
        var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
        var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>()
        var d3 = SIMD16<Float>(), d4 = SIMD16<Float>(), d5 = SIMD16<Float>()
        let (o1, o2, o3, o4, o5) = rowOffsets(readRows, rowStep)
        var ap = a
        let bp = UnsafeRawPointer(b), bBytes = bStep &* 4, rightBytes = right &* 4
        for p in 0..<kLen {
            let bl = bp.loadUnaligned(fromByteOffset: p &* bBytes, as: SIMD16<Float>.self)
            let br = bp.loadUnaligned(fromByteOffset: p &* bBytes &+ rightBytes, as: SIMD16<Float>.self)
            var x = SIMD16<Float>(repeating: ap[0]); c0.addProduct(x, bl); d0.addProduct(x, br)
            x = SIMD16(repeating: ap[o1]); c1.addProduct(x, bl); d1.addProduct(x, br)
            x = SIMD16(repeating: ap[o2]); c2.addProduct(x, bl); d2.addProduct(x, br)
            x = SIMD16(repeating: ap[o3]); c3.addProduct(x, bl); d3.addProduct(x, br)
            x = SIMD16(repeating: ap[o4]); c4.addProduct(x, bl); d4.addProduct(x, br)
            x = SIMD16(repeating: ap[o5]); c5.addProduct(x, bl); d5.addProduct(x, br)
            ap += kStep
        }
        if rows == microRows && cols == 2 &* microCols {
            store(c0, c, overwrite); store(d0, c + microCols, overwrite)
            store(c1, c + ldc, overwrite); store(d1, c + (ldc &+ microCols), overwrite)
            store(c2, c + (2 &* ldc), overwrite); store(d2, c + (2 &* ldc &+ microCols), overwrite)
            store(c3, c + (3 &* ldc), overwrite); store(d3, c + (3 &* ldc &+ microCols), overwrite)
            store(c4, c + (4 &* ldc), overwrite); store(d4, c + (4 &* ldc &+ microCols), overwrite)
            store(c5, c + (5 &* ldc), overwrite); store(d5, c + (5 &* ldc &+ microCols), overwrite)
            return
        }
        var tile = (c0, d0, c1, d1, c2, d2, c3, d3, c4, d4, c5, d5)
        withUnsafeBytes(of: &tile) { storeEdge($0, width: 2 &* microCols, rows: rows, cols: cols, c: c, ldc: ldc, overwrite: overwrite) }
    }

    /// The top-left `rows × cols` of a register tile (`width` floats a row, laid out row after row
    /// in `tile`) written to, or added to, `C`: the tiles at the matrix's edges.
    @inlinable @inline(__always)
    static func storeEdge(_ tile: UnsafeRawBufferPointer, width: Int, rows: Int, cols: Int, c: UnsafeMutablePointer<Float>,
                          ldc: Int, overwrite: Bool) {
        for r in 0..<rows {
            let row = c + (r &* ldc), from = r &* width
            for j in 0..<cols {
                let v = tile.load(fromByteOffset: (from &+ j) &* 4, as: Float.self)
                row[j] = overwrite ? v : row[j] + v
            }
        }
    }

    /// `v` written to, or added to, the sixteen floats at `dst`.
    @inlinable @inline(__always)
    public static func store(_ v: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, _ overwrite: Bool) {
        let raw = UnsafeMutableRawPointer(dst)
        if overwrite {
            raw.storeBytes(of: v, as: SIMD16<Float>.self)
        } else {
            raw.storeBytes(of: raw.loadUnaligned(as: SIMD16<Float>.self) + v, as: SIMD16<Float>.self)
        }
    }
}
