import Foundation
import RegisterTiles

/// A linear layer's weight `W[n × k]` in bfloat16 for inference: half the bytes of float32 to
/// hold and to read per decoded token, which is what bounds decoding a model too large for the
/// caches. Rows are whole groups of sixteen (`BFloat16`'s layout), the last padded with zeros,
/// in panels of four rows whose groups are interleaved (`BFloat16Rows`), so that the four rows
/// `DotGemm` reads together are one stream through memory.
public final class BFloat16Matrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    /// Bytes from one panel of four rows to the next.
    public let panelBytes: Int
    public let base: UnsafeMutableRawPointer
    private let block: UnsafeMutableRawPointer

    /// `W` rounded to bfloat16; its `n` rows of `k` values are `ld` apart. Rows are converted on
    /// every thread.
    public convenience init(_ w: UnsafePointer<Float>, n: Int, k: Int, ld: Int) {
        self.init(rows: n, columns: k)
        let parts = n &* k >= 1 << 16 ? Parallel.threadCount : 1
        Parallel.forEach(parts) { part in
            let (j0, j1) = Partition.range(part, of: parts, total: n)
            for j in j0..<j1 { self.setRow(j, from: w + j &* ld) }
        }
    }

    /// A matrix of zeros, to be filled row by row with `setRow`.
    public init(rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "a matrix has no negative size")
        self.rows = rows
        self.columns = columns
        panelBytes = 4 &* BFloat16.rowBytes(columns)
        guard let block = calloc(max((rows &+ 3) / 4 &* panelBytes, 1) + 64, 1) else {
            fatalError("out of memory: a bfloat16 matrix of \(rows) × \(columns) could not be allocated")
        }
        self.block = block
        base = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: block) + 63) & ~63)!
    }

    deinit { free(block) }

    /// Row `j` set to the `columns` values at `values`, rounded to bfloat16.
    public func setRow(_ j: Int, from values: UnsafePointer<Float>) {
        precondition(j >= 0 && j < rows, "row \(j) of a matrix of \(rows) rows")
        for i in 0..<columns { BFloat16.store(values[i], at: group(row: j, column: i), value: i & 15) }
    }

    /// Value `i` of row `j`, widened to `Float`.
    public func value(row j: Int, column i: Int) -> Float {
        BFloat16.load(group(row: j, column: i), value: i & 15)
    }

    /// The group of sixteen that holds value `i` of row `j`.
    @inline(__always)
    private func group(row j: Int, column i: Int) -> UnsafeMutableRawPointer {
        base + ((j >> 2) &* panelBytes &+ (i >> 4) &* BFloat16Rows.groupStride &+ (j & 3) &* BFloat16Rows.rowStride)
    }
}
