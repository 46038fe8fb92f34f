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
///
/// Plain temperature sampling is two passes over the float logits: their exponentials (vectorised)
/// and a walk of the cumulative sum in token order to where one uniform draw falls. Only top-k
/// and top-p rank the tokens, and top-k alone selects its few without sorting the vocabulary.
public enum Sampler {
    /// `banned` tokens get probability zero (e.g. `</think>` before the minimum thinking length).
    public static func sample(_ logits: ArraySlice<Float>, options: SamplingOptions, rng: inout SeededRNG,
                              banned: [Int32] = []) -> (token: Int32, logProb: Float) {
        var values = withoutBanned(logits, banned)
        return values.withUnsafeMutableBufferPointer { v -> (Int32, Float) in
            let (best, maxValue) = argmax(UnsafeBufferPointer(v))
            var weights = [Float](repeating: 0, count: v.count)
            return weights.withUnsafeMutableBufferPointer { w -> (Int32, Float) in
                let untempered = exponentials(UnsafeBufferPointer(v), shift: maxValue, scale: 1, into: w)
                let logNorm = maxValue + Foundation.log(untempered)
                func drawn(_ t: Int) -> (Int32, Float) { (Int32(t), v[t] - logNorm) }
                if options.temperature <= 0 || maxValue == -.infinity { return drawn(best) }
                let total = options.temperature == 1
                    ? untempered
                    : exponentials(UnsafeBufferPointer(v), shift: maxValue, scale: 1 / options.temperature, into: w)
                let u = rng.nextUniform()
                if options.topK <= 0 && options.topP >= 1 {
                    // Token order: the first token where the cumulative weight passes u · total.
                    let threshold = u * total
                    var cumulative: Float = 0, last = best
                    for t in 0..<w.count where w[t] > 0 {
                        cumulative += w[t]
                        last = t
                        if threshold < cumulative { return drawn(t) }
                    }
                    return drawn(last)
                }
                // Most likely first: keep the top k, then the smallest prefix that reaches top p.
                var order = ranked(UnsafeBufferPointer(v), limit: options.topK > 0 ? options.topK : v.count)
                var kept = order.reduce(Float(0)) { $0 + w[$1] }
                if options.topP < 1 {
                    var cumulative: Float = 0, keep = 0
                    while keep < order.count {
                        cumulative += w[order[keep]]
                        keep += 1
                        if cumulative >= options.topP * kept { break }
                    }
                    order.removeLast(order.count - keep)
                    kept = cumulative
                }
                let threshold = u * kept
                var cumulative: Float = 0
                for t in order {
                    cumulative += w[t]
                    if threshold < cumulative { return drawn(t) }
                }
                return drawn(order[order.count - 1])
            }
        }
    }

    /// The `count` most likely tokens, most likely first (ties: the lower id), with their
    /// log-probabilities normalised as `sample` normalises them: untempered, `banned` excluded.
    public static func mostLikely(_ logits: ArraySlice<Float>, count: Int, banned: [Int32] = []) -> [TokenAlternative] {
        guard count > 0 else { return [] }
        var values = withoutBanned(logits, banned)
        return values.withUnsafeMutableBufferPointer { v in
            let maxValue = argmax(UnsafeBufferPointer(v)).value
            guard maxValue > -.infinity else { return [] }
            var weights = [Float](repeating: 0, count: v.count)
            let sum = weights.withUnsafeMutableBufferPointer {
                exponentials(UnsafeBufferPointer(v), shift: maxValue, scale: 1, into: $0)
            }
            let logNorm = maxValue + Foundation.log(sum)
            return ranked(UnsafeBufferPointer(v), limit: count).map { TokenAlternative(token: Int32($0), logProb: v[$0] - logNorm) }
        }
    }

    /// The logits with the banned tokens at −∞.
    private static func withoutBanned(_ logits: ArraySlice<Float>, _ banned: [Int32]) -> [Float] {
        var values = Array(logits)
        for b in banned where b >= 0 && Int(b) < values.count { values[Int(b)] = -.infinity }
        return values
    }

    /// The largest value and its token (the lowest id among equals); token 0 and −∞ when all are −∞.
    private static func argmax(_ v: UnsafeBufferPointer<Float>) -> (index: Int, value: Float) {
        var best = 0, value = -Float.infinity
        for t in 0..<v.count where v[t] > value {
            best = t
            value = v[t]
        }
        return (best, value)
    }

    /// `w[t] = exp((v[t] − shift) · scale)`, exactly 0 where `v[t]` is −∞; returns their sum.
    private static func exponentials(_ v: UnsafeBufferPointer<Float>, shift: Float, scale: Float,
                                     into w: UnsafeMutableBufferPointer<Float>) -> Float {
        let n = v.count, lanes = 8
        guard let source = v.baseAddress, let target = w.baseAddress else { return 0 }
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        var sums = SIMD8<Float>(repeating: 0)
        var t = 0
        while t &+ lanes <= n {
            let x = from.loadUnaligned(fromByteOffset: t &* 4, as: SIMD8<Float>.self)
            let e = FastMath.exp((x - shift) * scale).replacing(with: 0, where: x .== -.infinity)
            to.storeBytes(of: e, toByteOffset: t &* 4, as: SIMD8<Float>.self)
            sums += e
            t &+= lanes
        }
        var sum = sums.sum()
        while t < n {
            w[t] = v[t] == -.infinity ? 0 : FastMath.exp((v[t] - shift) * scale)
            sum += w[t]
            t &+= 1
        }
        return sum
    }

    /// The `limit` most likely tokens that are not −∞, most likely first (ties: the lower id).
    /// A short list is kept by insertion in one pass; a long one sorts.
    private static func ranked(_ v: UnsafeBufferPointer<Float>, limit: Int) -> [Int] {
        func before(_ a: Int, _ b: Int) -> Bool { v[a] > v[b] || (v[a] == v[b] && a < b) }
        guard limit <= 32 else {
            let order = (0..<v.count).filter { v[$0] > -.infinity }.sorted(by: before)
            return Array(order.prefix(limit))
        }
        var best: [Int] = []
        best.reserveCapacity(limit + 1)
        for t in 0..<v.count where v[t] > -.infinity {
            if best.count == limit, let last = best.last, v[t] <= v[last] { continue }
            let at = best.firstIndex { v[t] > v[$0] } ?? best.count
            best.insert(t, at: at)
            if best.count > limit { best.removeLast() }
        }
        return best
    }
}
