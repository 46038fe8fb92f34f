import Foundation
import Kernels

/// Adam with decoupled weight decay (none on norm weights), over the model's flat buffers.
///
/// The two moments are flat buffers with the same layout as the parameters, so the update is one
/// loop per tensor and a checkpoint stores them as two tensors.
public final class AdamW: @unchecked Sendable {
    /// Hyper-parameters of the update.
    public struct Settings: Codable, Equatable, Sendable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.95
        public var epsilon: Float = 1e-8
        public var weightDecay: Float = 0.1
        public init() {}
    }

    public let settings: Settings
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer
    /// Updates applied so far (the bias correction uses `step + 1`).
    public var step: Int = 0
    private let tensors: [ParameterLayout.Tensor]

    public init(layout: ParameterLayout, settings: Settings = Settings()) {
        self.settings = settings
        tensors = layout.tensors
        firstMoment = FloatBuffer(count: layout.totalCount)
        secondMoment = FloatBuffer(count: layout.totalCount)
    }

    /// Applies one update with learning rate `lr` to `parameters` from `gradients`, the flat
    /// buffers split over the threads (each element's update is its own, so the bits do not depend
    /// on the split).
    public func update(parameters: FloatBuffer, gradients: FloatBuffer, lr: Float) {
        step += 1
        let s = settings
        let correction1 = 1 - Float(pow(Double(s.beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(s.beta2), Double(step)))
        let stepSize = lr / correction1
        let invSqrtCorrection2 = 1 / correction2.squareRoot()
        let p = parameters.pointer, g = gradients.pointer, m = firstMoment.pointer, v = secondMoment.pointer
        let tensors = self.tensors, total = parameters.count
        let parts = total >= 1 << 16 ? Parallel.threadCount : 1
        Parallel.forEach(parts) { part in
            let (lo, hi) = Partition.range(part, of: parts, total: total)
            for t in tensors {
                let start = max(t.offset, lo), end = min(t.offset &+ t.count, hi)
                if start >= end { continue }
                let decay: Float = t.decays ? 1 - lr * s.weightDecay : 1
                Self.update(start..<end, p: p, g: g, m: m, v: v, settings: s, decay: decay, stepSize: stepSize,
                            invSqrtCorrection2: invSqrtCorrection2)
            }
        }
    }

    /// The update of the elements in `range`, sixteen at a time, each with the scalar tail's
    /// arithmetic in the same order (no fused multiply-adds), so both give the same bits.
    static func update(_ range: Range<Int>, p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                       v: UnsafeMutablePointer<Float>, settings s: Settings, decay: Float, stepSize: Float, invSqrtCorrection2: Float) {
        typealias V = SIMD16<Float>
        var i = range.lowerBound
        let beta1 = V(repeating: s.beta1), beta2 = V(repeating: s.beta2), keep1 = V(repeating: 1 - s.beta1)
        let keep2 = V(repeating: 1 - s.beta2), epsilon = V(repeating: s.epsilon), decayV = V(repeating: decay)
        let stepV = V(repeating: stepSize), invV = V(repeating: invSqrtCorrection2)
        let pr = UnsafeMutableRawPointer(p), gr = UnsafeRawPointer(g), mr = UnsafeMutableRawPointer(m), vr = UnsafeMutableRawPointer(v)
        while i &+ 16 <= range.upperBound {
            let at = i &* 4
            let gi = gr.loadUnaligned(fromByteOffset: at, as: V.self)
            let mi = beta1 * mr.loadUnaligned(fromByteOffset: at, as: V.self) + keep1 * gi
            let vi = beta2 * vr.loadUnaligned(fromByteOffset: at, as: V.self) + keep2 * gi * gi
            mr.storeBytes(of: mi, toByteOffset: at, as: V.self)
            vr.storeBytes(of: vi, toByteOffset: at, as: V.self)
            let pi = pr.loadUnaligned(fromByteOffset: at, as: V.self)
            pr.storeBytes(of: pi * decayV - stepV * mi / (vi.squareRoot() * invV + epsilon), toByteOffset: at, as: V.self)
            i &+= 16
        }
        while i < range.upperBound {
            let gi = g[i]
            let mi = s.beta1 * m[i] + (1 - s.beta1) * gi
            let vi = s.beta2 * v[i] + (1 - s.beta2) * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = p[i] * decay - stepSize * mi / (vi.squareRoot() * invSqrtCorrection2 + s.epsilon)
            i &+= 1
        }
    }
}

/// Linear warmup to the peak rate, then cosine decay to `minRatio · peak` at `totalSteps`.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minRatio: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minRatio: Float = 0.1) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minRatio = minRatio
    }

    /// The rate for update number `step` (0-based).
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Float(step - warmupSteps) / Float(span))
        let cosine = 0.5 * (1 + Float(cos(Double.pi * Double(progress))))
        return peak * (minRatio + (1 - minRatio) * cosine)
    }
}

/// Scales gradients so their global L2 norm is at most `maxNorm`.
public enum GradientClipping {
    /// Returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: FloatBuffer, maxNorm: Float) -> Float {
        let norm = Vector.sumOfSquares(gradients.pointer, gradients.count).squareRoot()
        if maxNorm > 0 && norm > maxNorm {
            let scale = maxNorm / norm
            let g = gradients.pointer
            for i in 0..<gradients.count { g[i] *= scale }
        }
        return norm
    }
}
