import RegisterTiles

/// The register tiles of `RegisterTiles` compiled for AVX-512 (this target alone is built with
/// `-target-cpu skylake-avx512` on x86-64), so that one binary has both instruction sets and
/// `Kernels` calls these only where `CPU.hasAVX512`. Each entry is one whole tile loop, so the
/// call costs nothing beside the work.
public enum AVX512Kernels {
    /// `GemmPanels.blockProduct` in AVX-512, its 6×32 tiles where two panels remain.
    @inline(never)
    public static func gemmBlock(kLen: Int, packedA: UnsafePointer<Float>, rows: Int, packedB: UnsafePointer<Float>,
                                 panelStride: Int, p0: Int, p1: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                 overwrite: Bool) {
        GemmPanels.blockProduct(kLen: kLen, packedA: packedA, rows: rows, packedB: packedB, panelStride: panelStride,
                                p0: p0, p1: p1, n: n, c: c, ldc: ldc, overwrite: overwrite, wide: true)
    }

    /// `UnpackedTiles.product` in AVX-512, its 6×32 tiles while 32 columns remain.
    @inline(never)
    public static func unpackedProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                                       b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        UnpackedTiles.product(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: c, ldc: ldc,
                              accumulate: accumulate, wide: true)
    }

    /// `PackedTile.run` in AVX-512.
    @inline(never)
    public static func packedTile(rows: Int, panels: Int, i: Int, jp: Int, a: UnsafePointer<Float>, lda: Int, w: PanelLayout,
                                  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        PackedTile.run(rows: rows, panels: panels, i: i, jp: jp, a: a, lda: lda, w: w, c: c, ldc: ldc, accumulate: accumulate)
    }

    /// `DotTiles.columns` in AVX-512.
    @inline(never)
    public static func dotColumns(_ j0: Int, _ j1: Int, m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                  ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        DotTiles.columns(j0, j1, m: m, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate, wide: true)
    }

    /// `DotTiles.columns` over bfloat16 weight rows, in AVX-512.
    @inline(never)
    public static func dotColumnsBFloat16(_ j0: Int, _ j1: Int, m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeRawPointer,
                                          panelBytes: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        DotTiles.columns(j0, j1, m: m, k: k, a: a, lda: lda, b: b, panelBytes: panelBytes, as: BFloat16Rows.self, c: c, ldc: ldc,
                         accumulate: accumulate, wide: true)
    }
}
