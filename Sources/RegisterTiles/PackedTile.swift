/// Where a packed weight's panels are: `W[rows × columns]` as `GemmPanels` panels of 16 rows of W,
/// `kBlocks` blocks of 256 along `columns`, block-major.
public struct PanelLayout: @unchecked Sendable {
    public let base: UnsafePointer<Float>
    public let rows: Int
    public let columns: Int
    public let panels: Int
    public let kBlocks: Int

    @inlinable public static var panelStride: Int { GemmPanels.blockK &* GemmPanels.microCols }

    /// The floats a `rows × columns` weight takes packed (at least one).
    public static func floats(rows: Int, columns: Int) -> Int {
        max(1, panels(rows) &* kBlocks(columns) &* panelStride)
    }

    static func panels(_ rows: Int) -> Int { (rows &+ GemmPanels.microCols &- 1) / GemmPanels.microCols }
    static func kBlocks(_ columns: Int) -> Int { (columns &+ GemmPanels.blockK &- 1) / GemmPanels.blockK }

    /// The layout of a `rows × columns` weight packed at `base` (`floats(rows:columns:)` long).
    public init(base: UnsafePointer<Float>, rows: Int, columns: Int) {
        self.base = base
        self.rows = rows
        self.columns = columns
        panels = Self.panels(rows)
        kBlocks = Self.kBlocks(columns)
    }

    /// The panel of block `kb` and columns `16·jp ..< 16·jp + 16`.
    @inlinable @inline(__always)
    public func panel(_ kb: Int, _ jp: Int) -> UnsafePointer<Float> {
        base + (kb &* panels &+ jp) &* Self.panelStride
    }
}

/// The inference product's register tiles over packed weights, inlinable so that each
/// instruction set's module compiles its own copy (see `GemmPanels`).
public enum PackedTile {
    /// One register tile over every block of `k`: rows `i ..< i + rows` of `C (+)= A · Wᵀ`, the
    /// columns of panels `jp ..< jp + panels`. Tiles of 8 rows × 2 panels, 6 × 1, and the
    /// narrower edges; a row alone over more than 2 panels takes up to 8 (`rowPanels`) at once.
    /// Every tile sums each output in the same order, so a row gets the same bits alone as in a batch.
    @inlinable @inline(__always)
    public static func run(rows: Int, panels: Int, i: Int, jp: Int, a: UnsafePointer<Float>, lda: Int, w: PanelLayout,
                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let j0 = jp &* GemmPanels.microCols
        let width = min(panels &* GemmPanels.microCols, w.rows &- j0)
        for kb in 0..<w.kBlocks {
            let k0 = kb &* GemmPanels.blockK, kLen = min(GemmPanels.blockK, w.columns &- k0)
            let add = accumulate || kb > 0
            let ap = a + (i &* lda &+ k0), cp = c + (i &* ldc &+ j0)
            let b0 = w.panel(kb, jp), b1 = w.panel(kb, panels > 1 ? jp &+ 1 : jp)
            switch (rows, panels) {
            case (1, let p) where p > 4: RowTile<8>.run(kLen, ap, b0, p, cp, width, add)
            case (1, let p) where p > 2: RowTile<4>.run(kLen, ap, b0, p, cp, width, add)
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

extension PackedTile {
    /// The panels a row alone takes at once: enough independent sums to hide the FMA latency
    /// (8 AVX2 registers for 4 panels, 8 AVX-512 registers for 8).
    @inlinable public static func rowPanels(wide: Bool) -> Int { wide ? 8 : 4 }
}

/// One row × `P` panels of 16 columns held in registers: the sum over one block of `k` of
/// `A[p] · panel[p]`, written (or added) to the first `width` columns of `C`. A panel past the
/// `present` ones re-reads the last present one and is not written.
@usableFromInline enum RowTile<let P: Int> {
    @inlinable @inline(__always)
    static func run(_ kLen: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ present: Int,
                    _ c: UnsafeMutablePointer<Float>, _ width: Int, _ add: Bool) {
        var acc = InlineArray<P, SIMD16<Float>>(repeating: SIMD16<Float>())
        var panel = InlineArray<P, UnsafeRawPointer>(repeating: UnsafeRawPointer(b))
        for q in 0..<P { panel[q] = UnsafeRawPointer(b + min(q, present &- 1) &* PanelLayout.panelStride) }
        for p in 0..<kLen {
            let x = SIMD16<Float>(repeating: a[p])
            for q in 0..<P {
                acc[q].addProduct(x, panel[q].loadUnaligned(fromByteOffset: p &* 64, as: SIMD16<Float>.self))
            }
        }
        for q in 0..<P where width > q &* 16 {
            RegisterTile<1, 1>.store(acc[q], c + q &* 16, min(16, width &- q &* 16), add)
        }
    }
}

/// `R` rows × `P` panels of 16 columns held in registers: the sum over one block of `k` of
/// `A[r, p] · panel[p]`, then written (or added) to `C`, only the first `width` columns.
@usableFromInline enum RegisterTile<let R: Int, let P: Int> {
    @inlinable @inline(__always)
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

    @inlinable @inline(__always)
    static func store(_ v: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int, _ add: Bool) {
        if count >= 16 {
            let raw = UnsafeMutableRawPointer(dst)
            raw.storeBytes(of: add ? raw.loadUnaligned(as: SIMD16<Float>.self) + v : v, as: SIMD16<Float>.self)
        } else {
            for j in 0..<count { dst[j] = add ? dst[j] + v[j] : v[j] }
        }
    }
}
