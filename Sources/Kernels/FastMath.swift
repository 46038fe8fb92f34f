/// Vectorised `exp` for 8 floats at a time: range reduction to `2^n · e^r` with |r| ≤ ln2/2 and a
/// degree-6 polynomial; relative error about 2e-7, the same bits on every machine.
///
/// Written without the standard library's generic SIMD conversions (they are not inlined and
/// cost more than the polynomial): rounding and the power of two use the 1.5·2²³ "magic number".
public enum FastMath {
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // The clamp to [-87.3, 88.3] as two compare-and-blends (NaN becomes 88.3, as the standard
        // library's pointwiseMin and pointwiseMax make it; those were not inlined and cost 8x more).
        let below = SIMD8<Float>(repeating: 88.3).replacing(with: x, where: x .< 88.3)
        let clamped = SIMD8<Float>(repeating: -87.3).replacing(with: below, where: below .> -87.3)
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 · 2^23: adding it rounds to an integer
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 0.166_666_66
        p = p * r + 0.5
        p = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
        return p * scale
    }

    /// Scalar `exp` with the same polynomial, for loop tails.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(SIMD8(repeating: x))[0] }

    /// The logistic function 1 / (1 + e^-x).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + exp(-x)) }
}
