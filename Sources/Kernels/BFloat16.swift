import RegisterTiles

/// bfloat16: the top sixteen bits of a `Float` (its sign, exponent and seven bits of mantissa),
/// rounded to nearest, ties to even. The KV cache stores keys and values this way: half the
/// bytes to read per decode step, widened back to `Float` by a shift, with no conversion unit.
///
/// Groups of sixteen values are stored as eight 32-bit words, value `i < 8` in the low half of
/// word `i` and value `i ≥ 8` in the high half of word `i − 8`, so that one 32-byte load widens to
/// values 0–7 (the words shifted left by 16) and 8–15 (the words with their low halves cleared).
public enum BFloat16 {
    /// The bits of `x` rounded to bfloat16 (a NaN stays a NaN).
    @inlinable @inline(__always)
    public static func bits(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let u = x.bitPattern
        return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }

    /// The `Float` that bfloat16 `bits` stand for (exactly).
    @inlinable @inline(__always)
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Where value `i` (0..<16) of a group lies, counted in 16-bit halves from the group's start.
    @inlinable @inline(__always)
    public static func lane(_ i: Int) -> Int { i < 8 ? i &* 2 : (i &- 8) &* 2 &+ 1 }

    /// Bytes a row of `count` values takes: whole groups of sixteen.
    @inlinable @inline(__always)
    public static func rowBytes(_ count: Int) -> Int { ((count &+ 15) >> 4) &* 32 }

    /// Writes `x` as value `i` of the group at `group`.
    @inlinable @inline(__always)
    public static func store(_ x: Float, at group: UnsafeMutableRawPointer, value i: Int) {
        group.storeBytes(of: bits(x), toByteOffset: lane(i) &* 2, as: UInt16.self)
    }

    /// Reads value `i` of the group at `group`.
    @inlinable @inline(__always)
    public static func load(_ group: UnsafeRawPointer, value i: Int) -> Float {
        float(group.loadUnaligned(fromByteOffset: lane(i) &* 2, as: UInt16.self))
    }

    /// The `count` floats at `x` rounded to bfloat16 as whole groups at `groups` (the last padded
    /// with zeros): `rowBytes(count)` bytes, a row of activations for `BFloat16DotTiles`.
    @inlinable
    public static func round(_ x: UnsafePointer<Float>, count: Int, into groups: UnsafeMutableRawPointer) {
        let raw = UnsafeRawPointer(x)
        var g = 0
        while g &* 16 < count {
            let low: SIMD8<Float>, high: SIMD8<Float>
            if g &* 16 &+ 16 <= count {
                low = raw.loadUnaligned(fromByteOffset: g &* 64, as: SIMD8<Float>.self)
                high = raw.loadUnaligned(fromByteOffset: g &* 64 &+ 32, as: SIMD8<Float>.self)
            } else {
                let values = Float32Rows.values(raw, g &* 64, count: count &- g &* 16)
                (low, high) = (values.lowHalf, values.highHalf)
            }
            groups.storeBytes(of: BFloat16Rounding.pairs(low: low, high: high), toByteOffset: g &* 32, as: SIMD8<UInt32>.self)
            g &+= 1
        }
    }

    /// The `count` floats at `x` rounded to bfloat16 and widened back, into `out`.
    @inlinable
    public static func roundTrip(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i &+ 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: BFloat16Rounding.rounded(v), as: SIMD8<UInt32>.self)
            i &+= 8
        }
        while i < count {
            out[i] = float(bits(x[i]))
            i &+= 1
        }
    }

    /// The sixteen values of the group at `group`: values 0–7 and 8–15.
    @inlinable @inline(__always)
    public static func widen(_ group: UnsafeRawPointer) -> (low: SIMD8<Float>, high: SIMD8<Float>) {
        let values = BFloat16Rows.values(group, 0, count: 16)
        return (values.lowHalf, values.highHalf)
    }
}
