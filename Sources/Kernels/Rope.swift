import Foundation

/// Rotary position embedding in the "rotate half" layout used by Llama checkpoints: within each
/// head, element `i` pairs with element `i + headDim/2` and the pair is rotated by `pos · θ^(-2i/headDim)`.
public final class RopeTable: @unchecked Sendable {
    public let headDim: Int
    public let maxPositions: Int
    /// `maxPositions × headDim/2` cosines, then the same number of sines.
    public let table: FloatBuffer

    public init(headDim: Int, maxPositions: Int, theta: Double) {
        precondition(headDim % 2 == 0, "rotary embedding needs an even head dimension")
        self.headDim = headDim
        self.maxPositions = maxPositions
        let half = headDim / 2
        table = FloatBuffer(count: 2 * maxPositions * half)
        for p in 0..<maxPositions {
            for i in 0..<half {
                let freq = pow(theta, -Double(2 * i) / Double(headDim))
                let angle = Double(p) * freq
                table[p * half + i] = Float(cos(angle))
                table[maxPositions * half + p * half + i] = Float(sin(angle))
            }
        }
    }

    /// Rotates `heads` consecutive heads of one row at position `pos`; `inverse` applies the
    /// transpose rotation (the backward pass).
    @inlinable @inline(__always)
    public func rotate(_ row: UnsafeMutablePointer<Float>, heads: Int, position pos: Int, inverse: Bool = false) {
        let half = headDim / 2
        let cosp = table.pointer + pos &* half
        let sinp = table.pointer + (maxPositions &* half &+ pos &* half)
        let sign: Float = inverse ? -1 : 1
        for h in 0..<heads {
            let x = row + h &* headDim
            for i in 0..<half {
                let c = cosp[i], s = sinp[i] * sign
                let a = x[i], b = x[i &+ half]
                x[i] = a * c - b * s
                x[i &+ half] = b * c + a * s
            }
        }
    }
}
