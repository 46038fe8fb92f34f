import KernelsAVX512
import RegisterTiles

/// `C (+)= A · Bᵀ` by dot products of rows, for inference: A's `m` rows and B's `n` rows both run
/// along `k` (activations times a linear layer stored `[out, in]`), so neither is packed and
/// nothing is allocated.
///
/// Every output is summed the same way whatever `m`, the tiling or the CPU: sixteen running sums,
/// one per lane, over `k` in steps of sixteen (a short last step padded with zeros), then added
/// pairwise (lane i with lane i + 8, then i + 4, i + 2, i + 1). So a sequence decoded in a batch of
/// 64 gets exactly the numbers it gets alone, and an AVX2 machine the numbers of an AVX-512 one.
/// The tiles (`DotTiles`) are compiled for AVX-512 and for AVX2; `CPU.hasAVX512` picks.
public enum DotGemm {
    /// Columns a thread takes at a time.
    @usableFromInline static let columnBlock = 32

    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false) {
        split(m: m, n: n, k: k) { j0, j1 in
            if CPU.hasAVX512 {
                AVX512Kernels.dotColumns(j0, j1, m: m, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
            } else {
                DotTiles.columns(j0, j1, m: m, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate, wide: false)
            }
        }
    }

    /// `C[m × n] (+)= A[m × k] · Wᵀ` with `W` in bfloat16: the sums of `multiply` over `W`'s values
    /// widened to float32, bit for bit.
    public static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, bfloat16 w: BFloat16Matrix, c: UnsafeMutablePointer<Float>,
                                ldc: Int, accumulate: Bool = false) {
        let k = w.columns, b = UnsafeRawPointer(w.base), panelBytes = w.panelBytes
        split(m: m, n: w.rows, k: k) { j0, j1 in
            if CPU.hasAVX512 {
                AVX512Kernels.dotColumnsBFloat16(j0, j1, m: m, k: k, a: a, lda: lda, b: b, panelBytes: panelBytes, c: c, ldc: ldc,
                                                 accumulate: accumulate)
            } else {
                DotTiles.columns(j0, j1, m: m, k: k, a: a, lda: lda, b: b, panelBytes: panelBytes, as: BFloat16Rows.self, c: c, ldc: ldc,
                                 accumulate: accumulate, wide: false)
            }
        }
    }

    /// Runs `columns(j0, j1)` on each block of `columnBlock` columns, the blocks shared out over
    /// the threads when the product is large enough. One block at a time, so that its weights stay
    /// in the cache while every row of A passes over them (whole parts at once streamed a large
    /// matrix from memory once per tile of rows).
    @inline(__always)
    static func split(m: Int, n: Int, k: Int, _ columns: (Int, Int) -> Void) {
        if m <= 0 || n <= 0 { return }
        Profile.measure(.gemm) {
            let blocks = (n &+ columnBlock &- 1) / columnBlock
            let parts = m &* n &* k >= 1 << 16 ? min(blocks, Parallel.threadCount &* 4) : 1
            Parallel.forEach(parts) { part in
                let (b0, b1) = Partition.range(part, of: parts, total: blocks)
                for block in b0..<b1 { columns(block &* columnBlock, min(n, (block &+ 1) &* columnBlock)) }
            }
        }
    }
}
