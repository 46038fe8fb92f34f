import Foundation
import Kernels
import Model
import Tasks

/// Sequences decoding together over one KV cache. Each `step()` feeds every active sequence's
/// pending tokens (a whole prompt for a new one, one token for the rest) through one cached
/// forward pass, samples, and applies the budget rules. Requests may join between steps and
/// leave when they finish or are cancelled (continuous batching). A request with thinking
/// `cuts` forks into one of the fork slots at each cut (its KV cache copied), and the fork
/// answers there; a sequence whose fork finds no free fork slot waits, holding its logits, until
/// one frees. Not thread-safe: one owner steps it.
public final class DecodeBatch {
    public let model: Transformer
    private let cache: KVCache
    /// Request slots, then fork slots.
    private var active: [Active?]
    /// Slots that requests are admitted to; the rest take forks.
    public let slots: Int
    /// Per request with cuts: the generation at each cut, as its forks finish.
    private var cutResults: [Int: [Generation?]] = [:]
    /// Requests that finished before their forks did.
    private var waiting: [Int: Generation] = [:]
    /// The time that deadlines and `Generation.seconds` are measured by.
    private let clock: @Sendable () -> Date

    /// Per-sequence state while it is in a slot.
    private struct Active {
        let id: Int
        var request: GenerationRequest
        var onToken: ((GeneratedToken) -> Void)?
        var rng: SeededRNG
        var result = Generation()
        var pending: [Int32]
        var pendingForced: [Bool]
        var position = 0
        var phase: TokenPart
        var toolCall: [Int32]? = nil
        let start: Date
        /// Index in `request.cuts` of the next cut to fork at.
        var nextCut = 0
        /// For a fork: the index of the cut it answers.
        var cutIndex: Int? = nil
        /// The logits kept while the sequence waits for a fork slot.
        var held: [Float]? = nil
    }

    /// The batches this one is stepped beside, each on its own thread (nil: it is alone).
    private let peers: BatchesSideBySide?
    /// Whether `peers` counts this batch as holding sequences.
    private var countedBusy = false

    /// `slots` sequences decode together, and up to `forkSlots` forks of those with cuts, stepped
    /// `beside` other batches or alone; `clock` tells the time (a test passes its own).
    public init(model: Transformer, slots: Int, forkSlots: Int = 0, beside peers: BatchesSideBySide? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.peers = peers
        self.model = model
        self.clock = clock
        self.slots = max(1, slots)
        cache = KVCache(config: model.config, slots: self.slots + max(0, forkSlots))
        active = Array(repeating: nil, count: self.slots + max(0, forkSlots))
    }

    /// Calls of `step()` so far.
    public private(set) var steps = 0

    public var freeSlots: Int { active[..<slots].lazy.filter { $0 == nil }.count }
    public var isEmpty: Bool { active.allSatisfy { $0 == nil } }
    /// Longest prompt a request may bring (the context less room for `<think>` and one token).
    public var maxPromptTokens: Int { cache.capacity - 2 }

    /// Puts a request into a free slot under `id`; `onToken` receives each completion token as
    /// it is decided. Throws when the prompt does not fit the context or no slot is free.
    public func admit(_ request: GenerationRequest, id: Int,
                      onToken: ((GeneratedToken) -> Void)? = nil) throws(ModelError) {
        if let problem = request.cutsProblem(for: model) { throw .invalidInput(problem) }
        guard request.cuts.isEmpty || active.count > slots else {
            throw .invalidInput("a request with cuts needs a batch with fork slots")
        }
        let prompt = request.promptTokens(for: model)
        guard prompt.count + (request.thinks ? 1 : 0) < cache.capacity else {
            throw .invalidInput("prompt of \(prompt.count) tokens does not fit the \(cache.capacity)-token context")
        }
        guard let slot = active[..<slots].firstIndex(where: { $0 == nil }) else {
            throw .invalidInput("no free slot: \(slots) sequences are already decoding")
        }
        cache.reset(slot: slot)
        var a = Active(id: id, request: request, onToken: onToken, rng: SeededRNG(seed: request.sampling.seed),
                       pending: prompt, pendingForced: Array(repeating: true, count: prompt.count),
                       phase: request.thinks ? .thinking : .answer, start: clock())
        a.result.vocabulary = model.vocabulary
        if request.thinks {
            let think = model.vocabulary.markers.thinkStart
            a.pending.append(think)
            a.pendingForced.append(true)
            record(&a, think, forced: true, logProb: 0)
            a.result.thinkingTokens -= 1  // `<think>` itself is not thinking
            if request.budget.maxThinking <= 0 { forceThinkEnd(&a, cut: true) }
        }
        if !request.cuts.isEmpty { cutResults[id] = Array(repeating: nil, count: request.cuts.count) }
        active[slot] = a
    }

    /// Drops the sequence `id` and its forks (its client went away); returns whether it was decoding.
    @discardableResult
    public func cancel(id: Int) -> Bool {
        let held = active.indices.filter { active[$0]?.id == id }
        for slot in held { active[slot] = nil }
        cutResults[id] = nil
        return !held.isEmpty || waiting.removeValue(forKey: id) != nil
    }

    /// One forward pass over every active sequence; returns those that finished, freeing their slots.
    /// Beside other batches (`peers`), its kernels run on the calling thread alone while another
    /// of them holds sequences too.
    public func step() throws(ModelError) -> [(id: Int, generation: Generation)] {
        guard let peers else { return try stepHere() }
        countIn(peers)
        defer { countIn(peers) }
        return peers.busy > 1 ? try Parallel.alone { () throws(ModelError) in try stepHere() } : try stepHere()
    }

    /// Tells `peers` whether this batch holds sequences, when that changed.
    private func countIn(_ peers: BatchesSideBySide) {
        if countedBusy != !isEmpty {
            countedBusy.toggle()
            peers.count(countedBusy)
        }
    }

    private func stepHere() throws(ModelError) -> [(id: Int, generation: Generation)] {
        steps += 1
        var finished: [(id: Int, generation: Generation)] = []
        // Sequences that waited for a fork slot go on where one has freed.
        for slot in active.indices {
            guard let held = active[slot]?.held else { continue }
            active[slot]!.held = nil
            advance(slot: slot, logits: held[...], finished: &finished)
        }
        let running = active.indices.filter { active[$0] != nil && active[$0]!.held == nil }
        if running.isEmpty { return finished }
        let segments = running.map { CacheSegment(slot: $0, tokens: active[$0]!.pending) }
        for slot in running {
            for i in 0..<active[slot]!.pending.count {
                active[slot]!.result.flops += model.config.forwardFlopsPerToken(attendingTo: cache.lengths[slot] + i + 1)
            }
        }
        let logits = try model.forwardCached(segments, cache: cache)
        let vocab = model.config.vocabSize
        for (row, slot) in running.enumerated() {
            active[slot]!.position = cache.lengths[slot]
            active[slot]!.pending = []
            active[slot]!.pendingForced = []
            advance(slot: slot, logits: logits[(row * vocab)..<((row + 1) * vocab)], finished: &finished)
        }
        return finished
    }

    /// Forks the sequence in `slot` at every cut its thinking has reached, samples its next token
    /// and settles it if it has finished; without a free fork slot it holds `logits` and waits.
    private func advance(slot: Int, logits: ArraySlice<Float>, finished: inout [(id: Int, generation: Generation)]) {
        // Taken out of its slot, not copied, so that appending to its arrays copies nothing.
        guard var a = active[slot].take() else { return }
        while a.phase == .thinking && a.nextCut < a.request.cuts.count && a.result.thinkingTokens >= a.request.cuts[a.nextCut] {
            guard let free = active[slots...].firstIndex(where: { $0 == nil }) else {
                a.held = Array(logits)
                active[slot] = a
                return
            }
            // The fork is the run this request would be with the cut as its budget, from here on.
            var fork = a
            fork.request.budget.maxThinking = a.request.cuts[a.nextCut]
            fork.request.cuts = []
            fork.onToken = nil
            fork.cutIndex = a.nextCut
            cache.copy(slot: slot, to: free)
            sample(&fork, logits: logits)
            settle(fork, in: free, finished: &finished)
            a.nextCut += 1
        }
        sample(&a, logits: logits)
        settle(a, in: slot, finished: &finished)
    }

    /// Keeps a sequence in its slot, or, when it has finished, frees the slot and hands its
    /// generation on: to `finished`, or to the request it forked from, which is finished once
    /// it and all its forks are.
    private func settle(_ sequence: Active, in slot: Int, finished: inout [(id: Int, generation: Generation)]) {
        var a = sequence
        guard a.phase == .answer && a.result.done else { active[slot] = a; return }
        active[slot] = nil
        a.result.seconds = clock().timeIntervalSince(a.start)
        if let cut = a.cutIndex {
            cutResults[a.id]?[cut] = a.result
        } else if cutResults[a.id] != nil {
            // Cuts the thinking never reached answer as this generation did.
            for cut in a.nextCut..<a.request.cuts.count { cutResults[a.id]![cut] = a.result }
            waiting[a.id] = a.result
        } else {
            finished.append((a.id, a.result))
            return
        }
        if let results = cutResults[a.id], var generation = waiting[a.id], results.allSatisfy({ $0 != nil }) {
            generation.atCuts = results.map { $0! }
            cutResults[a.id] = nil
            waiting[a.id] = nil
            finished.append((a.id, generation))
        }
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
            let deadlinePassed = budget.deadline.map { clock().timeIntervalSince(a.start) >= $0 } ?? false
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
        let banned = [marker.thinkStart, marker.thinkEnd]
        let (token, logProb) = Profile.measure(.sampling) { Sampler.sample(logits, options: a.request.sampling, rng: &a.rng, banned: banned) }
        if token == marker.endOfTurn {
            recordUncounted(&a, token, forced: false, logProb: logProb)
            return finish(&a, .stop)
        }
        let alternatives = Profile.measure(.sampling) { Sampler.mostLikely(logits, count: a.request.topLogprobs, banned: banned) }
        emit(&a, token, forced: false, logProb: logProb, alternatives: alternatives)
    }
}
