import KernelsAVX512
import KernelsBF16
import RegisterTiles

/// Single-precision matrix multiply: `C = alpha · op(A) · op(B)`, or `C += …` when accumulating.
///
/// Matrices are row-major with explicit leading dimensions, so a head's slice of a wider
/// activation matrix can be multiplied in place. `op(X)` is `X` or `Xᵀ`; training needs
/// `A·Bᵀ` (forward through a linear layer stored as `[out, in]`), `A·B` (input gradient) and
/// `Aᵀ·B` (weight gradient, accumulated).
///
/// The kernel follows the BLIS layout (`GemmPanels`): B is packed into `kc × 16` panels, A into
/// `6 × kc` micro-panels, and a register-blocked SIMD micro-kernel runs over them, compiled for
/// AVX-512 (6×32: two panels at once) or for AVX2 (6×16) as the CPU has (`CPU.hasAVX512`). With
/// `precision: .bfloat16` both operands are rounded to bfloat16 and the sums kept in float32: on a
/// CPU with AVX512-BF16 an 8×32 tile of bfloat16 dot products over k in pairs
/// (`BFloat16GemmPanels`), elsewhere the float32 product of the rounded values (`roundedProduct`).
/// Output tiles are spread over threads; each output element is computed by one thread in a fixed
/// order, so results do not depend on the thread count.
public enum Gemm {
    public static let microRows = GemmPanels.microRows
    public static let microCols = GemmPanels.microCols
    @usableFromInline static let blockK = GemmPanels.blockK
    @usableFromInline static let blockM = 72

    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, accumulate: Bool = false, parallel: Bool = true, precision: MatmulPrecision = .float32
    ) {
        Profile.measure(.gemm) {
            if precision == .bfloat16 && !CPU.hasAVX512BF16 {
                roundedProduct(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
                               c: c, ldc: ldc, alpha: alpha, accumulate: accumulate, parallel: parallel)
                return
            }
            packedProduct(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
                          c: c, ldc: ldc, alpha: alpha, accumulate: accumulate, parallel: parallel,
                          kernel: precision == .bfloat16 ? .bfloat16 : .float32)
        }
    }

    /// `C (+)= op(A) · B` on one thread with nothing packed (`UnpackedTiles`): for small products
    /// whose B stays in cache, such as attention's, where packing would cost as much as the
    /// product. B is row-major and its rows must be readable to `n` rounded up to 16 columns (pad
    /// them); the sums are those `multiply` computes with more than `smallRows` rows, bit for bit.
    public static func multiplyUnpacked(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                                        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                        accumulate: Bool = false) {
        Profile.measure(.gemm) {
            if m <= 0 || n <= 0 { return }
            if k <= 0 { return clearUnlessAccumulating(m: m, n: n, c: c, ldc: ldc, accumulate: accumulate) }
            if CPU.hasAVX512 {
                AVX512Kernels.unpackedProduct(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: c,
                                              ldc: ldc, accumulate: accumulate)
            } else {
                UnpackedTiles.product(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: c, ldc: ldc,
                                      accumulate: accumulate, wide: false)
            }
        }
    }

    /// `MatmulPrecision.bfloat16` where the CPU has no bfloat16 dot product: the operands rounded
    /// to bfloat16 first, then the float32 product — the same exact products as the bfloat16 tiles,
    /// summed in another order.
    static func roundedProduct(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool, b: UnsafePointer<Float>, ldb: Int,
        transposeB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool, parallel: Bool
    ) {
        if m <= 0 || n <= 0 { return }
        // The stored shapes of op(A) and op(B), copied densely and rounded.
        func rounded(_ x: UnsafePointer<Float>, ld: Int, rows: Int, columns: Int, scale: Float) -> FloatBuffer {
            let copy = FloatBuffer(count: max(rows &* columns, 1))
            for r in 0..<rows {
                let row = copy.pointer + r &* columns
                for i in 0..<columns { row[i] = scale * x[r &* ld &+ i] }
                BFloat16.roundTrip(row, count: columns, into: row)
            }
            return copy
        }
        let roundedA = transposeA ? rounded(a, ld: lda, rows: k, columns: m, scale: alpha) : rounded(a, ld: lda, rows: m, columns: k, scale: alpha)
        let roundedB = transposeB ? rounded(b, ld: ldb, rows: n, columns: k, scale: 1) : rounded(b, ld: ldb, rows: k, columns: n, scale: 1)
        packedProduct(m: m, n: n, k: k, a: roundedA.pointer, lda: transposeA ? m : k, transposeA: transposeA, b: roundedB.pointer,
                      ldb: transposeB ? k : n, transposeB: transposeB, c: c, ldc: ldc, alpha: 1, accumulate: accumulate, parallel: parallel,
                      kernel: .float32)
    }

    /// The register tiles `packedProduct` can run: float32 (`GemmPanels`, 6 × 16) or bfloat16
    /// operands with float32 sums (`BFloat16GemmPanels`, 8 × 32; AVX512-BF16 only).
    enum PanelKernel {
        case float32, bfloat16

        var microRows: Int { self == .float32 ? GemmPanels.microRows : BFloat16GemmPanels.microRows }
        var microCols: Int { self == .float32 ? GemmPanels.microCols : BFloat16GemmPanels.microCols }
        /// Bytes a value takes once packed.
        var valueBytes: Int { self == .float32 ? 4 : 2 }
    }

    static func packedProduct(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool, b: UnsafePointer<Float>, ldb: Int,
        transposeB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool, parallel: Bool, kernel: PanelKernel
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 { return clearUnlessAccumulating(m: m, n: n, c: c, ldc: ldc, accumulate: accumulate) }
        if m <= smallRows && !transposeA && kernel == .float32 {
            smallProduct(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB, c: c, ldc: ldc,
                         alpha: alpha, accumulate: accumulate, parallel: parallel)
            return
        }
        let microRows = kernel.microRows, microCols = kernel.microCols
        let panels = (n &+ microCols &- 1) / microCols
        let kBlocks = (k &+ blockK &- 1) / blockK
        // Bytes of one packed panel of B for a block of k, and of a block of rows' packed A (both
        // in 4-byte words: floats, or pairs of bfloat16), sized for the longest block of k this
        // product has: a short k packs into a short buffer, not one as long as `blockK`.
        let kc = min(blockK, (k &+ 1) & ~1)
        let panelBytes = kc &* microCols &* kernel.valueBytes, panelStride = panelBytes / 4
        let packedB = UnsafeMutableRawPointer.allocate(byteCount: kBlocks &* panels &* panelBytes, alignment: 64)
        defer { packedB.deallocate() }

        let threads = parallel ? Parallel.threadCount : 1
        let useThreads = threads > 1 && m &* n &* k >= 1 << 18

        // Pack B: one job per (k block, panel).
        let packJob: (Int) -> Void = { job in
            let kb = job / panels, jp = job % panels
            let k0 = kb &* blockK, kLen = min(blockK, k &- k0), j0 = jp &* microCols, jLen = min(microCols, n &- j0)
            let into = packedB + (kb &* panels &+ jp) &* panelBytes
            switch kernel {
            case .float32:
                GemmPanels.packB(b: b, ldb: ldb, transposed: transposeB, k0: k0, kLen: kLen, j0: j0, jLen: jLen,
                                 into: into.assumingMemoryBound(to: Float.self))
            case .bfloat16:
                #if arch(x86_64)
                BFloat16GemmPanels.packB(b: b, ldb: ldb, transposed: transposeB, k0: k0, kLen: kLen, j0: j0, jLen: jLen,
                                         into: into.assumingMemoryBound(to: UInt32.self))
                #endif
            }
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
            let packedA = UnsafeMutableRawPointer.allocate(byteCount: microPanels &* microRows &* kc &* kernel.valueBytes, alignment: 64)
            defer { packedA.deallocate() }
            for kb in 0..<kBlocks {
                let k0 = kb &* blockK, kLen = min(blockK, k &- k0)
                let blockB = UnsafeRawPointer(packedB + kb &* panels &* panelBytes), rowsC = c + m0 &* ldc
                let overwrite = kb == 0 && !accumulate
                switch kernel {
                case .float32:
                    let floatsA = packedA.assumingMemoryBound(to: Float.self), floatsB = blockB.assumingMemoryBound(to: Float.self)
                    GemmPanels.packA(a: a, lda: lda, transposed: transposeA, i0: m0, iLen: mLen, k0: k0, kLen: kLen, alpha: alpha,
                                     into: floatsA)
                    if CPU.hasAVX512 {
                        AVX512Kernels.gemmBlock(kLen: kLen, packedA: floatsA, rows: mLen, packedB: floatsB, panelStride: panelStride,
                                                p0: p0, p1: p1, n: n, c: rowsC, ldc: ldc, overwrite: overwrite)
                    } else {
                        GemmPanels.blockProduct(kLen: kLen, packedA: floatsA, rows: mLen, packedB: floatsB, panelStride: panelStride,
                                                p0: p0, p1: p1, n: n, c: rowsC, ldc: ldc, overwrite: overwrite)
                    }
                case .bfloat16:
                    #if arch(x86_64)
                    let wordsA = packedA.assumingMemoryBound(to: UInt32.self)
                    BFloat16GemmPanels.packA(a: a, lda: lda, transposed: transposeA, i0: m0, iLen: mLen, k0: k0, kLen: kLen, alpha: alpha,
                                             into: wordsA)
                    BFloat16GemmPanels.blockProduct(kLen: kLen, packedA: wordsA, rows: mLen, packedB: blockB.assumingMemoryBound(to: UInt32.self),
                                                    panelStride: panelStride, p0: p0, p1: p1, n: n, c: rowsC, ldc: ldc, overwrite: overwrite)
                    #endif
                }
            }
        }
        let jobs = mBlocks &* nChunks
        if useThreads { Parallel.forEach(jobs, tileJob) } else { for j in 0..<jobs { tileJob(j) } }
    }

    /// A product over an empty inner dimension: C = 0, or C unchanged when accumulating.
    static func clearUnlessAccumulating(m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        if !accumulate { for i in 0..<m { (c + (i &* ldc)).update(repeating: 0, count: n) } }
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
}
