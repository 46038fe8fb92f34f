import Foundation
import Kernels
import Model
import Tasks

/// Generates many sequences at once with the KV cache: every step feeds each active sequence's
/// pending tokens (a whole prompt for a new one, one token for the rest) through one cached
/// forward pass, samples, and applies the budget rules. A finished sequence frees its slot for
/// the next waiting request (continuous batching).
public final class Engine: @unchecked Sendable {
    public let model: Transformer
    /// Sequences decoded together.
    public let slots: Int

    public init(model: Transformer, slots: Int = 16) {
        self.model = model
        self.slots = max(1, slots)
    }

    /// Per-sequence state while it is in a slot.
    private struct Active {
        let index: Int
        let request: GenerationRequest
        var rng: SeededRNG
        var result = Generation()
        var pending: [Int32]
        var pendingForced: [Bool]
        var position = 0
        var phase: TokenPart
        var toolCall: [Int32]? = nil
        let start: Date
    }

    /// Runs every request to completion; `onToken(requestIndex, token)` streams each completion
    /// token as it is decided. Results are in request order.
    public func generate(_ requests: [GenerationRequest],
                         onToken: ((Int, GeneratedToken) -> Void)? = nil) throws(ModelError) -> [Generation] {
        var results = [Generation?](repeating: nil, count: requests.count)
        let cache = KVCache(config: model.config, slots: slots)
        var active = [Active?](repeating: nil, count: slots)
        var next = 0
        let think = Tokenizer.Special.thinkStart.rawValue
        while next < requests.count || active.contains(where: { $0 != nil }) {
            // Admit waiting requests into free slots.
            for slot in 0..<slots where active[slot] == nil && next < requests.count {
                let r = requests[next]
                guard r.prompt.count + (r.thinks ? 1 : 0) < cache.capacity else {
                    throw .invalidInput("prompt of \(r.prompt.count) tokens does not fit the \(cache.capacity)-token context")
                }
                cache.reset(slot: slot)
                var a = Active(index: next, request: r, rng: SeededRNG(seed: r.sampling.seed), pending: r.prompt,
                               pendingForced: Array(repeating: true, count: r.prompt.count),
                               phase: r.thinks ? .thinking : .answer, start: Date())
                if r.thinks {
                    a.pending.append(think)
                    a.pendingForced.append(true)
                    record(&a, think, forced: true, logProb: 0, onToken)
                    a.result.thinkingTokens -= 1  // `<think>` itself is not thinking
                }
                if r.thinks && r.budget.maxThinking <= 0 { forceThinkEnd(&a, cut: true, onToken) }
                active[slot] = a
                next += 1
            }
            let running = (0..<slots).filter { active[$0] != nil }
            if running.isEmpty { break }
            let segments = running.map { CacheSegment(slot: $0, tokens: active[$0]!.pending) }
            for slot in running {
                let a = active[slot]!
                for i in 0..<a.pending.count {
                    active[slot]!.result.flops += model.config.forwardFlopsPerToken(attendingTo: cache.lengths[slot] + i + 1)
                }
            }
            let logits = try model.forwardCached(segments, cache: cache)
            let vocab = model.config.vocabSize
            for (row, slot) in running.enumerated() {
                var a = active[slot]!
                a.position = cache.lengths[slot]
                a.pending = []
                a.pendingForced = []
                let slice = logits[(row * vocab)..<((row + 1) * vocab)]
                step(&a, logits: slice, capacity: cache.capacity, onToken)
                if a.phase == .answer && a.result.done {
                    a.result.seconds = Date().timeIntervalSince(a.start)
                    results[a.index] = a.result
                    active[slot] = nil
                } else {
                    active[slot] = a
                }
            }
        }
        return results.map { $0! }
    }

    private func record(_ a: inout Active, _ token: Int32, forced: Bool, logProb: Float,
                        _ onToken: ((Int, GeneratedToken) -> Void)?) {
        a.result.tokens.append(token)
        a.result.forced.append(forced)
        a.result.logProbs.append(forced ? 0 : logProb)
        a.result.parts.append(a.phase)
        if a.phase == .thinking { a.result.thinkingTokens += 1 } else { a.result.answerTokens += 1 }
        onToken?(a.index, GeneratedToken(token: token, part: a.phase, forced: forced, logProb: logProb))
    }

    /// Queues a token to be fed at the next step and records it in the completion.
    private func emit(_ a: inout Active, _ token: Int32, forced: Bool, logProb: Float = 0,
                      _ onToken: ((Int, GeneratedToken) -> Void)?) {
        a.pending.append(token)
        a.pendingForced.append(forced)
        record(&a, token, forced: forced, logProb: logProb, onToken)
    }

    private func forceThinkEnd(_ a: inout Active, cut: Bool, _ onToken: ((Int, GeneratedToken) -> Void)?) {
        a.pending.append(Tokenizer.Special.thinkEnd.rawValue)
        a.pendingForced.append(true)
        // `</think>` closes the thinking and is counted with neither part.
        a.result.tokens.append(Tokenizer.Special.thinkEnd.rawValue)
        a.result.forced.append(true)
        a.result.logProbs.append(0)
        a.result.parts.append(.thinking)
        onToken?(a.index, GeneratedToken(token: Tokenizer.Special.thinkEnd.rawValue, part: .thinking, forced: true, logProb: 0))
        a.phase = .answer
        a.toolCall = nil
        if cut { a.result.thinkingCut = true }
    }

    /// Samples the next token and applies the thinking, tool, answer and context rules.
    private func step(_ a: inout Active, logits: ArraySlice<Float>, capacity: Int,
                      _ onToken: ((Int, GeneratedToken) -> Void)?) {
        let budget = a.request.budget
        let special = Tokenizer.Special.self
        let room = capacity - a.position
        if room <= 0 {
            a.result.finishReason = .length
            a.result.done = true
            a.phase = .answer
            return
        }
        if a.phase == .thinking {
            let deadlinePassed = budget.deadline.map { Date().timeIntervalSince(a.start) >= $0 } ?? false
            if a.result.thinkingTokens >= budget.maxThinking || deadlinePassed || room <= 2 {
                forceThinkEnd(&a, cut: true, onToken)
                return
            }
            let (token, logProb) = Sampler.sample(logits, options: a.request.sampling, rng: &a.rng)
            if token == special.thinkEnd.rawValue || token == special.endOfTurn.rawValue {
                if a.result.thinkingTokens < budget.minThinking {
                    // Budget forcing: the model wanted to stop thinking; make it go on.
                    let continuation = Tokenizer.encode(budget.continuation).prefix(budget.maxThinking - a.result.thinkingTokens)
                    if continuation.isEmpty { forceThinkEnd(&a, cut: true, onToken) }
                    for t in continuation { emit(&a, t, forced: true, onToken) }
                    return
                }
                if token == special.thinkEnd.rawValue {
                    a.pending.append(token)
                    a.pendingForced.append(false)
                    a.result.tokens.append(token)
                    a.result.forced.append(false)
                    a.result.logProbs.append(logProb)
                    a.result.parts.append(.thinking)
                    onToken?(a.index, GeneratedToken(token: token, part: .thinking, forced: false, logProb: logProb))
                    a.phase = .answer
                } else {
                    forceThinkEnd(&a, cut: false, onToken)
                }
                return
            }
            emit(&a, token, forced: false, logProb: logProb, onToken)
            if token == special.toolStart.rawValue {
                a.toolCall = []
            } else if token == special.toolEnd.rawValue, let call = a.toolCall, let (task, problem) = a.request.tool {
                a.toolCall = nil
                a.result.toolCalls += 1
                let output = task.runTool(Tokenizer.decode(call), problem: problem)
                let injected = [special.resultStart.rawValue] + Tokenizer.encode(output) + [special.resultEnd.rawValue]
                let fits = max(0, min(budget.maxThinking - a.result.thinkingTokens, room - 3))
                for t in injected.prefix(fits) { emit(&a, t, forced: true, onToken) }
            } else if a.toolCall != nil {
                a.toolCall!.append(token)
                if a.toolCall!.count > 512 { a.toolCall = nil }
            }
            return
        }
        // Answer phase.
        if a.result.answerTokens >= budget.maxAnswer || room <= 1 {
            a.result.finishReason = .length
            a.result.done = true
            return
        }
        let banned: Set<Int32> = [special.thinkStart.rawValue, special.thinkEnd.rawValue]
        let (token, logProb) = Sampler.sample(logits, options: a.request.sampling, rng: &a.rng, banned: banned)
        if token == special.endOfTurn.rawValue {
            a.result.tokens.append(token)
            a.result.forced.append(false)
            a.result.logProbs.append(logProb)
            a.result.parts.append(.answer)
            onToken?(a.index, GeneratedToken(token: token, part: .answer, forced: false, logProb: logProb))
            a.result.finishReason = .stop
            a.result.done = true
            return
        }
        emit(&a, token, forced: false, logProb: logProb, onToken)
    }
}
