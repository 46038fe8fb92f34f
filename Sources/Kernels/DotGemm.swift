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
        if m <= 0 || n <= 0 { return }
        Profile.measure(.gemm) {
            let blocks = (n &+ columnBlock &- 1) / columnBlock
            let parts = m &* n &* k >= 1 << 16 ? min(blocks, Parallel.threadCount &* 4) : 1
            Parallel.forEach(parts) { part in
                let (b0, b1) = Partition.range(part, of: parts, total: blocks)
                let j0 = b0 &* columnBlock, j1 = min(n, b1 &* columnBlock)
                guard j0 < j1 else { return }
                if CPU.hasAVX512 {
                    AVX512Kernels.dotColumns(j0, j1, m: m, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
                } else {
                    DotTiles.columns(j0, j1, m: m, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
                }
            }
        }
    }
}
