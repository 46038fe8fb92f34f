import Foundation
import Model
import Tasks

/// What a strategy spent on one problem.
public struct ComputeBill: Codable, Sendable, Equatable {
    public var samples = 0
    public var thinkingTokens = 0
    public var answerTokens = 0
    public var flops: Double = 0
    public var seconds: Double = 0

    public init() {}

    mutating func add(_ g: Generation) {
        samples += 1
        thinkingTokens += g.thinkingTokens
        answerTokens += g.answerTokens
        flops += g.flops
        seconds += g.seconds
    }
}

/// A strategy's answer to one problem, with the samples it drew and their cost.
public struct StrategyResult: Sendable {
    /// The completion the strategy stands behind; nil when it declines to answer (best-of-n with
    /// no candidate passing the check).
    public var chosen: String?
    public var generations: [Generation]
    public var bill: ComputeBill
    public var note: String
}

/// Everything a strategy needs to solve a batch of problems.
public struct StrategyContext: Sendable {
    public let task: any ReasoningTask
    public let engine: Engine
    public let budget: Budget
    public let thinks: Bool
    public let useTool: Bool
    public let seed: UInt64
    /// Index of the first problem among all those being solved (a chunk of a long evaluation
    /// starts later): samples are seeded by a problem's overall index, so chunking changes nothing.
    public let firstIndex: Int
    /// The budget level shown in place of `budget`'s (`GenerationRequest.budgetTag`).
    public let budgetTag: Int?

    public init(task: any ReasoningTask, engine: Engine, budget: Budget, thinks: Bool = true, useTool: Bool = false,
                seed: UInt64 = 0, firstIndex: Int = 0, budgetTag: Int? = nil) {
        self.task = task
        self.engine = engine
        self.budget = budget
        self.thinks = thinks
        self.useTool = useTool
        self.seed = seed
        self.firstIndex = firstIndex
        self.budgetTag = budgetTag
    }

    /// The same context with a thinking budget of `maxThinking` tokens.
    func thinking(_ maxThinking: Int) -> StrategyContext {
        var budget = self.budget
        budget.maxThinking = maxThinking
        return StrategyContext(task: task, engine: engine, budget: budget, thinks: thinks, useTool: useTool, seed: seed,
                               firstIndex: firstIndex, budgetTag: budgetTag)
    }

    /// The request for sample `sample` (of `samples`) of problem `i`.
    func request(_ problems: [Problem], _ i: Int, prompt: String? = nil, sample k: Int, of samples: Int, round: Int = 0,
                 cuts: [Int] = []) -> GenerationRequest {
        let sampling = samples == 1 ? SamplingOptions.greedy
            : SamplingOptions(temperature: 1, seed: SampleSeed.strategy(seed, problem: firstIndex + i, sample: k, round: round))
        var request = GenerationRequest(user: prompt ?? problems[i].prompt, sampling: sampling, budget: budget,
                                        thinks: thinks, tool: useTool ? (task, problems[i]) : nil)
        request.budgetTag = budgetTag
        request.cuts = cuts
        return request
    }

    /// `samples` completions for each problem (greedy when one, temperature 1 when more), in one
    /// batched engine call; with `cuts`, each also answered at those smaller budgets (`Generation.atCuts`).
    func sample(_ problems: [Problem], prompts: [String]? = nil, samples: Int, round: Int = 0,
                cuts: [Int] = []) throws(ModelError) -> [[Generation]] {
        try engine.generate(items: problems.count, samples: samples) { i, k in
            request(problems, i, prompt: prompts?[i], sample: k, of: samples, round: round, cuts: cuts)
        }
    }

    /// Whether one decode can serve every budget of `budgets`, each smaller one a cut of the
    /// largest (`GenerationRequest.cuts`): the prompt and the rules must not depend on the budget.
    public func sharesThinking(across budgets: [Int], problems: [Problem]) -> Bool {
        let distinct = Set(budgets).sorted()
        guard distinct.count > 1, distinct.count == budgets.count, let largest = distinct.last, !problems.isEmpty else { return false }
        return thinking(largest).request(problems, 0, sample: 0, of: 1, cuts: Array(distinct.dropLast()))
            .cutsProblem(for: engine.model) == nil
    }
}

/// A way to spend test-time compute on a problem.
public protocol Strategy: Sendable {
    var name: String { get }
    /// Samples per problem (per round for `revise`).
    var samples: Int { get }
    func solve(_ problems: [Problem], context: StrategyContext) throws(ModelError) -> [StrategyResult]
}

/// A strategy that draws all its samples first and then chooses among them, so that one decode
/// of the thinking, cut at each smaller budget, serves several budgets (`solve(_:context:budgets:)`).
public protocol SamplingStrategy: Strategy {
    /// Refuses what the strategy cannot serve, before anything is decoded.
    func validate(_ problems: [Problem], context: StrategyContext) throws(ModelError)
    /// What the strategy answers for `problem` from its samples.
    func choose(_ problem: Problem, from generations: [Generation], context: StrategyContext) -> StrategyResult
}

extension SamplingStrategy {
    public func validate(_ problems: [Problem], context: StrategyContext) throws(ModelError) {}

    public func solve(_ problems: [Problem], context: StrategyContext) throws(ModelError) -> [StrategyResult] {
        try validate(problems, context: context)
        return zip(problems, try context.sample(problems, samples: samples)).map { choose($0, from: $1, context: context) }
    }

    /// The results at each of `budgets` (distinct, in any order), each equal to what
    /// `solve(_:context:)` gives at that budget, from one decode at the largest whose thinking is
    /// cut at the others (where `context.sharesThinking(across:problems:)`).
    public func solve(_ problems: [Problem], context: StrategyContext, budgets: [Int]) throws(ModelError) -> [[StrategyResult]] {
        let ascending = budgets.sorted()
        guard let largest = ascending.last, Set(budgets).count == budgets.count else {
            throw .invalidInput("budgets \(budgets) must be distinct, at least one")
        }
        try validate(problems, context: context)
        let cuts = Array(ascending.dropLast())
        let groups = try context.thinking(largest).sample(problems, samples: samples, cuts: cuts)
        return budgets.map { budget in
            let cut = cuts.firstIndex(of: budget)
            return zip(problems, groups).map { problem, gens in
                choose(problem, from: cut.map { c in gens.map { $0.atCuts[c] } } ?? gens, context: context.thinking(budget))
            }
        }
    }
}

extension ComputeBill {
    /// The bill of these samples together.
    init(_ generations: [Generation]) {
        self.init()
        generations.forEach { add($0) }
    }
}

/// One greedy sample.
public struct SingleStrategy: SamplingStrategy {
    public let name = "single"
    public let samples = 1
    public init() {}

    public func choose(_ problem: Problem, from gens: [Generation], context: StrategyContext) -> StrategyResult {
        StrategyResult(chosen: gens[0].text, generations: gens, bill: ComputeBill(gens), note: "")
    }
}

/// N samples; the most common answer wins (self-consistency). Ties go to the earliest sample.
public struct VoteStrategy: SamplingStrategy {
    public let samples: Int
    public var name: String { "vote:\(samples)" }
    public init(samples: Int) { self.samples = samples }

    public static func majority(_ answers: [String?]) -> Int? {
        var counts: [String: Int] = [:]
        for case let a? in answers where !a.isEmpty { counts[a, default: 0] += 1 }
        guard let best = counts.values.max() else { return nil }
        return answers.firstIndex { $0.map { counts[$0] == best } ?? false }
    }

    public func choose(_ problem: Problem, from gens: [Generation], context: StrategyContext) -> StrategyResult {
        let answers = gens.map { $0.completion.answer }
        guard let winner = Self.majority(answers) else {
            return StrategyResult(chosen: nil, generations: gens, bill: ComputeBill(gens), note: "no sample gave an answer")
        }
        let votes = answers.filter { $0 == answers[winner] }.count
        return StrategyResult(chosen: gens[winner].text, generations: gens, bill: ComputeBill(gens), note: "\(votes)/\(samples) votes")
    }
}

/// N samples; the first whose answer passes the task's public check (never the hidden key).
/// When none passes, no answer is given and the note says so.
public struct BestOfNStrategy: SamplingStrategy {
    public let samples: Int
    public var name: String { "best-of-n:\(samples)" }
    public init(samples: Int) { self.samples = samples }

    public static func pick(_ completions: [String], problem: Problem, task: any ReasoningTask) -> Int? {
        completions.firstIndex { task.check(problem, completion: $0)?.correct == true }
    }

    /// Refuses a task without a public check before anything is decoded.
    public func validate(_ problems: [Problem], context: StrategyContext) throws(ModelError) {
        guard let first = problems.first, context.task.check(first, completion: "") == nil else { return }
        throw .invalidInput("best-of-n needs a task whose answers can be checked without the key (\(context.task.name) has none)")
    }

    public func choose(_ problem: Problem, from gens: [Generation], context: StrategyContext) -> StrategyResult {
        guard let i = Self.pick(gens.map(\.text), problem: problem, task: context.task) else {
            return StrategyResult(chosen: nil, generations: gens, bill: ComputeBill(gens), note: "no candidate passed the check")
        }
        return StrategyResult(chosen: gens[i].text, generations: gens, bill: ComputeBill(gens), note: "candidate \(i + 1) passed")
    }
}

/// Answer, check, and on failure show the model its previous answer with the check's feedback,
/// up to `rounds` attempts in all.
public struct ReviseStrategy: Strategy {
    public let rounds: Int
    public let samples = 1
    public var name: String { "revise:\(rounds)" }
    public init(rounds: Int) { self.rounds = rounds }

    public static func revisionPrompt(_ problem: Problem, previous: String, feedback: String) -> String {
        "\(problem.prompt)\nYour previous answer: \(previous.prefix(40))\nFeedback: \(feedback.prefix(80))\nTry again."
    }

    public func solve(_ problems: [Problem], context: StrategyContext) throws(ModelError) -> [StrategyResult] {
        var results = problems.map { _ in StrategyResult(chosen: nil, generations: [], bill: ComputeBill(), note: "") }
        var open = Array(problems.indices)
        var prompts = problems.map(\.prompt)
        for round in 0..<rounds where !open.isEmpty {
            let gens = try context.sample(open.map { problems[$0] }, prompts: open.map { prompts[$0] }, samples: 1, round: round)
            var stillOpen: [Int] = []
            for (k, i) in open.enumerated() {
                let g = gens[k][0]
                results[i].generations.append(g)
                results[i].bill.add(g)
                results[i].chosen = g.text
                guard let verdict = context.task.check(problems[i], completion: g.text) else {
                    results[i].note = "no check available: first answer kept"
                    continue
                }
                results[i].note = "round \(round + 1): \(verdict.detail)"
                if !verdict.correct && round + 1 < rounds {
                    prompts[i] = Self.revisionPrompt(problems[i], previous: g.completion.answer ?? "(none)", feedback: verdict.detail)
                    stillOpen.append(i)
                }
            }
            open = stillOpen
        }
        return results
    }
}

/// Parses strategy names: `single`, `vote:N`, `best-of-n:N`, `revise:K`.
public enum StrategyParser {
    public static func parse(_ text: String) throws(ModelError) -> any Strategy {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let n = parts.count == 2 ? Int(parts[1]) : nil
        switch (parts[0], n) {
        case ("single", nil): return SingleStrategy()
        case ("vote", let n?) where n >= 1: return VoteStrategy(samples: n)
        case ("best-of-n", let n?) where n >= 1: return BestOfNStrategy(samples: n)
        case ("revise", let n?) where n >= 1: return ReviseStrategy(rounds: n)
        default: throw .invalidInput("unknown strategy '\(text)'; use single, vote:N, best-of-n:N or revise:K")
        }
    }
}
