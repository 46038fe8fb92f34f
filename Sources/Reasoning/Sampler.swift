import Foundation
import Kernels

/// How the next token is drawn from the model's logits.
public struct SamplingOptions: Codable, Sendable, Equatable {
    /// 0 means greedy (always the most likely token).
    public var temperature: Float = 1
    /// Keep only the `topK` most likely tokens (0 = all).
    public var topK = 0
    /// Keep the smallest set of tokens whose probability reaches `topP` (1 = all).
    public var topP: Float = 1
    public var seed: UInt64 = 0

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingOptions(temperature: 0)
}

/// Draws tokens with temperature, top-k and top-p, and reports the log-probability of the drawn
/// token under the model's untempered distribution (what RL ratios need).
public enum Sampler {
    /// `banned` tokens get probability zero (e.g. `</think>` before the minimum thinking length).
    public static func sample(_ logits: ArraySlice<Float>, options: SamplingOptions, rng: inout SeededRNG,
                              banned: Set<Int32> = []) -> (token: Int32, logProb: Float) {
        let base = logits.startIndex
        let values = withoutBanned(logits, banned)
        let maxValue = values.max() ?? 0
        let logNorm = logNormaliser(values, max: maxValue)
        func logProb(_ t: Int) -> Float { Float(Double(logits[base + t]) - logNorm) }

        if options.temperature <= 0 {
            let best = values.indices.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }!
            return (Int32(best), logProb(best))
        }
        var order = values.indices.filter { values[$0] > -.infinity }
        order.sort { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        if options.topK > 0 { order = Array(order.prefix(options.topK)) }
        var probs = order.map { Foundation.exp(Double(values[$0] - maxValue) / Double(options.temperature)) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if options.topP < 1 {
            var cumulative = 0.0, keep = 0
            while keep < probs.count { cumulative += probs[keep]; keep += 1; if cumulative >= Double(options.topP) { break } }
            order = Array(order.prefix(keep))
            let kept = probs.prefix(keep).reduce(0, +)
            probs = probs.prefix(keep).map { $0 / kept }
        }
        let u = Double(rng.nextUniform())
        var cumulative = 0.0
        for (i, p) in probs.enumerated() {
            cumulative += p
            if u < cumulative { return (Int32(order[i]), logProb(order[i])) }
        }
        return (Int32(order[order.count - 1]), logProb(order[order.count - 1]))
    }

    /// The `count` most likely tokens, most likely first (ties: the lower id), with their
    /// log-probabilities normalised as `sample` normalises them: untempered, `banned` excluded.
    public static func mostLikely(_ logits: ArraySlice<Float>, count: Int, banned: Set<Int32> = []) -> [TokenAlternative] {
        guard count > 0 else { return [] }
        let base = logits.startIndex
        let values = withoutBanned(logits, banned)
        guard let maxValue = values.max(), maxValue > -.infinity else { return [] }
        // The best `count`, best first: one pass with insertion into a short list.
        var best: [(index: Int, value: Float)] = []
        best.reserveCapacity(count + 1)
        for (i, v) in values.enumerated() where v > -.infinity {
            if best.count == count, let last = best.last, v <= last.value { continue }
            let at = best.firstIndex { v > $0.value } ?? best.count
            best.insert((i, v), at: at)
            if best.count > count { best.removeLast() }
        }
        let logNorm = logNormaliser(values, max: maxValue)
        return best.map { TokenAlternative(token: Int32($0.index), logProb: Float(Double(logits[base + $0.index]) - logNorm)) }
    }

    /// The logits with the banned tokens at −∞.
    private static func withoutBanned(_ logits: ArraySlice<Float>, _ banned: Set<Int32>) -> [Float] {
        var values = Array(logits)
        for b in banned where Int(b) < values.count { values[Int(b)] = -.infinity }
        return values
    }

    /// `log Σ exp(v)` over `values`, summed in order from their largest, `max`.
    private static func logNormaliser(_ values: [Float], max maxValue: Float) -> Double {
        var sum: Double = 0
        for v in values { sum += Foundation.exp(Double(v - maxValue)) }
        return Double(maxValue) + Foundation.log(sum)
    }
}
