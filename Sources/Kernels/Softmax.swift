/// Numerically stable softmax over the first `valid` entries of a row, in place.
public enum Softmax {
    /// Replaces `row[0..<valid]` by its softmax and zeroes `row[valid..<width]`.
    @inlinable
    public static func inPlace(_ row: UnsafeMutablePointer<Float>, valid: Int, width: Int) {
        // The maximum is exact in any order: eight lanes at a time.
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j &+ 8 <= valid {
            let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
            lanes.replace(with: v, where: v .> lanes)  // one vmaxps; `pointwiseMax` is a call per lane
            j &+= 8
        }
        var maxValue = lanes.max()
        while j < valid { maxValue = max(maxValue, row[j]); j &+= 1 }
        var sum: Float = 0
        j = 0
        let mv = SIMD8<Float>(repeating: maxValue)
        var acc = SIMD8<Float>()
        while j &+ 8 <= valid {
            let raw = UnsafeMutableRawPointer(row + j)
            let e = FastMath.exp(raw.loadUnaligned(as: SIMD8<Float>.self) - mv)
            raw.storeBytes(of: e, as: SIMD8<Float>.self)
            acc += e
            j &+= 8
        }
        sum = acc.sum()
        while j < valid {
            let e = FastMath.exp(row[j] - maxValue)
            row[j] = e
            sum += e
            j &+= 1
        }
        let inv = 1 / sum
        for i in 0..<valid { row[i] *= inv }
        if valid < width { (row + valid).update(repeating: 0, count: width &- valid) }
    }
}
