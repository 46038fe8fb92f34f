import Foundation

/// Llama 3.1/3.2's rotary frequency scaling (`rope_type: "llama3"`): frequencies whose wavelength
/// exceeds `originalContext / lowFreqFactor` are divided by `factor`, those shorter than
/// `originalContext / highFreqFactor` are kept, and those between are blended smoothly.
public struct Llama3RopeScaling: Codable, Sendable, Equatable {
    public var factor: Double
    public var lowFreqFactor: Double
    public var highFreqFactor: Double
    /// The context the model was first trained with (`original_max_position_embeddings`).
    public var originalContext: Double

    public init(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalContext: Double) {
        self.factor = factor
        self.lowFreqFactor = lowFreqFactor
        self.highFreqFactor = highFreqFactor
        self.originalContext = originalContext
    }

    /// The scaled frequency (radians per position) for an unscaled one.
    public func scale(_ frequency: Double) -> Double {
        let wavelength = 2 * Double.pi / frequency
        if wavelength < originalContext / highFreqFactor { return frequency }
        if wavelength > originalContext / lowFreqFactor { return frequency / factor }
        let smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
        return (1 - smooth) * frequency / factor + smooth * frequency
    }
}

/// Rotary position embedding in the "rotate half" layout used by Llama checkpoints: within each
/// head, element `i` pairs with element `i + headDim/2` and the pair is rotated by `pos · θ^(-2i/headDim)`
/// (that frequency scaled first when the model has Llama 3 scaling).
public final class RopeTable: @unchecked Sendable {
    public let headDim: Int
    public let maxPositions: Int
    /// `maxPositions × headDim/2` cosines, then the same number of sines.
    public let table: FloatBuffer

    public init(headDim: Int, maxPositions: Int, theta: Double, scaling: Llama3RopeScaling? = nil) {
        precondition(headDim % 2 == 0, "rotary embedding needs an even head dimension")
        self.headDim = headDim
        self.maxPositions = maxPositions
        let half = headDim / 2
        table = FloatBuffer(count: 2 * maxPositions * half)
        for p in 0..<maxPositions {
            for i in 0..<half {
                let base = pow(theta, -Double(2 * i) / Double(headDim))
                let freq = scaling?.scale(base) ?? base
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
