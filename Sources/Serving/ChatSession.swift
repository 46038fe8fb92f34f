import Foundation
import Reasoning
import Model

/// One chat request on its way through the scheduler: submits `n` choices (times the effort's
/// votes), turns their tokens into deltas, applies stop sequences and the vote, and counts usage.
final class ChatSession: @unchecked Sendable {
    /// What the caller writes out, in order.
    enum Output {
        case delta(choice: Int, ChoiceAssembler.Delta)
        /// An answer token's log-probability, when the request asked for `logprobs`.
        case logprob(choice: Int, TokenLogprob)
        case finish(choice: Int, reason: String)
    }

    let request: ChatRequest
    let options: ServeOptions
    let scheduler: InferenceScheduler
    private let lock = NSLock()
    private var ids: [Int] = []
    private var cancelled = false

    /// When the request arrived, and what its tokens' times were (for `/metrics`).
    let arrived: Date
    struct Timing {
        var firstToken: Double?
        var firstAnswerToken: Double?
        /// Seconds between successive tokens of each sample.
        var gaps: [Double] = []
    }
    private var recorded = Timing()
    /// When each sample's last token came (guarded by `lock`, as `recorded` is).
    private var lastToken: [Int: Date] = [:]
    var timing: Timing { lock.withLock { recorded } }

    /// Whether `run` needs each token as it is decided: to stream it, to stop at a stop sequence,
    /// or for its alternatives' log-probabilities. Otherwise the tokens are taken from the
    /// finished generation: waking the consumer for every token cost the server's two cores more
    /// than decoding a small model's token did.
    private var needsTokens: Bool { request.stream || !request.stop.isEmpty || request.logprobs }

    init(request: ChatRequest, options: ServeOptions, scheduler: InferenceScheduler, arrived: Date = Date()) {
        self.request = request
        self.options = options
        self.scheduler = scheduler
        self.arrived = arrived
    }

    /// Stops every sample (the client went away); `run` then ends with `CancellationError`.
    func cancel() {
        lock.lock()
        cancelled = true
        let all = ids
        lock.unlock()
        scheduler.cancel(all)
    }

    private var events: AsyncStream<(Int, InferenceScheduler.Event)>?
    private var promptCount = 0

    /// Checks the prompt fits and queues the samples; throws the API error to answer with
    /// (context too long, 429 when the queue is full) before any byte of the response is sent.
    func start() throws(APIError) {
        let setting = options.efforts[request.effort]
        let budget = Budget(maxThinking: options.thinks ? thinkingBudget(setting) : 0, maxAnswer: options.maxAnswer,
                            deadline: options.timeout, maxCompletion: request.maxCompletionTokens)
        // A model that reads its budget is shown the level of the one this request thinks under.
        let level = BudgetTag.level(forThinking: budget.maxThinking, in: scheduler.budgetLevels)
        let prompt = request.promptTokens(in: scheduler.vocabulary, budgetLevel: level)
        guard prompt.count <= scheduler.maxPromptTokens else {
            throw .invalid("messages", "The prompt is \(prompt.count) tokens; this model's context takes at most \(scheduler.maxPromptTokens).",
                           code: "context_length_exceeded")
        }
        promptCount = prompt.count
        let seed = request.seed ?? UInt64.random(in: 0...UInt64.max)
        let samples = (0..<(request.n * setting.votes)).map { i in
            var sample = GenerationRequest(prompt: prompt, sampling: SamplingOptions(temperature: request.temperature, topK: request.topK,
                                                                                      topP: request.topP, seed: seed &+ UInt64(i)),
                                           budget: budget, thinks: options.thinks)
            sample.topLogprobs = request.topLogprobs
            return sample
        }
        let (events, sink) = AsyncStream<(Int, InferenceScheduler.Event)>.makeStream()
        let needsTokens = needsTokens
        guard let submitted = scheduler.submit(samples, sink: { [self] i, event in
            if case .token(let token) = event {
                record(token, sample: i)
                guard needsTokens else { return }
            }
            sink.yield((i, event))
        }) else {
            throw .busy(waiting: scheduler.load.waiting)
        }
        self.events = events
        lock.lock()
        ids = submitted
        let cancelledEarly = cancelled
        lock.unlock()
        if cancelledEarly { scheduler.cancel(submitted) }
    }

    /// Notes a token's time for `/metrics` (on the decoding thread, as it is decided).
    private func record(_ token: GeneratedToken, sample: Int) {
        let now = Date()
        lock.withLock {
            if recorded.firstToken == nil { recorded.firstToken = now.timeIntervalSince(arrived) }
            if token.part == .answer && recorded.firstAnswerToken == nil { recorded.firstAnswerToken = now.timeIntervalSince(arrived) }
            if let last = lastToken[sample] { recorded.gaps.append(now.timeIntervalSince(last)) }
            lastToken[sample] = now
        }
    }

    /// The request's exact budget or its effort's, cut so that a `max_completion_tokens` leaves
    /// room for an answer (half of it, at most the server's answer cap) instead of ending inside
    /// the thinking with an empty answer.
    func thinkingBudget(_ setting: EffortTable.Setting) -> Int {
        let wanted = request.thinkingBudget ?? setting.thinkingBudget
        guard let total = request.maxCompletionTokens else { return wanted }
        return min(wanted, total - min(options.maxAnswer, total / 2))
    }

    /// Consumes the started samples, passing each output to `emit`, and returns the usage.
    /// Ends with `CancellationError` when cancelled; every sample is stopped on the way out.
    func run(emit: (Output) async throws -> Void) async throws -> Usage {
        guard let events else { preconditionFailure("start() first") }
        let votes = options.efforts[request.effort].votes
        let submitted = ids
        defer { scheduler.cancel(submitted) }
        var assemblers = Array(repeating: ChoiceAssembler(stops: request.stop, vocabulary: scheduler.vocabulary), count: request.n)
        var generations = [Generation?](repeating: nil, count: submitted.count)
        var stoppedSamples = Set<Int>()
        var remaining = submitted.count
        var usage = Usage(promptTokens: promptCount, completionTokens: 0, reasoningTokens: 0)
        /// Feeds a finished generation's tokens to its choice, as if they had come one by one.
        func replay(_ generation: Generation, choice: Int) async throws {
            for token in generation.tokens.indices.map({ generation.generatedToken(at: $0) }) {
                if let l = logprob(token, assemblers[choice]) { try await emit(.logprob(choice: choice, l)) }
                for d in assemblers[choice].feed(token) { try await emit(.delta(choice: choice, d)) }
            }
        }
        for await (i, event) in events {
            let choice = i / votes
            switch event {
            case .token(let token):
                guard votes == 1 else { continue }
                if let l = logprob(token, assemblers[choice]) { try await emit(.logprob(choice: choice, l)) }
                for d in assemblers[choice].feed(token) { try await emit(.delta(choice: choice, d)) }
                if assemblers[choice].stopped && stoppedSamples.insert(i).inserted {
                    scheduler.cancel([submitted[i]])
                }
            case .finished(let generation):
                remaining -= 1
                generations[i] = generation
                if votes == 1 {
                    let stopped = stoppedSamples.contains(i)
                    if !needsTokens { try await replay(generation, choice: choice) }
                    if !stopped { for d in assemblers[choice].finish() { try await emit(.delta(choice: choice, d)) } }
                    // Every generated token counts, markers the client does not see included.
                    if stopped { usage.add(assemblers[choice]) } else { usage.add(generation) }
                    try await emit(.finish(choice: choice, reason: stopped ? "stop" : generation.finishReason.rawValue))
                } else {
                    let group = Array(generations[(choice * votes)..<((choice + 1) * votes)])
                    guard group.allSatisfy({ $0 != nil }) else { break }
                    let all = group.map { $0! }
                    for g in all { usage.add(g) }
                    let winner = all[Self.majority(all)]
                    try await replay(winner, choice: choice)
                    for d in assemblers[choice].finish() { try await emit(.delta(choice: choice, d)) }
                    let reason = assemblers[choice].stopped ? "stop" : winner.finishReason.rawValue
                    try await emit(.finish(choice: choice, reason: reason))
                }
            case .cancelled:
                remaining -= 1
                guard stoppedSamples.contains(i) else { throw CancellationError() }
                usage.add(assemblers[choice])
                try await emit(.finish(choice: choice, reason: "stop"))
            case .failed(let message):
                throw APIError.server("generation failed: \(message)")
            }
            if remaining == 0 { break }
        }
        if remaining > 0 { throw CancellationError() }
        return usage
    }

    /// The log-probability entry of an answer token the client will see, if it asked for them.
    private func logprob(_ token: GeneratedToken, _ assembler: ChoiceAssembler) -> TokenLogprob? {
        let vocabulary = scheduler.vocabulary, marker = vocabulary.markers
        guard request.logprobs, token.part == .answer, !assembler.stopped,
              token.token != marker.thinkEnd, token.token != marker.endOfTurn else { return nil }
        let bytes = vocabulary.bytes(of: token.token)
        let alternatives = token.alternatives.map { alternative in
            let bytes = vocabulary.bytes(of: alternative.token)
            return TokenLogprob.Alternative(token: String(decoding: bytes, as: UTF8.self), logprob: alternative.logProb, bytes: bytes)
        }
        return TokenLogprob(token: String(decoding: bytes, as: UTF8.self), logprob: token.logProb, bytes: bytes,
                            topLogprobs: alternatives)
    }

    /// Index of the first generation whose answer most generations share.
    static func majority(_ generations: [Generation]) -> Int {
        let answers = generations.map { $0.answerText.trimmingCharacters(in: .whitespacesAndNewlines) }
        var best = 0, bestCount = 0
        for (i, a) in answers.enumerated() {
            let count = answers.filter { $0 == a }.count
            if count > bestCount { best = i; bestCount = count }
        }
        return best
    }
}

extension Usage {
    mutating func add(_ a: ChoiceAssembler) {
        completionTokens += a.reasoningTokens + a.answerTokens
        reasoningTokens += a.reasoningTokens
    }

    mutating func add(_ g: Generation) {
        completionTokens += g.thinkingTokens + g.answerTokens
        reasoningTokens += g.thinkingTokens
    }
}
