/// The register tiles of `GemmPanels` run on operands where they lie, with no packing: A's values
/// broadcast from its rows (or, transposed, its columns) and B's rows loaded as whole SIMD vectors.
/// For small products whose B stays in cache, such as attention's, packing A would cost as much as
/// the product itself (its columns are few).
///
/// Each element's sum runs in the order the packed tiles use — along k from zero, in blocks of
/// `GemmPanels.blockK` added to C one after another — so the results are the same bits.
public enum UnpackedTiles {
    /// `C[m, n] (+)= op(A) · B`, B row-major. B's rows are read in whole SIMD16 vectors up to `n`
    /// rounded up to 16: the caller pads them (`ldb` ≥ that width, readable). Only `n` columns
    /// of C are written. `wide` runs 6×32 tiles (AVX-512) while 32 columns remain, then 6×16.
    @inlinable @inline(__always)
    public static func product(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                               b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               accumulate: Bool, wide: Bool) {
        let microRows = GemmPanels.microRows, microCols = GemmPanels.microCols, blockK = GemmPanels.blockK
        // A's element (i, p) lies at a[i · rowStep + p · kStep].
        let rowStep = transposeA ? 1 : lda, kStep = transposeA ? lda : 1
        var j0 = 0
        while j0 < n {
            let pair = wide && n &- j0 >= 2 &* microCols
            let cols = min(pair ? 2 &* microCols : microCols, n &- j0)
            var i0 = 0
            while i0 < m {
                let rows = min(microRows, m &- i0)
                var k0 = 0
                while k0 < k {
                    let kLen = min(blockK, k &- k0)
                    let tileA = a + (i0 &* rowStep &+ k0 &* kStep), tileB = b + (k0 &* ldb &+ j0), tileC = c + (i0 &* ldc &+ j0)
                    let overwrite = k0 == 0 && !accumulate
                    if pair {
                        GemmPanels.wideMicroKernel(kLen: kLen, a: tileA, rowStep: rowStep, kStep: kStep, readRows: rows, b: tileB, bStep: ldb,
                                                   right: microCols, c: tileC, ldc: ldc, rows: rows, cols: cols, overwrite: overwrite)
                    } else {
                        GemmPanels.microKernel(kLen: kLen, a: tileA, rowStep: rowStep, kStep: kStep, readRows: rows, b: tileB, bStep: ldb, c: tileC,
                                               ldc: ldc, rows: rows, cols: cols, overwrite: overwrite)
                    }
                    k0 &+= kLen
                }
                i0 &+= microRows
            }
            j0 &+= pair ? 2 &* microCols : microCols
        }
    }
}
