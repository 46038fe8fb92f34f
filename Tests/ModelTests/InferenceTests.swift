import Foundation
import Testing
import TestSupport
import Kernels
import Model

/// The KV-cache forward pass gives the logits of the full training forward pass (to bfloat16's
/// rounding of the cached keys and values).
@Suite struct InferenceTests {
    static let config = ModelConfig.tiny(context: 64)

    @Test(arguments: [false, true])
    func cachedLogitsEqualFullForward(attentionBias: Bool) throws {
        var config = Self.config
        config.attentionBias = attentionBias
        let model = try Transformer(config: config, seed: 9)
        var rng = SeededRNG(seed: 4)
        for t in model.layout.tensors where t.name.hasSuffix(".bias") {
            for i in 0..<t.count { model.parameters[t.offset + i] = 0.5 * rng.nextNormal() }
        }
        let sequences: [[Int32]] = [40, 23].map { n in (0..<n).map { _ in Int32(rng.next() % 272) } }
        // Full forward: log-probabilities of every next token.
        let batch = TokenBatch(sequences: sequences, tokenWeights: sequences.map { $0.map { _ in 1 } })
        let full = try model.forwardBackward(batch, computeGradients: false).targetLogProbs

        // Cached: prefill a prefix of each sequence together, then decode the rest one token at a
        // time for both slots at once.
        let cache = KVCache(config: Self.config, slots: 2)
        var logits: [[[Float]]] = [[], []]
        let prefix = [17, 5]
        let prefill = try model.forwardCached(
            sequences.enumerated().map { CacheSegment(slot: $0.offset, tokens: Array($0.element.prefix(prefix[$0.offset]))) },
            cache: cache, allPositions: true)
        var row = 0
        for s in 0..<2 {
            for _ in 0..<prefix[s] {
                logits[s].append(Array(prefill[(row * 272)..<((row + 1) * 272)]))
                row += 1
            }
        }
        var position = prefix
        while position[0] < sequences[0].count - 1 || position[1] < sequences[1].count - 1 {
            let active = (0..<2).filter { position[$0] < sequences[$0].count - 1 }
            let out = try model.forwardCached(active.map { CacheSegment(slot: $0, tokens: [sequences[$0][position[$0]]]) },
                                              cache: cache)
            for (i, s) in active.enumerated() {
                logits[s].append(Array(out[(i * 272)..<((i + 1) * 272)]))
                position[s] += 1
            }
        }
        #expect(cache.lengths == [39, 22])
        var worst: Float = 0
        for s in 0..<2 {
            for j in 0..<(sequences[s].count - 1) {
                let row = logits[s][j]
                let m = row.max()!
                let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
                let cached = row[Int(sequences[s][j + 1])] - lse
                worst = max(worst, abs(cached - full[s * batch.length + j]))
            }
        }
        // The cache holds keys and values in bfloat16 (relative rounding ≤ 2⁻⁸); the training
        // forward keeps them in Float. Measured here: 2.2e-4 (it was under 1e-4 with a Float cache).
        #expect(worst < 2e-3, "largest log-probability difference \(worst)")
    }

    @Test func cacheRejectsOverflowAndBadTokens() throws {
        let model = try Transformer(config: Self.config, seed: 1)
        let cache = KVCache(config: Self.config, slots: 1, capacity: 8)
        #expect(throws: ModelError.self) { try model.forwardCached([CacheSegment(slot: 0, tokens: Array(repeating: 1, count: 9))], cache: cache) }
        #expect(throws: ModelError.self) { try model.forwardCached([CacheSegment(slot: 0, tokens: [999])], cache: cache) }
        #expect(throws: ModelError.self) { try model.forwardCached([CacheSegment(slot: 3, tokens: [1])], cache: cache) }
        #expect(cache.lengths == [0])
    }
}
