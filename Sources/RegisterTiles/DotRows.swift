/// How the weight rows of `DotTiles` are stored: read sixteen values at a time, widened to `Float`.
///
/// Rows are stored in panels of `panelRows` rows. Within a panel, the sixteen values of row `r`
/// from column `16g` lie `g · groupStride + r · rowStride` bytes from the panel's start.
public protocol DotRows {
    static var panelRows: Int { get }
    static var rowStride: Int { get }
    static var groupStride: Int { get }
    /// Bytes ahead of the group being read that a tile asks the memory to fetch (0: none; the
    /// hardware prefetcher keeps up on its own).
    static var prefetchDistance: Int { get }
    /// The sixteen values `byteOffset` bytes from `base`, or the `count < 16` there followed by zeros.
    static func values(_ base: UnsafeRawPointer, _ byteOffset: Int, count: Int) -> SIMD16<Float>
}

/// Rows of `Float`s, one after another (a panel is a row; its length is the caller's).
public enum Float32Rows: DotRows {
    @inlinable public static var panelRows: Int { 1 }
    @inlinable public static var rowStride: Int { 0 }
    @inlinable public static var groupStride: Int { 64 }
    @inlinable public static var prefetchDistance: Int { 0 }

    @inlinable @inline(__always)
    public static func values(_ base: UnsafeRawPointer, _ byteOffset: Int, count: Int) -> SIMD16<Float> {
        if count >= 16 { return base.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self) }
        var v = SIMD16<Float>()
        for i in 0..<count { v[i] = base.loadUnaligned(fromByteOffset: byteOffset &+ i &* 4, as: Float.self) }
        return v
    }
}

/// Rows of bfloat16 in `Kernels.BFloat16`'s groups (sixteen values in eight 32-bit words, value
/// `i < 8` in the low half of word `i` and value `i ≥ 8` in the high half of word `i − 8`), four
/// rows to a panel with their groups interleaved: the four rows a tile reads together are one
/// stream through memory. A row is whole groups, its last one padded with zeros, so a short last
/// group is read whole.
public enum BFloat16Rows: DotRows {
    @inlinable public static var panelRows: Int { 4 }
    @inlinable public static var rowStride: Int { 32 }
    @inlinable public static var groupStride: Int { 128 }
    @inlinable public static var prefetchDistance: Int { 1024 }

    @inlinable @inline(__always)
    public static func values(_ base: UnsafeRawPointer, _ byteOffset: Int, count: Int) -> SIMD16<Float> {
        let words = base.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<UInt32>.self)
        return SIMD16(lowHalf: unsafeBitCast(words &<< 16, to: SIMD8<Float>.self),
                      highHalf: unsafeBitCast(words & SIMD8(repeating: 0xFFFF_0000), to: SIMD8<Float>.self))
    }
}
