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

    /// `samples` completions for each problem (greedy when one, temperature 1 when more), in one
    /// batched engine call.
    func sample(_ problems: [Problem], prompts: [String]? = nil, samples: Int, round: Int = 0) throws(ModelError) -> [[Generation]] {
        try engine.generate(items: problems.count, samples: samples) { i, k in
            let sampling = samples == 1 ? SamplingOptions.greedy
                : SamplingOptions(temperature: 1, seed: SampleSeed.strategy(seed, problem: firstIndex + i, sample: k, round: round))
            var request = GenerationRequest(user: prompts?[i] ?? problems[i].prompt, sampling: sampling, budget: budget,
                                            thinks: thinks, tool: useTool ? (task, problems[i]) : nil)
            request.budgetTag = budgetTag
            return request
        }
    }
}

/// A way to spend test-time compute on a problem.
public protocol Strategy: Sendable {
    var name: String { get }
    /// Samples per problem (per round for `revise`).
    var samples: Int { get }
    func solve(_ problems: [Problem], context: StrategyContext) throws(ModelError) -> [StrategyResult]
}

/// One greedy sample.
public struct SingleStrategy: Strategy {
    public let name = "single"
    public let samples = 1
    public init() {}

    public func solve(_ problems: [Problem], context: StrategyContext) throws(ModelError) -> [StrategyResult] {
        try context.sample(problems, samples: 1).map { gens in
            var bill = ComputeBill()
            gens.forEach { bill.add($0) }
            return StrategyResult(chosen: gens[0].text, generations: gens, bill: bill, note: "")
        }
    }
}

/// N samples; the most common answer wins (self-consistency). Ties go to the earliest sample.
public struct VoteStrategy: Strategy {
    public let samples: Int
    public var name: String { "vote:\(samples)" }
    public init(samples: Int) { self.samples = samples }

    public static func majority(_ answers: [String?]) -> Int? {
        var counts: [String: Int] = [:]
        for case let a? in answers where !a.isEmpty { counts[a, default: 0] += 1 }
        guard let best = counts.values.max() else { return nil }
        return answers.firstIndex { $0.map { counts[$0] == best } ?? false }
    }

    public func solve(_ problems: [Problem], context: StrategyContext) throws(ModelError) -> [StrategyResult] {
        try context.sample(problems, samples: samples).map { gens in
            var bill = ComputeBill()
            gens.forEach { bill.add($0) }
            let answers = gens.map { $0.completion.answer }
            guard let winner = Self.majority(answers) else {
                return StrategyResult(chosen: nil, generations: gens, bill: bill, note: "no sample gave an answer")
            }
            let votes = answers.filter { $0 == answers[winner] }.count
            return StrategyResult(chosen: gens[winner].text, generations: gens, bill: bill, note: "\(votes)/\(samples) votes")
        }
    }
}

/// N samples; the first whose answer passes the task's public check (never the hidden key).
/// When none passes, no answer is given and the note says so.
public struct BestOfNStrategy: Strategy {
    public let samples: Int
    public var name: String { "best-of-n:\(samples)" }
    public init(samples: Int) { self.samples = samples }

    public static func pick(_ completions: [String], problem: Problem, task: any ReasoningTask) -> Int? {
        completions.firstIndex { task.check(problem, completion: $0)?.correct == true }
    }

    public func solve(_ problems: [Problem], context: StrategyContext) throws(ModelError) -> [StrategyResult] {
        guard let first = problems.first else { return [] }
        guard context.task.check(first, completion: "") != nil else {
            throw .invalidInput("best-of-n needs a task whose answers can be checked without the key (\(context.task.name) has none)")
        }
        return try zip(problems, context.sample(problems, samples: samples)).map { problem, gens in
            var bill = ComputeBill()
            gens.forEach { bill.add($0) }
            guard let i = Self.pick(gens.map(\.text), problem: problem, task: context.task) else {
                return StrategyResult(chosen: nil, generations: gens, bill: bill, note: "no candidate passed the check")
            }
            return StrategyResult(chosen: gens[i].text, generations: gens, bill: bill, note: "candidate \(i + 1) passed")
        }
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
