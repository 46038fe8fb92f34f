import Foundation
import Testing
import Kernels
@testable import Model

/// Training attention against a naive causal attention in double precision: the forward pass
/// equals it, and the backward pass equals its finite-difference gradient, on head widths that
/// are and are not whole SIMD vectors and lengths that end inside a block, just past one (a
/// block of few rows) and past several.
@Suite struct CausalAttentionTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in rng.nextNormal() }
    }

    /// `Σ out ⊙ weights` of the naive attention over `qkv`, and its output.
    static func naive(_ at: CausalAttention, _ qkv: [Double], weights: [Double]) -> (loss: Double, out: [Double]) {
        let T = at.length, d = at.headDim, group = at.heads / at.kvHeads
        var out = [Double](repeating: 0, count: at.batchSize * T * at.outStride)
        for b in 0..<at.batchSize {
            for h in 0..<at.heads {
                let g = h / group
                func row(_ t: Int) -> Int { (b * T + t) * at.qkvStride }
                for i in 0..<T {
                    var scores = (0...i).map { j in
                        (0..<d).reduce(0.0) { $0 + qkv[row(i) + h * d + $1] * qkv[row(j) + at.keyOffset(g) + $1] } * Double(at.scale)
                    }
                    let top = scores.max()!
                    scores = scores.map { Foundation.exp($0 - top) }
                    let total = scores.reduce(0, +)
                    for c in 0..<d {
                        out[(b * T + i) * at.outStride + h * d + c] =
                            (0...i).reduce(0.0) { $0 + scores[$1] / total * qkv[row($1) + at.valueOffset(g) + c] }
                    }
                }
            }
        }
        return (zip(out, weights).reduce(0) { $0 + $1.0 * $1.1 }, out)
    }

    @Test(arguments: [(16, 70), (24, 13), (32, 130), (16, 1)])
    func forwardAndBackwardMatchANaiveAttentionAndItsFiniteDifferences(shape: (Int, Int)) {
        let (headDim, length) = shape
        let at = CausalAttention(batchSize: 2, length: length, heads: 4, kvHeads: 2, headDim: headDim)
        let rows = at.batchSize * length
        let qkv = Self.random(rows * at.qkvStride, seed: 7).map { $0 * 0.7 }
        let weights = Self.random(rows * at.outStride, seed: 8)
        var out = [Float](repeating: 0, count: rows * at.outStride)
        var dqkv = [Float](repeating: .nan, count: qkv.count)
        at.forward(qkv: qkv, keep: nil, out: &out)
        at.backward(qkv: qkv, probs: nil, dOut: weights, dqkv: &dqkv)
        // Probabilities kept by the forward pass give the bits of those computed again.
        var probs = [Float](repeating: .nan, count: at.batchSize * at.heads * length * length)
        var keptOut = [Float](repeating: 0, count: out.count), keptDqkv = [Float](repeating: .nan, count: qkv.count)
        at.forward(qkv: qkv, keep: &probs, out: &keptOut)
        at.backward(qkv: qkv, probs: probs, dOut: weights, dqkv: &keptDqkv)
        #expect(keptOut == out && keptDqkv == dqkv)

        let exact = qkv.map(Double.init), w = weights.map(Double.init)
        let reference = Self.naive(at, exact, weights: w).out
        let worstOut = zip(out, reference).map { abs(Double($0) - $1) }.max()!
        #expect(worstOut < 1e-5, "forward: \(worstOut)")
        #expect(!dqkv.contains { $0.isNaN }, "every gradient entry is written")
        // Central differences of the naive loss at entries spread over queries, keys and values of every head.
        var rng = SeededRNG(seed: 9)
        for _ in 0..<60 {
            let index = Int(rng.next() % UInt64(qkv.count))
            let step = 1e-4
            var up = exact, down = exact
            up[index] += step
            down[index] -= step
            let numeric = (Self.naive(at, up, weights: w).loss - Self.naive(at, down, weights: w).loss) / (2 * step)
            #expect(abs(Double(dqkv[index]) - numeric) < 1e-3 * max(1, abs(numeric)),
                    "entry \(index): backward \(dqkv[index]), finite differences \(numeric)")
        }
    }
}
