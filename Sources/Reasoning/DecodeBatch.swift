import Foundation
import Kernels
import Model
import Tasks

/// Sequences decoding together over one KV cache. Each `step()` feeds every active sequence's
/// pending tokens (a whole prompt for a new one, one token for the rest) through one cached
/// forward pass, samples, and applies the budget rules. Requests may join between steps and
/// leave when they finish or are cancelled (continuous batching). Not thread-safe: one owner
/// steps it.
public final class DecodeBatch {
    public let model: Transformer
    private let cache: KVCache
    private var active: [Active?]

    /// Per-sequence state while it is in a slot.
    private struct Active {
        let id: Int
        let request: GenerationRequest
        let onToken: ((GeneratedToken) -> Void)?
        var rng: SeededRNG
        var result = Generation()
        var pending: [Int32]
        var pendingForced: [Bool]
        var position = 0
        var phase: TokenPart
        var toolCall: [Int32]? = nil
        let start: Date
    }

    public init(model: Transformer, slots: Int) {
        self.model = model
        cache = KVCache(config: model.config, slots: max(1, slots))
        active = Array(repeating: nil, count: max(1, slots))
    }

    public var slots: Int { active.count }
    public var freeSlots: Int { active.lazy.filter { $0 == nil }.count }
    public var isEmpty: Bool { active.allSatisfy { $0 == nil } }
    /// Longest prompt a request may bring (the context less room for `<think>` and one token).
    public var maxPromptTokens: Int { cache.capacity - 2 }

    /// Puts a request into a free slot under `id`; `onToken` receives each completion token as
    /// it is decided. Throws when the prompt does not fit the context or no slot is free.
    public func admit(_ request: GenerationRequest, id: Int,
                      onToken: ((GeneratedToken) -> Void)? = nil) throws(ModelError) {
        let prompt = request.promptTokens(for: model)
        guard prompt.count + (request.thinks ? 1 : 0) < cache.capacity else {
            throw .invalidInput("prompt of \(prompt.count) tokens does not fit the \(cache.capacity)-token context")
        }
        guard let slot = active.firstIndex(where: { $0 == nil }) else {
            throw .invalidInput("no free slot: \(slots) sequences are already decoding")
        }
        cache.reset(slot: slot)
        var a = Active(id: id, request: request, onToken: onToken, rng: SeededRNG(seed: request.sampling.seed),
                       pending: prompt, pendingForced: Array(repeating: true, count: prompt.count),
                       phase: request.thinks ? .thinking : .answer, start: Date())
        a.result.vocabulary = model.vocabulary
        if request.thinks {
            let think = model.vocabulary.markers.thinkStart
            a.pending.append(think)
            a.pendingForced.append(true)
            record(&a, think, forced: true, logProb: 0)
            a.result.thinkingTokens -= 1  // `<think>` itself is not thinking
            if request.budget.maxThinking <= 0 { forceThinkEnd(&a, cut: true) }
        }
        active[slot] = a
    }

    /// Drops the sequence `id` (its client went away); returns whether it was decoding.
    @discardableResult
    public func cancel(id: Int) -> Bool {
        guard let slot = active.firstIndex(where: { $0?.id == id }) else { return false }
        active[slot] = nil
        return true
    }

    /// One forward pass over every active sequence; returns those that finished, freeing their slots.
    public func step() throws(ModelError) -> [(id: Int, generation: Generation)] {
        let running = (0..<slots).filter { active[$0] != nil }
        if running.isEmpty { return [] }
        let segments = running.map { CacheSegment(slot: $0, tokens: active[$0]!.pending) }
        for slot in running {
            for i in 0..<active[slot]!.pending.count {
                active[slot]!.result.flops += model.config.forwardFlopsPerToken(attendingTo: cache.lengths[slot] + i + 1)
            }
        }
        let logits = try model.forwardCached(segments, cache: cache)
        let vocab = model.config.vocabSize
        var finished: [(id: Int, generation: Generation)] = []
        for (row, slot) in running.enumerated() {
            var a = active[slot]!
            a.position = cache.lengths[slot]
            a.pending = []
            a.pendingForced = []
            sample(&a, logits: logits[(row * vocab)..<((row + 1) * vocab)])
            if a.phase == .answer && a.result.done {
                a.result.seconds = Date().timeIntervalSince(a.start)
                finished.append((a.id, a.result))
                active[slot] = nil
            } else {
                active[slot] = a
            }
        }
        return finished
    }

    private func record(_ a: inout Active, _ token: Int32, forced: Bool, logProb: Float, alternatives: [TokenAlternative] = []) {
        a.result.tokens.append(token)
        a.result.forced.append(forced)
        a.result.logProbs.append(forced ? 0 : logProb)
        a.result.parts.append(a.phase)
        if a.phase == .thinking { a.result.thinkingTokens += 1 } else { a.result.answerTokens += 1 }
        a.onToken?(GeneratedToken(token: token, part: a.phase, forced: forced, logProb: logProb, alternatives: alternatives))
    }

    /// Records a token that is not counted as thinking or answer (`</think>`, end of turn).
    private func recordUncounted(_ a: inout Active, _ token: Int32, forced: Bool, logProb: Float) {
        a.result.tokens.append(token)
        a.result.forced.append(forced)
        a.result.logProbs.append(logProb)
        a.result.parts.append(a.phase)
        a.onToken?(GeneratedToken(token: token, part: a.phase, forced: forced, logProb: logProb))
    }

    /// Queues a token to be fed at the next step and records it in the completion.
    private func emit(_ a: inout Active, _ token: Int32, forced: Bool, logProb: Float = 0, alternatives: [TokenAlternative] = []) {
        a.pending.append(token)
        a.pendingForced.append(forced)
        record(&a, token, forced: forced, logProb: logProb, alternatives: alternatives)
    }

    private func forceThinkEnd(_ a: inout Active, cut: Bool) {
        let end = model.vocabulary.markers.thinkEnd
        a.pending.append(end)
        a.pendingForced.append(true)
        recordUncounted(&a, end, forced: true, logProb: 0)
        a.phase = .answer
        a.toolCall = nil
        if cut { a.result.thinkingCut = true }
    }

    private func finish(_ a: inout Active, _ reason: FinishReason) {
        a.result.finishReason = reason
        a.result.done = true
        a.phase = .answer
    }

    /// Samples the next token and applies the thinking, tool, answer and context rules.
    private func sample(_ a: inout Active, logits: ArraySlice<Float>) {
        let budget = a.request.budget
        let vocabulary = model.vocabulary, marker = vocabulary.markers
        let room = cache.capacity - a.position
        if room <= 0 { return finish(&a, .length) }
        if let total = budget.maxCompletion, a.result.thinkingTokens + a.result.answerTokens >= total {
            return finish(&a, .length)
        }
        if a.phase == .thinking {
            let deadlinePassed = budget.deadline.map { Date().timeIntervalSince(a.start) >= $0 } ?? false
            if a.result.thinkingTokens >= budget.maxThinking || deadlinePassed || room <= 2 {
                return forceThinkEnd(&a, cut: true)
            }
            let (token, logProb) = Profile.measure(.sampling) { Sampler.sample(logits, options: a.request.sampling, rng: &a.rng) }
            if token == marker.thinkEnd || token == marker.endOfTurn {
                if a.result.thinkingTokens < budget.minThinking {
                    // Budget forcing: the model wanted to stop thinking; make it go on.
                    let continuation = vocabulary.encode(budget.continuation).prefix(budget.maxThinking - a.result.thinkingTokens)
                    if continuation.isEmpty { forceThinkEnd(&a, cut: true) }
                    for t in continuation { emit(&a, t, forced: true) }
                    return
                }
                if token == marker.thinkEnd {
                    a.pending.append(token)
                    a.pendingForced.append(false)
                    recordUncounted(&a, token, forced: false, logProb: logProb)
                    a.phase = .answer
                } else {
                    forceThinkEnd(&a, cut: false)
                }
                return
            }
            emit(&a, token, forced: false, logProb: logProb)
            if token == marker.toolStart {
                a.toolCall = []
            } else if token == marker.toolEnd, let call = a.toolCall, let (task, problem) = a.request.tool {
                a.toolCall = nil
                a.result.toolCalls += 1
                let output = task.runTool(vocabulary.decode(call), problem: problem)
                let injected = [marker.resultStart] + vocabulary.encode(output) + [marker.resultEnd]
                let fits = max(0, min(budget.maxThinking - a.result.thinkingTokens, room - 3))
                for t in injected.prefix(fits) { emit(&a, t, forced: true) }
            } else if a.toolCall != nil {
                a.toolCall!.append(token)
                if a.toolCall!.count > 512 { a.toolCall = nil }
            }
            return
        }
        // Answer phase.
        if a.result.answerTokens >= budget.maxAnswer || room <= 1 { return finish(&a, .length) }
        let banned: Set<Int32> = [marker.thinkStart, marker.thinkEnd]
        let (token, logProb) = Profile.measure(.sampling) { Sampler.sample(logits, options: a.request.sampling, rng: &a.rng, banned: banned) }
        if token == marker.endOfTurn {
            recordUncounted(&a, token, forced: false, logProb: logProb)
            return finish(&a, .stop)
        }
        let alternatives = Profile.measure(.sampling) { Sampler.mostLikely(logits, count: a.request.topLogprobs, banned: banned) }
        emit(&a, token, forced: false, logProb: logProb, alternatives: alternatives)
    }
}
