import Foundation
import Model
import Tasks

/// What to evaluate: a task's test problems at several thinking budgets with several strategies.
public struct EvalSettings: Codable, Sendable, Equatable {
    public var difficulty: Int
    public var problems: Int
    public var budgets: [Int]
    public var strategies: [String]
    public var maxAnswer = 48
    public var seed: UInt64 = 0
    public var thinks = true
    public var useTool = false

    public init(difficulty: Int, problems: Int, budgets: [Int], strategies: [String]) {
        self.difficulty = difficulty
        self.problems = problems
        self.budgets = budgets
        self.strategies = strategies
    }
}

/// One (strategy, budget) measurement.
public struct EvalCell: Codable, Sendable, Equatable {
    public let strategy: String
    public let budget: Int
    public let samples: Int
    /// Share of problems whose chosen answer the hidden-key verifier accepts.
    public let accuracy: Double
    /// Share of problems the strategy answered at all.
    public let answered: Double
    public let meanThinkingTokens: Double
    public let meanAnswerTokens: Double
    /// Forward FLOPs per problem, all samples included.
    public let meanFlops: Double
    /// Share of samples whose thinking the budget cut.
    public let cutFraction: Double
    /// Indices of the test problems answered correctly, to compare two models problem by problem
    /// (absent in reports written before it existed).
    public let solved: [Int]?
}

/// A transcript kept for people to read.
public struct EvalExample: Codable, Sendable, Equatable {
    public let strategy: String
    public let budget: Int
    public let prompt: String
    public let completion: String
    public let correct: Bool
    public let note: String
}

/// The result of an evaluation (`eval.json`); wall time is kept apart so that the rest is
/// identical for the same model, settings and seed.
public struct EvalReport: Codable, Sendable {
    public let task: String
    public let model: String
    public let parameters: Int
    public let settings: EvalSettings
    public let cells: [EvalCell]
    public let examples: [EvalExample]
    public var wallSeconds: Double
}

extension EvalReport {
    /// Writes the report as pretty, key-sorted JSON, atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }
}

/// Runs the evaluation grid.
public enum Evaluator {
    public static func run(model: Transformer, modelName: String, task: any ReasoningTask, settings: EvalSettings,
                           slots: Int = 32, progress: (String) -> Void = { _ in }) throws(ModelError) -> EvalReport {
        let start = Date()
        let engine = Engine(model: model, slots: slots)
        let problems = task.problems(count: settings.problems, difficulty: settings.difficulty, split: .test,
                                     baseSeed: settings.seed)
        var cells: [EvalCell] = []
        var examples: [EvalExample] = []
        for name in settings.strategies {
            let strategy = try StrategyParser.parse(name)
            for budget in settings.budgets {
                let context = StrategyContext(task: task, engine: engine,
                                              budget: Budget(maxThinking: budget, maxAnswer: settings.maxAnswer),
                                              thinks: settings.thinks, useTool: settings.useTool, seed: settings.seed)
                let results = try strategy.solve(problems, context: context)
                let correct = zip(problems, results).map { p, r in r.chosen.map { task.score(p, completion: $0).correct } ?? false }
                let all = results.flatMap(\.generations)
                let n = Double(max(problems.count, 1))
                let cell = EvalCell(
                    strategy: strategy.name, budget: budget, samples: strategy.samples,
                    accuracy: Double(correct.filter { $0 }.count) / n,
                    answered: Double(results.filter { $0.chosen != nil }.count) / n,
                    meanThinkingTokens: Double(results.reduce(0) { $0 + $1.bill.thinkingTokens }) / n,
                    meanAnswerTokens: Double(results.reduce(0) { $0 + $1.bill.answerTokens }) / n,
                    meanFlops: results.reduce(0) { $0 + $1.bill.flops } / n,
                    cutFraction: Double(all.filter(\.thinkingCut).count) / Double(max(all.count, 1)),
                    solved: correct.indices.filter { correct[$0] })
                cells.append(cell)
                for (i, r) in results.prefix(2).enumerated() {
                    examples.append(EvalExample(strategy: strategy.name, budget: budget, prompt: problems[i].prompt,
                                                completion: r.chosen ?? r.generations.first?.text ?? "",
                                                correct: correct[i], note: r.note))
                }
                progress(String(format: "%@ budget %d: accuracy %.3f, thinking %.0f tokens/problem",
                                strategy.name, budget, cell.accuracy, cell.meanThinkingTokens))
            }
        }
        return EvalReport(task: task.name, model: modelName, parameters: model.config.parameterCount, settings: settings,
                          cells: cells, examples: examples, wallSeconds: Date().timeIntervalSince(start))
    }
}
