import Cluster
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
    /// The seed that picks the test problems when it differs from `seed` (which then seeds only
    /// the sampling): fixed, every model and seed of a comparison meets the same problems.
    public var problemSeed: UInt64?
    public var thinks = true
    public var useTool = false
    /// The budget level shown to a model that reads its budget (`BudgetTag`) in every cell, in
    /// place of the level of the cell's own budget: to see what the model makes of the line.
    public var budgetTag: Int?

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
    /// Problems the cell covers: fewer than `settings.problems` in a partial report written while
    /// the evaluation runs (absent in reports written before it existed).
    public var problems: Int? = nil
    /// Answers the verifier could not judge (it timed out, crashed, printed no verdict), counted
    /// as wrong; the first ones are in `verifierFailures`.
    public var verifierFailureCount: Int? = nil
    public var verifierFailures: [VerifierFailure]? = nil
    /// Thinking tokens spent on each test problem, in problem order (absent in reports written
    /// before it existed).
    public var thinkingPerProblem: [Int]? = nil
    /// Slips, false claims, misses and recoveries in the answered (or first) completion of each
    /// problem, and its search length against the worked solution's; nil for a task that cannot
    /// audit its thinking (and in reports written before it existed).
    public var selfCorrection: SelfCorrection? = nil
}

/// A test problem whose answer the verifier failed to judge, and why.
public struct VerifierFailure: Codable, Sendable, Equatable {
    public let problem: Int
    public let cause: String
}

/// A transcript kept for people to read.
public struct EvalExample: Codable, Sendable, Equatable {
    public let strategy: String
    public let budget: Int
    public let prompt: String
    public let completion: String
    public let correct: Bool
    public let note: String
    /// Index of the test problem (absent in reports written before it existed).
    public var problem: Int? = nil
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
    /// Verifier failures listed per cell (all are counted).
    public static let listedFailures = 100

    /// Runs every (strategy, budget) cell over the test problems, `chunk` problems at a time;
    /// after each chunk `progress` hears how far the cell is and `partial` gets the report so far,
    /// so a long evaluation shows its way and loses nothing. Chunking does not change the results.
    /// Under MPI each rank solves and scores its share of every chunk and the ranks exchange the
    /// outcomes, so every rank returns the whole report (samples are seeded by problem index, so
    /// the report equals the one-process one). A sampling strategy (`single`, `vote`, `best-of-n`)
    /// decodes once at the largest budget and answers after a cut at each smaller one, where the
    /// prompt does not depend on the budget (`StrategyContext.sharesThinking`): the cells are
    /// those of separate runs, for the thinking of one.
    public static func run(model: Transformer, modelName: String, task: any ReasoningTask, settings: EvalSettings,
                           slots: Int = 32, chunk: Int = 1000, communicator: any Communicator = SingleProcess(),
                           progress: (String) -> Void = { _ in },
                           partial: (EvalReport) -> Void = { _ in }) throws(EvaluationError) -> EvalReport {
        let start = Date()
        let engine = Engine(model: model, slots: slots)
        let problems = task.problems(count: settings.problems, difficulty: settings.difficulty, split: .test,
                                     baseSeed: settings.problemSeed ?? settings.seed)
        var cells: [EvalCell] = []
        var examples: [EvalExample] = []
        func context(first: Int, budget: Int) -> StrategyContext {
            StrategyContext(task: task, engine: engine, budget: Budget(maxThinking: budget, maxAnswer: settings.maxAnswer),
                            thinks: settings.thinks, useTool: settings.useTool, seed: settings.seed,
                            firstIndex: first, budgetTag: settings.budgetTag)
        }
        func report(_ cells: [EvalCell]) -> EvalReport {
            EvalReport(task: task.name, model: modelName, parameters: model.config.parameterCount, settings: settings,
                       cells: cells, examples: examples, wallSeconds: Date().timeIntervalSince(start))
        }
        for name in settings.strategies {
            let strategy: any Strategy
            do { strategy = try StrategyParser.parse(name) } catch { throw .model(error) }
            // Budgets whose prompt is the same share one decode, each smaller one a cut of the largest.
            let probe = context(first: 0, budget: settings.budgets.max() ?? 0)
            let sharing = probe.sharesThinking(across: settings.budgets, problems: problems) ? strategy as? any SamplingStrategy : nil
            for budgets in sharing == nil ? settings.budgets.map({ [$0] }) : [settings.budgets] {
                let cellStart = Date()
                var tallies = budgets.map { CellTally(strategy: strategy, budget: $0) }
                for first in stride(from: 0, to: problems.count, by: chunk) {
                    let part = Array(problems[first..<min(first + chunk, problems.count)])
                    let mine = communicator.share(of: part.count)
                    let results: [[StrategyResult]]
                    do {
                        let context = context(first: first + mine.lowerBound, budget: budgets[0])
                        if let sharing {
                            results = try sharing.solve(Array(part[mine]), context: context, budgets: budgets)
                        } else {
                            results = [try strategy.solve(Array(part[mine]), context: context)]
                        }
                    } catch { throw .model(error) }
                    for (b, budgetResults) in results.enumerated() {
                        let outcomes = zip(part[mine], budgetResults).map { ProblemOutcome(problem: $0, result: $1, task: task) }
                        let all: [ProblemOutcome]
                        do { all = try communicator.allGather(outcomes).flatMap { $0 } } catch { throw .cluster(error) }
                        tallies[b].add(all, firstIndex: first)
                        if first == 0 { examples += Self.shownExamples(all, part: part, strategy: strategy, budget: budgets[b]) }
                    }
                    let done = tallies[0].problems
                    if done < problems.count {
                        let seconds = Date().timeIntervalSince(cellStart)
                        let eta = seconds / Double(done) * Double(problems.count - done)
                        let accuracies = tallies.map { String(format: "%.3f", $0.cell().accuracy) }.joined(separator: "/")
                        progress(String(format: "%@ budget %@: %d/%d problems, accuracy so far %@%@, about %.0fs to go",
                                        strategy.name, budgets.map(String.init).joined(separator: "/"), done, problems.count,
                                        accuracies, tallies.map(\.failureNote).joined(), eta))
                        partial(report(cells + tallies.map { $0.cell() }))
                    }
                }
                for tally in tallies {
                    let cell = tally.cell()
                    cells.append(cell)
                    progress(String(format: "%@ budget %d: accuracy %.3f, thinking %.0f tokens/problem%@",
                                    strategy.name, tally.budget, cell.accuracy, cell.meanThinkingTokens, tally.failureNote))
                }
            }
        }
        return report(cells)
    }

    /// The transcripts kept from a cell's first chunk: a success and a failure where it has both,
    /// else its first two problems.
    static func shownExamples(_ all: [ProblemOutcome], part: [Problem], strategy: any Strategy, budget: Int) -> [EvalExample] {
        let shown = [all.firstIndex { $0.correct }, all.firstIndex { !$0.correct }].compactMap { $0 }
        return (shown.count == 2 ? shown.sorted() : Array(all.indices.prefix(2))).map { i in
            var example = EvalExample(strategy: strategy.name, budget: budget, prompt: part[i].prompt,
                                      completion: all[i].shownCompletion, correct: all[i].correct, note: all[i].note)
            example.problem = i
            return example
        }
    }
}

/// Why an evaluation stopped.
public enum EvaluationError: Error, CustomStringConvertible {
    case model(ModelError)
    case cluster(ClusterError)

    public var description: String {
        switch self {
        case .model(let e): e.description
        case .cluster(let e): e.description
        }
    }
}

/// What one test problem came to under one (strategy, budget): scored where it was solved and
/// sent between ranks as is.
struct ProblemOutcome: Codable, Sendable {
    var correct: Bool
    var answered: Bool
    var verifierFailure: String?
    var thinkingTokens: Int
    var answerTokens: Int
    var flops: Double
    var samples: Int
    var cutSamples: Int
    /// The chosen completion, or the first sample's when the strategy declined to answer.
    var shownCompletion: String
    var note: String
    /// The audit of `shownCompletion`.
    var selfCorrection: SelfCorrection

    init(problem: Problem, result r: StrategyResult, task: any ReasoningTask) {
        let score = r.chosen.map { task.score(problem, completion: $0) }
        correct = score?.correct ?? false
        answered = r.chosen != nil
        verifierFailure = score?.verifierFailure
        thinkingTokens = r.bill.thinkingTokens
        answerTokens = r.bill.answerTokens
        flops = r.bill.flops
        samples = r.generations.count
        cutSamples = r.generations.filter(\.thinkingCut).count
        shownCompletion = r.chosen ?? r.generations.first?.text ?? ""
        note = r.note
        selfCorrection = task.selfCorrection(problem, completion: shownCompletion)
    }
}

/// One (strategy, budget) cell summed over the chunks of problems it has seen so far.
struct CellTally {
    let strategy: any Strategy
    let budget: Int
    var problems = 0, answered = 0, thinkingTokens = 0, answerTokens = 0, samples = 0, cutSamples = 0
    var flops = 0.0
    var solved: [Int] = []
    var thinkingPerProblem: [Int] = []
    var failureCount = 0
    var failures: [VerifierFailure] = []
    var selfCorrection = SelfCorrection()

    init(strategy: any Strategy, budget: Int) {
        self.strategy = strategy
        self.budget = budget
    }

    /// Adds the outcomes of a chunk whose first problem has index `firstIndex`.
    mutating func add(_ outcomes: [ProblemOutcome], firstIndex: Int) {
        for (i, o) in outcomes.enumerated() {
            if o.correct { solved.append(firstIndex + i) }
            if let cause = o.verifierFailure {
                failureCount += 1
                if failures.count < Evaluator.listedFailures { failures.append(VerifierFailure(problem: firstIndex + i, cause: cause)) }
            }
            if o.answered { answered += 1 }
            thinkingTokens += o.thinkingTokens
            thinkingPerProblem.append(o.thinkingTokens)
            answerTokens += o.answerTokens
            flops += o.flops
            samples += o.samples
            cutSamples += o.cutSamples
            selfCorrection = selfCorrection + o.selfCorrection
        }
        problems += outcomes.count
    }

    /// ", 3 verifier failures (first: …)" when the verifier failed on any answer.
    var failureNote: String {
        guard let first = failures.first else { return "" }
        return ", \(failureCount) verifier failure\(failureCount == 1 ? "" : "s") (first: \(first.cause))"
    }

    func cell() -> EvalCell {
        let n = Double(max(problems, 1))
        var cell = EvalCell(strategy: strategy.name, budget: budget, samples: strategy.samples,
                            accuracy: Double(solved.count) / n, answered: Double(answered) / n,
                            meanThinkingTokens: Double(thinkingTokens) / n, meanAnswerTokens: Double(answerTokens) / n,
                            meanFlops: flops / n, cutFraction: Double(cutSamples) / Double(max(samples, 1)), solved: solved)
        cell.problems = problems
        cell.thinkingPerProblem = thinkingPerProblem
        if selfCorrection.samples > 0 { cell.selfCorrection = selfCorrection }
        if failureCount > 0 {
            cell.verifierFailureCount = failureCount
            cell.verifierFailures = failures
        }
        return cell
    }
}
