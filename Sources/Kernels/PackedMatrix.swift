/// A linear layer's weight `W[n × k]` packed once into the GEMM's `kc × 16` panels, so that the
/// inference product `C (+)= A · Wᵀ` never repacks it and reads the activations `A` as they are.
///
/// Each output is summed in one order (sequentially over each block of 256 along `k`, blocks
/// added in turn), so a row gets the same bits whatever the number of rows beside it, the register
/// tile or the CPU.
public final class PackedMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    let panels: Int
    let kBlocks: Int
    let data: FloatBuffer

    static var panelStride: Int { Gemm.blockK &* Gemm.microCols }

    /// Packs `W`, whose `n` rows of `k` values are `ld` apart.
    public init(_ w: UnsafePointer<Float>, n: Int, k: Int, ld: Int) {
        rows = n
        columns = k
        panels = (n &+ Gemm.microCols &- 1) / Gemm.microCols
        kBlocks = (k &+ Gemm.blockK &- 1) / Gemm.blockK
        data = FloatBuffer(count: max(1, kBlocks &* panels &* Self.panelStride))
        let (panels, kBlocks, data) = (panels, kBlocks, data)
        Parallel.forEach(Parallel.threadCount) { part in
            let (j0, j1) = Partition.range(part, of: Parallel.threadCount, total: kBlocks &* panels)
            for job in j0..<j1 {
                let kb = job / panels, jp = job % panels
                Gemm.packB(b: w, ldb: ld, transposed: true, k0: kb &* Gemm.blockK, kLen: min(Gemm.blockK, k &- kb &* Gemm.blockK),
                           j0: jp &* Gemm.microCols, jLen: min(Gemm.microCols, n &- jp &* Gemm.microCols),
                           into: data.pointer + job &* Self.panelStride)
            }
        }
    }

    /// The panel of block `kb` and columns `16·jp ..< 16·jp + 16`.
    @inline(__always)
    func panel(_ kb: Int, _ jp: Int) -> UnsafePointer<Float> {
        UnsafePointer(data.pointer + (kb &* panels &+ jp) &* Self.panelStride)
    }
}

extension Gemm {
    /// `C[m × n] (+)= A[m × k] · Wᵀ` with `W` packed (`n` = its rows, `k` = its columns), `A` read
    /// in place. Columns are split over threads; register tiles are 8 rows × 32 columns where the
    /// CPU has AVX-512, 6 × 16 otherwise, with the same sums either way (`wideTiles` chooses, so
    /// tests can run both on one machine).
    public static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, packed w: PackedMatrix,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
                                wideTiles wide: Bool = CPU.hasAVX512) {
        if m <= 0 || w.rows <= 0 { return }
        Profile.measure(.gemm) {
            let panelsPerTile = wide ? 2 : 1, rowsPerTile = wide ? 8 : 6
            let tiles = (w.panels &+ panelsPerTile &- 1) / panelsPerTile
            let work = m &* w.rows &* w.columns
            let parts = work >= 1 << 15 ? min(tiles, Parallel.threadCount &* 4) : 1
            Parallel.forEach(parts) { part in
                let (t0, t1) = Partition.range(part, of: parts, total: tiles)
                for t in t0..<t1 {
                    let jp = t &* panelsPerTile, count = min(panelsPerTile, w.panels &- jp)
                    var i = 0
                    while i < m {
                        let r = min(rowsPerTile, m &- i)
                        packedTile(rows: r, panels: count, i: i, jp: jp, a: a, lda: lda, w: w, c: c, ldc: ldc, accumulate: accumulate)
                        i &+= r
                    }
                }
            }
        }
    }

    /// One register tile over every block of `k`: rows `i ..< i + rows`, panels `jp ..< jp + panels`.
    @inline(__always)
    static func packedTile(rows: Int, panels: Int, i: Int, jp: Int, a: UnsafePointer<Float>, lda: Int, w: PackedMatrix,
                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let j0 = jp &* microCols
        let width = min(panels &* microCols, w.rows &- j0)
        for kb in 0..<w.kBlocks {
            let k0 = kb &* blockK, kLen = min(blockK, w.columns &- k0)
            let add = accumulate || kb > 0
            let ap = a + (i &* lda &+ k0), cp = c + (i &* ldc &+ j0)
            let b0 = w.panel(kb, jp), b1 = w.panel(kb, panels > 1 ? jp &+ 1 : jp)
            switch (rows, panels) {
            case (8, 2): RegisterTile<8, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
            case (6, 1): RegisterTile<6, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
            case (let r, 2):
                switch r {
                case 1: RegisterTile<1, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 2: RegisterTile<2, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 3: RegisterTile<3, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 4: RegisterTile<4, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 5: RegisterTile<5, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 6: RegisterTile<6, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                default: RegisterTile<7, 2>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                }
            default:
                switch rows {
                case 1: RegisterTile<1, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 2: RegisterTile<2, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 3: RegisterTile<3, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 4: RegisterTile<4, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 5: RegisterTile<5, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                case 7: RegisterTile<7, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                default: RegisterTile<8, 1>.run(kLen, ap, lda, b0, b1, cp, ldc, width, add)
                }
            }
        }
    }
}

/// `R` rows × `P` panels of 16 columns held in registers: the sum over one block of `k` of
/// `A[r, p] · panel[p]`, then written (or added) to `C`, only the first `width` columns.
enum RegisterTile<let R: Int, let P: Int> {
    @inline(__always)
    static func run(_ kLen: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>,
                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ width: Int, _ add: Bool) {
        var lo = InlineArray<R, SIMD16<Float>>(repeating: SIMD16<Float>())
        var hi = InlineArray<R, SIMD16<Float>>(repeating: SIMD16<Float>())
        let r0 = UnsafeRawPointer(b0), r1 = UnsafeRawPointer(b1)
        for p in 0..<kLen {
            let y0 = r0.loadUnaligned(fromByteOffset: p &* 64, as: SIMD16<Float>.self)
            let y1 = P > 1 ? r1.loadUnaligned(fromByteOffset: p &* 64, as: SIMD16<Float>.self) : y0
            for r in 0..<R {
                let x = SIMD16<Float>(repeating: a[r &* lda &+ p])
                lo[r].addProduct(x, y0)
                if P > 1 { hi[r].addProduct(x, y1) }
            }
        }
        for r in 0..<R {
            let row = c + r &* ldc
            store(lo[r], row, min(16, width), add)
            if P > 1 && width > 16 { store(hi[r], row + 16, width &- 16, add) }
        }
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int, _ add: Bool) {
        if count >= 16 {
            let raw = UnsafeMutableRawPointer(dst)
            raw.storeBytes(of: add ? raw.loadUnaligned(as: SIMD16<Float>.self) + v : v, as: SIMD16<Float>.self)
        } else {
            for j in 0..<count { dst[j] = add ? dst[j] + v[j] : v[j] }
        }
    }
}
