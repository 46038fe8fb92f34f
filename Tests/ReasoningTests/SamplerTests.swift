import Foundation
import Testing
import Kernels
import Reasoning

/// The sampler's report of the most likely tokens against a sort of the whole distribution.
@Suite struct SamplerTests {
    @Test func mostLikelyIsTheTopOfTheSortedDistributionWithoutTheBannedTokens() {
        let logits = (0..<300).map { Float(sin(Double($0) * 12.9898) * 4) } + [4, 4]  // a tie at the top
        let banned: Set<Int32> = [Int32(logits.indices.max { logits[$0] < logits[$1] }!)]
        let top = Sampler.mostLikely(logits[...], count: 7, banned: banned)
        let allowed = logits.indices.filter { !banned.contains(Int32($0)) }
        let order = allowed.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        #expect(top.map(\.token) == order.prefix(7).map(Int32.init))
        let logNorm = log(allowed.reduce(0.0) { $0 + exp(Double(logits[$1])) })
        for t in top { #expect(abs(Double(t.logProb) - (Double(logits[Int(t.token)]) - logNorm)) < 1e-5) }
        // The sampler's own log-probability of a token is the same number.
        var draw = SeededRNG(seed: 1)
        let (token, logProb) = Sampler.sample(logits[...], options: .greedy, rng: &draw, banned: banned)
        #expect(token == top[0].token && logProb == top[0].logProb)
        #expect(Sampler.mostLikely(logits[...], count: 0).isEmpty)
        #expect(Sampler.mostLikely(logits[...], count: 500).count == logits.count)
    }
}
