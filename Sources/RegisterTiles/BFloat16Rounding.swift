/// Floats rounded to bfloat16 (nearest, ties to even; a NaN stays a NaN), vectorised, for the
/// kernels that pack bfloat16 operands (`Kernels.BFloat16` rounds one value at a time the same way).
public enum BFloat16Rounding {
    /// Each lane rounded and left in the top half of its 32 bits, the bottom half cleared (as a
    /// `Float` it is the rounded value).
    @inlinable @inline(__always)
    public static func rounded(_ v: SIMD8<Float>) -> SIMD8<UInt32> {
        let u = unsafeBitCast(v, to: SIMD8<UInt32>.self)
        let up = (u &+ 0x7FFF &+ ((u &>> 16) & 1)) & 0xFFFF_0000
        return up.replacing(with: 0x7FC0_0000, where: v .!= v)
    }

    /// Two values to a 32-bit word, `low` in the bottom half and `high` in the top: the pairs the
    /// bfloat16 dot product multiplies together.
    @inlinable @inline(__always)
    public static func pairs(low: SIMD8<Float>, high: SIMD8<Float>) -> SIMD8<UInt32> {
        (rounded(low) &>> 16) | rounded(high)
    }

    /// Sixteen consecutive values as eight words of neighbours: value 2i in the bottom half of word
    /// i, value 2i + 1 in its top half.
    @inlinable @inline(__always)
    public static func neighbours(_ v: SIMD16<Float>) -> SIMD8<UInt32> {
        pairs(low: v.evenHalf, high: v.oddHalf)
    }
}
