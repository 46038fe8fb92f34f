/// Single-precision matrix multiply: `C = alpha · op(A) · op(B)`, or `C += …` when accumulating.
///
/// Matrices are row-major with explicit leading dimensions, so a head's slice of a wider
/// activation matrix can be multiplied in place. `op(X)` is `X` or `Xᵀ`; training needs
/// `A·Bᵀ` (forward through a linear layer stored as `[out, in]`), `A·B` (input gradient) and
/// `Aᵀ·B` (weight gradient, accumulated).
///
/// The kernel follows the BLIS layout: B is packed into `kc × 16` panels, A into `6 × kc`
/// micro-panels, and a 6×16 register-blocked SIMD micro-kernel (12 AVX2 registers of
/// accumulators) runs over them. Output tiles are spread over threads; each output element is
/// computed by one thread in a fixed order, so results do not depend on the thread count.
public enum Gemm {
    public static let microRows = 6
    public static let microCols = 16
    @usableFromInline static let blockK = 256
    @usableFromInline static let blockM = 72

    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, accumulate: Bool = false, parallel: Bool = true
    ) {
        Profile.measure(.gemm) {
            packedProduct(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
                          c: c, ldc: ldc, alpha: alpha, accumulate: accumulate, parallel: parallel)
        }
    }

    static func packedProduct(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool, b: UnsafePointer<Float>, ldb: Int,
        transposeB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool, parallel: Bool
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            if !accumulate { for i in 0..<m { (c + (i &* ldc)).update(repeating: 0, count: n) } }
            return
        }
        if m <= smallRows && !transposeA {
            smallProduct(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB, c: c, ldc: ldc,
                         alpha: alpha, accumulate: accumulate, parallel: parallel)
            return
        }
        let panels = (n &+ microCols &- 1) / microCols
        let kBlocks = (k &+ blockK &- 1) / blockK
        let panelStride = blockK &* microCols
        let packedB = UnsafeMutablePointer<Float>.allocate(capacity: kBlocks &* panels &* panelStride)
        defer { packedB.deallocate() }

        let threads = parallel ? Parallel.threadCount : 1
        let useThreads = threads > 1 && m &* n &* k >= 1 << 18

        // Pack B: one job per (k block, panel).
        let packJob: (Int) -> Void = { job in
            let kb = job / panels, jp = job % panels
            packB(b: b, ldb: ldb, transposed: transposeB, k0: kb &* blockK, kLen: min(blockK, k &- kb &* blockK),
                  j0: jp &* microCols, jLen: min(microCols, n &- jp &* microCols),
                  into: packedB + (kb &* panels &+ jp) &* panelStride)
        }
        // Packing a small B costs less than waking the other threads for it.
        Profile.measure(.packing) {
            if useThreads && k &* n >= 1 << 18 {
                Parallel.forEach(kBlocks &* panels, packJob)
            } else {
                for j in 0..<(kBlocks &* panels) { packJob(j) }
            }
        }

        let mBlocks = (m &+ blockM &- 1) / blockM
        var nChunks = 1
        if useThreads && mBlocks < threads &* 3 {
            nChunks = min(panels, (threads &* 3 &+ mBlocks &- 1) / mBlocks)
        }
        let panelsPerChunk = (panels &+ nChunks &- 1) / nChunks
        nChunks = (panels &+ panelsPerChunk &- 1) / panelsPerChunk

        let tileJob: (Int) -> Void = { job in
            let mb = job / nChunks, nc = job % nChunks
            let m0 = mb &* blockM, mLen = min(blockM, m &- m0)
            let p0 = nc &* panelsPerChunk, p1 = min(panels, p0 &+ panelsPerChunk)
            let microPanels = (mLen &+ microRows &- 1) / microRows
            let packedA = UnsafeMutablePointer<Float>.allocate(capacity: microPanels &* microRows &* blockK)
            defer { packedA.deallocate() }
            for kb in 0..<kBlocks {
                let k0 = kb &* blockK, kLen = min(blockK, k &- k0)
                packA(a: a, lda: lda, transposed: transposeA, i0: m0, iLen: mLen, k0: k0, kLen: kLen,
                      alpha: alpha, into: packedA)
                let overwrite = kb == 0 && !accumulate
                for jp in p0..<p1 {
                    let j0 = jp &* microCols, jLen = min(microCols, n &- j0)
                    let bPanel = UnsafePointer(packedB + (kb &* panels &+ jp) &* panelStride)
                    for ip in 0..<microPanels {
                        let i0 = ip &* microRows, iLen = min(microRows, mLen &- i0)
                        microKernel(kLen: kLen, a: UnsafePointer(packedA + ip &* microRows &* kLen), b: bPanel,
                                    c: c + ((m0 &+ i0) &* ldc &+ j0), ldc: ldc, rows: iLen, cols: jLen, overwrite: overwrite)
                    }
                }
            }
        }
        let jobs = mBlocks &* nChunks
        if useThreads { Parallel.forEach(jobs, tileJob) } else { for j in 0..<jobs { tileJob(j) } }
    }

    /// Rows up to which a product skips packing (decoding one token for a few sequences): packing
    /// the whole of B would cost as much as the product itself.
    public static let smallRows = 8

    /// `C (+)= alpha · A · op(B)` for a few rows of A, straight from B: dot products with B's rows
    /// when B is stored transposed (a linear layer's `[out, in]` weight), scaled row sums otherwise.
    /// Columns of C are split over threads.
    static func smallProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                             ldb: Int, transposeB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float,
                             accumulate: Bool, parallel: Bool) {
        let parts = parallel && m &* n &* k >= 1 << 20 ? min(Parallel.threadCount, (n &+ 63) / 64) : 1
        let job: (Int) -> Void = { part in
            let (j0, j1) = Partition.range(part, of: parts, total: n)
            if j0 >= j1 { return }
            if transposeB {
                // Each row of B is read once and used for every row of A while it is in cache.
                for j in j0..<j1 {
                    let bj = b + j &* ldb
                    for i in 0..<m {
                        let v = alpha * Vector.dot(a + i &* lda, bj, k)
                        let cij = c + (i &* ldc &+ j)
                        cij.pointee = accumulate ? cij.pointee + v : v
                    }
                }
            } else {
                for i in 0..<m {
                    let ai = a + i &* lda, ci = c + i &* ldc
                    if !accumulate { (ci + j0).update(repeating: 0, count: j1 &- j0) }
                    for p in 0..<k { Vector.axpy(alpha * ai[p], b + (p &* ldb &+ j0), ci + j0, j1 &- j0) }
                }
            }
        }
        if parts > 1 { Parallel.forEach(parts, job) } else { job(0) }
    }

    /// Copies a `kLen × jLen` block of op(B) into a `kLen × 16` panel, zero-padding missing columns.
    @inline(__always)
    static func packB(b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k0: Int, kLen: Int,
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
    @inline(__always)
    static func packA(a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, iLen: Int,
                      k0: Int, kLen: Int, alpha: Float, into dst: UnsafeMutablePointer<Float>) {
        let microPanels = (iLen &+ microRows &- 1) / microRows
        for ip in 0..<microPanels {
            let panel = dst + ip &* microRows &* kLen
            let rows = min(microRows, iLen &- ip &* microRows)
            if rows < microRows { panel.update(repeating: 0, count: kLen &* microRows) }
            let first = i0 &+ ip &* microRows
            if transposed {
                // Row p of Aᵀ's storage holds this panel's `rows` values contiguously.
                for p in 0..<kLen {
                    let src = a + ((k0 &+ p) &* lda &+ first), dst = panel + p &* microRows
                    for r in 0..<rows { dst[r] = alpha * src[r] }
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

    /// The 6×16 register tile: `C[rows, cols] (+)= Apanel · Bpanel` over `kLen` steps.
    @inline(__always)
    static func microKernel(kLen: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, overwrite: Bool) {
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
        var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
        let braw = UnsafeRawPointer(b)
        var ap = a
        for p in 0..<kLen {
            let bv = braw.loadUnaligned(fromByteOffset: p &* 64, as: SIMD16<Float>.self)
            c0.addProduct(SIMD16(repeating: ap[0]), bv)
            c1.addProduct(SIMD16(repeating: ap[1]), bv)
            c2.addProduct(SIMD16(repeating: ap[2]), bv)
            c3.addProduct(SIMD16(repeating: ap[3]), bv)
            c4.addProduct(SIMD16(repeating: ap[4]), bv)
            c5.addProduct(SIMD16(repeating: ap[5]), bv)
            ap += microRows
        }
        if rows == microRows && cols == microCols {
            store(c0, c, overwrite); store(c1, c + ldc, overwrite); store(c2, c + (2 &* ldc), overwrite)
            store(c3, c + (3 &* ldc), overwrite); store(c4, c + (4 &* ldc), overwrite); store(c5, c + (5 &* ldc), overwrite)
            return
        }
        let tile = [c0, c1, c2, c3, c4, c5]
        for r in 0..<rows {
            let row = c + (r &* ldc)
            for j in 0..<cols { row[j] = overwrite ? tile[r][j] : row[j] + tile[r][j] }
        }
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, _ overwrite: Bool) {
        let raw = UnsafeMutableRawPointer(dst)
        if overwrite {
            raw.storeBytes(of: v, as: SIMD16<Float>.self)
        } else {
            raw.storeBytes(of: raw.loadUnaligned(as: SIMD16<Float>.self) + v, as: SIMD16<Float>.self)
        }
    }
}
