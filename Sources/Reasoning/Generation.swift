import Model
import Tasks

/// One request to the engine.
public struct GenerationRequest: Sendable {
    /// What the model continues: chat-formatted tokens, or a user message that the engine lays
    /// out in the model's own chat format.
    public enum Prompt: Sendable {
        case tokens([Int32])
        case user(String)
    }

    public var prompt: Prompt
    public var sampling: SamplingOptions
    public var budget: Budget
    /// Whether the model writes `<think>…</think>` before answering (the engine opens it);
    /// false for answer-only models.
    public var thinks: Bool
    /// The task and problem whose tool the model may call inside its thinking.
    public var tool: (any ReasoningTask, Problem)?
    /// The budget level shown in the prompt of a model that reads one (`BudgetTag`), when it
    /// should differ from the level of `budget.maxThinking` (to test what the model makes of it).
    public var budgetTag: Int?
    /// How many of the most likely tokens to report beside each sampled answer token
    /// (`GeneratedToken.alternatives`), 0 for none; at most `maxTopLogprobs`.
    public var topLogprobs = 0
    public static let maxTopLogprobs = 20
    /// Smaller thinking budgets (increasing, each below `budget.maxThinking`) at which the
    /// generation is also answered: when its thinking reaches a cut, the sequence forks and the
    /// fork closes the thinking there and answers, as a run with that budget would
    /// (`Generation.atCuts`). One decode of the thinking then serves every budget of an evaluation.
    /// Only where the prompt and every rule are the same at each budget: no budget line that
    /// follows the budget (`budgetTag` fixes it), no tool, no minimum thinking, no deadline.
    public var cuts: [Int] = []

    public init(prompt: [Int32], sampling: SamplingOptions = SamplingOptions(), budget: Budget = Budget(),
                thinks: Bool = true, tool: (any ReasoningTask, Problem)? = nil) {
        self.init(.tokens(prompt), sampling: sampling, budget: budget, thinks: thinks, tool: tool)
    }

    /// A request for a user message in the chat format.
    public init(user: String, sampling: SamplingOptions = SamplingOptions(), budget: Budget = Budget(),
                thinks: Bool = true, tool: (any ReasoningTask, Problem)? = nil) {
        self.init(.user(user), sampling: sampling, budget: budget, thinks: thinks, tool: tool)
    }

    private init(_ prompt: Prompt, sampling: SamplingOptions, budget: Budget, thinks: Bool,
                 tool: (any ReasoningTask, Problem)?) {
        self.prompt = prompt
        self.sampling = sampling
        self.budget = budget
        self.thinks = thinks
        self.tool = tool
    }

    /// The budget level a model trained on `levels` is shown (nil when it reads none).
    public func budgetLevel(in levels: [Int]) -> Int? {
        levels.isEmpty ? nil : budgetTag ?? BudgetTag.level(forThinking: budget.maxThinking, in: levels)
    }

    /// Why `cuts` cannot be answered by forking this request on `model`, or nil when they can.
    public func cutsProblem(for model: Transformer) -> String? {
        if cuts.isEmpty { return nil }
        if !thinks { return "a request that does not think has no thinking to cut" }
        if zip(cuts, cuts.dropFirst()).contains(where: { $0 >= $1 }) || cuts.first! < 0 || cuts.last! >= budget.maxThinking {
            return "cuts \(cuts) must increase from 0 or more and stay below the thinking budget \(budget.maxThinking)"
        }
        if tool != nil { return "a tool result can cross a cut, so cuts cannot share a tool-using request's thinking" }
        if budget.minThinking > 0 || budget.deadline != nil { return "cuts cannot share thinking under a minimum or a deadline" }
        if !model.config.budgetLevels.isEmpty && budgetTag == nil {
            return "the model reads its budget in the prompt, so each budget needs its own prompt (or a fixed budgetTag)"
        }
        return nil
    }

    /// The prompt's tokens for `model`: a user message is laid out in its chat format, with the
    /// budget line when the model reads one. Tokens are taken as they are.
    public func promptTokens(for model: Transformer) -> [Int32] {
        switch prompt {
        case .tokens(let tokens): return tokens
        case .user(let text):
            return model.vocabulary.prompt(BudgetTag.tagged(text, level: budgetLevel(in: model.config.budgetLevels)))
        }
    }
}

/// Why a generation ended.
public enum FinishReason: String, Codable, Sendable {
    /// The model wrote the end-of-turn token.
    case stop
    /// The answer cap or the context ran out.
    case length
}

/// Where a generated token belongs.
public enum TokenPart: String, Codable, Sendable {
    case thinking, answer
}

/// A token and its log-probability under the model (untempered, as `Sampler` reports).
public struct TokenAlternative: Sendable, Equatable {
    public let token: Int32
    public let logProb: Float

    public init(token: Int32, logProb: Float) {
        self.token = token
        self.logProb = logProb
    }
}

/// One token as the engine produced it, for streaming.
public struct GeneratedToken: Sendable {
    public let token: Int32
    public let part: TokenPart
    /// Injected by the engine (a forced `</think>`, a continuation, a tool result), not sampled.
    public let forced: Bool
    public let logProb: Float
    /// The most likely tokens at this position, most likely first, when the request asked for
    /// them (`GenerationRequest.topLogprobs`) and the token was sampled in the answer.
    public let alternatives: [TokenAlternative]

    public init(token: Int32, part: TokenPart, forced: Bool, logProb: Float, alternatives: [TokenAlternative] = []) {
        self.token = token
        self.part = part
        self.forced = forced
        self.logProb = logProb
        self.alternatives = alternatives
    }
}

/// A finished generation: the completion tokens with their provenance, counts and compute bill.
public struct Generation: Sendable {
    public var tokens: [Int32] = []
    public var forced: [Bool] = []
    /// Log-probability of each token under the model (0 for forced tokens).
    public var logProbs: [Float] = []
    public var parts: [TokenPart] = []
    public var thinkingTokens = 0
    public var answerTokens = 0
    public var finishReason: FinishReason = .stop
    /// Thinking ended because the budget or deadline ran out, not by the model's choice.
    public var thinkingCut = false
    public var toolCalls = 0
    /// Forward FLOPs spent on this sequence (prompt included).
    public var flops: Double = 0
    public var seconds: Double = 0
    /// The generation at each of the request's `cuts`, in their order: the fork answered after
    /// the thinking was cut there, or this generation itself when its thinking ended before.
    public var atCuts: [Generation] = []
    /// Set by the engine when the sequence is complete.
    var done = false
    /// The vocabulary its tokens belong to (set by the engine).
    public internal(set) var vocabulary = Vocabulary.strawberry

    /// The completion as text, `<think>…</think>answer` (the end token left out).
    public var text: String {
        vocabulary.decode(tokens.filter { $0 != vocabulary.markers.endOfTurn })
    }
    public var completion: Completion { Completion(text) }
    /// The answer part alone, as text.
    public var answerText: String {
        vocabulary.decode(zip(tokens, parts).filter { $0.1 == .answer && $0.0 != vocabulary.markers.endOfTurn }.map(\.0))
    }
    /// For each token of the thinking, how many thinking tokens precede it (`thinkingTokens`
    /// counts them: the `<think>` and `</think>` markers are not counted, but have a position);
    /// nil for the answer's tokens. A token at position `t` is in the fork at a cut `c` when `t < c`.
    public var thinkingPositions: [Int?] {
        let markers = [vocabulary.markers.thinkStart, vocabulary.markers.thinkEnd]
        var count = 0
        return zip(tokens, parts).map { token, part in
            guard part == .thinking else { return nil }
            defer { if !markers.contains(token) { count += 1 } }
            return count
        }
    }
    /// Token `i` as the engine streamed it.
    public func generatedToken(at i: Int) -> GeneratedToken {
        GeneratedToken(token: tokens[i], part: parts[i], forced: forced[i], logProb: logProbs[i])
    }
}
