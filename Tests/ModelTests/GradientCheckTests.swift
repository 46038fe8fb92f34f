import Foundation
import Testing
import Kernels
import Model

/// Finite-difference checks of the hand-written backward pass through the whole model.
///
/// Tolerance: float32 central differences with step 1e-2 along a random unit direction per tensor.
/// Sequences span several 32-row causal attention blocks. The loss is a sum over ~120 tokens (≈ 700), so rounding in the loss is ≈ 1e-5 and the
/// difference quotient carries ≈ 1e-3 absolute noise; curvature adds O(step²). A wrong index or
/// a missing term changes the directional derivative by tens of percent, so 2e-2 relative error
/// separates bugs from noise with a wide margin.
@Suite struct GradientCheckTests {
    static let config = ModelConfig(dim: 16, layers: 2, heads: 4, kvHeads: 2, ffnDim: 24, contextLength: 80,
                                    tiedEmbeddings: false)

    static func batch() -> TokenBatch {
        var rng = SeededRNG(seed: 7)
        let sequences: [[Int32]] = [11, 75, 40].map { n in (0..<n).map { _ in Int32(rng.next() % 272) } }
        let weights = sequences.map { s in s.indices.map { $0 >= 2 ? Float(1) : 0 } }
        return TokenBatch(sequences: sequences, tokenWeights: weights)
    }

    static func model(tied: Bool, attentionBias: Bool = true, qwen3: Bool = false) throws -> Transformer {
        var config = Self.config
        config.tiedEmbeddings = tied
        config.attentionBias = attentionBias
        if qwen3 {
            // Per-head q/k norms, and heads 6 wide where dim / heads is 4.
            config.qkNorm = true
            config.explicitHeadDim = 6
        }
        let model = try Transformer(config: config, seed: 3)
        // Larger weights than the 0.02 initialisation so every path carries a measurable gradient.
        var rng = SeededRNG(seed: 11)
        for t in model.layout.tensors {
            for i in 0..<t.count {
                let isNorm = t.shape.count == 1 && !t.name.hasSuffix(".bias")
                model.parameters[t.offset + i] = isNorm ? 1 + 0.3 * rng.nextNormal() : 0.3 * rng.nextNormal()
            }
        }
        return model
    }

    /// With the linear layers' products in bfloat16 (`MatmulPrecision.bfloat16`) the gradient is
    /// float32's within bfloat16's rounding: each tensor's differs by under a tenth of its length
    /// (the smallest, the key biases', by ~8%; a wrong product is off by its whole length), and the
    /// loss moves by a rounding's worth — and it does move.
    @Test func bfloat16ProductsGiveTheGradientWithinTheirRounding() throws {
        let model = try Self.model(tied: false)
        let batch = Self.batch()
        model.gradients.zero()
        let exact = try model.forwardBackward(batch).loss
        let reference = model.gradients.array
        model.matmulPrecision = .bfloat16
        model.gradients.zero()
        let rounded = try model.forwardBackward(batch).loss
        let gradient = model.gradients.array
        #expect(rounded != exact && abs(rounded - exact) < 0.01 * abs(exact), "loss \(rounded) against \(exact)")
        for t in model.layout.tensors {
            let x = reference[t.offset..<(t.offset + t.count)], y = gradient[t.offset..<(t.offset + t.count)]
            let difference = zip(x, y).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }.squareRoot()
            let length = x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(difference < 0.1 * length, "\(t.name): differs by \(difference / length) of its length")
        }
    }

    /// Untied with q/k/v biases (Qwen2's shape), tied without (Strawberry's presets), and tied
    /// with per-head q/k norms and a head width that is not dim / heads (Qwen3's shape).
    @Test(arguments: [(false, true, false), (true, false, false), (true, false, true)])
    func everyTensorMatchesFiniteDifferences(tied: Bool, attentionBias: Bool, qwen3: Bool) throws {
        let model = try Self.model(tied: tied, attentionBias: attentionBias, qwen3: qwen3)
        let batch = Self.batch()
        model.gradients.zero()
        try model.forwardBackward(batch)
        let analytic = model.gradients.array
        var rng = SeededRNG(seed: 5)
        let step: Float = 1e-2
        for tensor in model.layout.tensors {
            var direction = (0..<tensor.count).map { _ in rng.nextNormal() }
            let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            direction = direction.map { $0 / norm }
            var expected: Double = 0
            for i in 0..<tensor.count { expected += Double(analytic[tensor.offset + i] * direction[i]) }
            func loss(_ sign: Float) throws -> Double {
                for i in 0..<tensor.count { model.parameters[tensor.offset + i] += sign * step * direction[i] }
                defer { for i in 0..<tensor.count { model.parameters[tensor.offset + i] -= sign * step * direction[i] } }
                return try model.forwardBackward(batch, computeGradients: false).loss
            }
            let numeric = (try loss(1) - loss(-1)) / Double(2 * step)
            let relative = abs(numeric - expected) / max(abs(numeric), abs(expected), 1e-2)
            #expect(relative < 2e-2, "\(tensor.name): analytic \(expected), numeric \(numeric)")
        }
    }

    @Test(arguments: [false, true])
    func singleCoordinatesMatchFiniteDifferences(qwen3: Bool) throws {
        let model = try Self.model(tied: false, qwen3: qwen3)
        let batch = Self.batch()
        model.gradients.zero()
        try model.forwardBackward(batch)
        let analytic = model.gradients.array
        // The largest-gradient coordinate of each tensor: an off-by-one index lands elsewhere.
        for tensor in model.layout.tensors {
            let range = tensor.offset..<(tensor.offset + tensor.count)
            let i = range.max { abs(analytic[$0]) < abs(analytic[$1]) }!
            let saved = model.parameters[i]
            let step: Float = 1e-2
            model.parameters[i] = saved + step
            let up = try model.forwardBackward(batch, computeGradients: false).loss
            model.parameters[i] = saved - step
            let down = try model.forwardBackward(batch, computeGradients: false).loss
            model.parameters[i] = saved
            let numeric = (up - down) / Double(2 * step)
            let relative = abs(numeric - Double(analytic[i])) / max(abs(numeric), 1e-2)
            #expect(relative < 3e-2, "\(tensor.name)[\(i - tensor.offset)]: analytic \(analytic[i]), numeric \(numeric)")
        }
    }
}
