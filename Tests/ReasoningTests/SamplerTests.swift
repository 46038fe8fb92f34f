import Foundation
import Testing
import Kernels
import Reasoning

/// The sampler's report of the most likely tokens against a sort of the whole distribution.
@Suite struct SamplerTests {
    @Test func mostLikelyIsTheTopOfTheSortedDistributionWithoutTheBannedTokens() {
        let logits = (0..<300).map { Float(sin(Double($0) * 12.9898) * 4) } + [4, 4]  // a tie at the top
        let banned = [Int32(logits.indices.max { logits[$0] < logits[$1] }!)]
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

    /// Draw frequencies of `draws` samples, per token.
    private func frequencies(_ logits: [Float], _ options: SamplingOptions, banned: [Int32] = [], draws: Int = 20_000) -> [Double] {
        var rng = SeededRNG(seed: 7)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<draws { counts[Int(Sampler.sample(logits[...], options: options, rng: &rng, banned: banned).token)] += 1 }
        return counts.map { Double($0) / Double(draws) }
    }

    /// softmax(logits / temperature) over `allowed`, in Double.
    private func softmax(_ logits: [Float], temperature: Double, allowed: [Int]) -> [Double] {
        let top = allowed.map { Double(logits[$0]) }.max()!
        var p = [Double](repeating: 0, count: logits.count)
        for t in allowed { p[t] = exp((Double(logits[t]) - top) / temperature) }
        let total = p.reduce(0, +)
        return p.map { $0 / total }
    }

    // Vocabulary of 19 (not a multiple of the 8 lanes), one token far below the rest.
    private let logits: [Float] = (0..<18).map { Float(sin(Double($0) * 3.7) * 2) } + [-40]

    @Test(arguments: [Float(1), 0.5, 2])
    func drawsFollowTheTemperedDistribution(temperature: Float) {
        let seen = frequencies(logits, SamplingOptions(temperature: temperature))
        let expected = softmax(logits, temperature: Double(temperature), allowed: Array(logits.indices))
        // 20,000 draws: a frequency's standard deviation is at most 0.0036.
        for t in logits.indices { #expect(abs(seen[t] - expected[t]) < 0.015, "token \(t): \(seen[t]) against \(expected[t])") }
    }

    @Test func bannedTokensAreNeverDrawnAndTheRestKeepTheirShares() {
        let top = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
        let seen = frequencies(logits, SamplingOptions(temperature: 1), banned: [top, 5])
        #expect(seen[Int(top)] == 0 && seen[5] == 0)
        let expected = softmax(logits, temperature: 1, allowed: logits.indices.filter { $0 != Int(top) && $0 != 5 })
        for t in logits.indices { #expect(abs(seen[t] - expected[t]) < 0.015) }
    }

    @Test func topKAndTopPKeepOnlyTheMostLikelyAndRenormalise() {
        let order = logits.indices.sorted { logits[$0] > logits[$1] }
        let seenK = frequencies(logits, SamplingOptions(temperature: 1, topK: 3))
        let expectedK = softmax(logits, temperature: 1, allowed: Array(order.prefix(3)))
        for t in logits.indices { #expect(abs(seenK[t] - expectedK[t]) < 0.015) }
        // top-p: the smallest set, most likely first, whose probability reaches p.
        let full = softmax(logits, temperature: 1, allowed: Array(logits.indices))
        var mass = 0.0, keep = 0
        while mass < 0.6 { mass += full[order[keep]]; keep += 1 }
        let seenP = frequencies(logits, SamplingOptions(temperature: 1, topP: 0.6))
        let expectedP = softmax(logits, temperature: 1, allowed: Array(order.prefix(keep)))
        for t in logits.indices { #expect(abs(seenP[t] - expectedP[t]) < 0.015) }
        #expect(keep > 1 && keep < logits.count)
    }

    @Test func theReportedLogProbabilityIsTheUntemperedOne() {
        var rng = SeededRNG(seed: 3)
        let logNorm = log(logits.reduce(0.0) { $0 + exp(Double($1)) })
        for _ in 0..<50 {
            let (token, logProb) = Sampler.sample(logits[...], options: SamplingOptions(temperature: 2), rng: &rng)
            #expect(abs(Double(logProb) - (Double(logits[Int(token)]) - logNorm)) < 1e-5)
        }
    }
}
