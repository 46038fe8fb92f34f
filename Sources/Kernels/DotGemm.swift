import KernelsAVX512
import KernelsBF16
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
    /// widened to float32, bit for bit. With `roundingActivations`, A is rounded to bfloat16 first
    /// and, on a CPU with AVX512-BF16, multiplied by its bfloat16 dot products (`BFloat16DotTiles`,
    /// half the instructions); elsewhere the rounded values take the widened product, which gives
    /// the same products summed in another order.
    public static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, bfloat16 w: BFloat16Matrix, roundingActivations: Bool = false,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false) {
        if roundingActivations {
            multiplyRounded(m: m, a: a, lda: lda, bfloat16: w, c: c, ldc: ldc, accumulate: accumulate)
            return
        }
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

    /// `multiply(bfloat16:roundingActivations: true)`.
    static func multiplyRounded(m: Int, a: UnsafePointer<Float>, lda: Int, bfloat16 w: BFloat16Matrix, c: UnsafeMutablePointer<Float>,
                                ldc: Int, accumulate: Bool) {
        let k = w.columns
        guard m > 0 && w.rows > 0 else { return }
        #if arch(x86_64)
        if CPU.hasAVX512BF16 {
            let rowBytes = BFloat16.rowBytes(k), b = UnsafeRawPointer(w.base), panelBytes = w.panelBytes
            let rounded = UnsafeMutableRawPointer.allocate(byteCount: max(m &* rowBytes, 64), alignment: 64)
            defer { rounded.deallocate() }
            Profile.measure(.packing) { for i in 0..<m { BFloat16.round(a + i &* lda, count: k, into: rounded + i &* rowBytes) } }
            split(m: m, n: w.rows, k: k) { j0, j1 in
                BFloat16DotTiles.columns(j0, j1, m: m, groups: rowBytes / 32, a: rounded, aRowBytes: rowBytes, b: b, panelBytes: panelBytes,
                                         c: c, ldc: ldc, accumulate: accumulate)
            }
            return
        }
        #endif
        let widened = FloatBuffer(count: m &* k)
        for i in 0..<m { BFloat16.roundTrip(a + i &* lda, count: k, into: widened.pointer + i &* k) }
        multiply(m: m, a: widened.pointer, lda: k, bfloat16: w, c: c, ldc: ldc, accumulate: accumulate)
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
