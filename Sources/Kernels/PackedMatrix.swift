import KernelsAVX512
import RegisterTiles

/// A linear layer's weight `W[n × k]` packed once into the GEMM's `kc × 16` panels, so that the
/// inference product `C (+)= A · Wᵀ` never repacks it and reads the activations `A` as they are.
///
/// Each output is summed in one order (sequentially over each block of 256 along `k`, blocks
/// added in turn), so a row gets the same bits whatever the number of rows beside it, the register
/// tile or the CPU.
public final class PackedMatrix: @unchecked Sendable {
    public var rows: Int { layout.rows }
    public var columns: Int { layout.columns }
    let data: FloatBuffer
    /// Where the panels are, for the register tiles.
    public let layout: PanelLayout

    /// Packs `W`, whose `n` rows of `k` values are `ld` apart.
    public init(_ w: UnsafePointer<Float>, n: Int, k: Int, ld: Int) {
        let data = FloatBuffer(count: PanelLayout.floats(rows: n, columns: k))
        let layout = PanelLayout(base: data.pointer, rows: n, columns: k)
        self.data = data
        self.layout = layout
        let panels = layout.panels, kBlocks = layout.kBlocks, stride = PanelLayout.panelStride
        Parallel.forEach(Parallel.threadCount) { part in
            let (j0, j1) = Partition.range(part, of: Parallel.threadCount, total: kBlocks &* panels)
            for job in j0..<j1 {
                let kb = job / panels, jp = job % panels
                GemmPanels.packB(b: w, ldb: ld, transposed: true, k0: kb &* Gemm.blockK, kLen: min(Gemm.blockK, k &- kb &* Gemm.blockK),
                                 j0: jp &* Gemm.microCols, jLen: min(Gemm.microCols, n &- jp &* Gemm.microCols),
                                 into: data.pointer + job &* stride)
            }
        }
    }
}

extension Gemm {
    /// `C[m × n] (+)= A[m × k] · Wᵀ` with `W` packed (`n` = its rows, `k` = its columns), `A` read
    /// in place. Columns are split over threads; register tiles are up to 8 rows × 32 columns where
    /// the CPU has AVX-512, up to 6 × 16 otherwise (the rows shared evenly among the fewest tiles),
    /// and a row alone takes 128 (AVX-512) or 64 columns at once,
    /// with the same sums either way (`wideTiles` chooses, so tests can run both on one machine;
    /// the instruction set follows `CPU.hasAVX512` alone).
    public static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, packed w: PackedMatrix,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
                                wideTiles wide: Bool = CPU.hasAVX512) {
        if m <= 0 || w.rows <= 0 { return }
        Profile.measure(.gemm) {
            let panelsPerTile = m == 1 ? PackedTile.rowPanels(wide: wide) : wide ? 2 : 1, rowsPerTile = wide ? 8 : 6
            let layout = w.layout
            let tiles = (layout.panels &+ panelsPerTile &- 1) / panelsPerTile
            let work = m &* w.rows &* w.columns
            let parts = work >= 1 << 15 ? min(tiles, Parallel.threadCount &* 4) : 1
            // The rows shared evenly among the fewest tiles that hold them (8 rows as 4 + 4, not
            // 6 + 2): a tile of fewer than 4 rows waits on its sums' FMA latency.
            let rowTiles = (m &+ rowsPerTile &- 1) / rowsPerTile
            Parallel.forEach(parts) { part in
                let (t0, t1) = Partition.range(part, of: parts, total: tiles)
                for t in t0..<t1 {
                    let jp = t &* panelsPerTile, count = min(panelsPerTile, layout.panels &- jp)
                    for rowTile in 0..<rowTiles {
                        let (i, end) = Partition.range(rowTile, of: rowTiles, total: m)
                        let r = end &- i
                        if CPU.hasAVX512 {
                            AVX512Kernels.packedTile(rows: r, panels: count, i: i, jp: jp, a: a, lda: lda, w: layout, c: c, ldc: ldc,
                                                     accumulate: accumulate)
                        } else {
                            PackedTile.run(rows: r, panels: count, i: i, jp: jp, a: a, lda: lda, w: layout, c: c, ldc: ldc,
                                           accumulate: accumulate)
                        }
                    }
                }
            }
        }
    }
}
