import ArgumentParser
import Cluster
import Foundation
import Model
import Reasoning
import Reports
import Tasks
import Training

/// `strawberry eval`: accuracy of a model on test problems across thinking budgets and strategies.
struct EvalCommand: ParsableCommand, RunsAcrossRanks {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure accuracy against thinking budget, samples and compute; write eval.json and report.html.",
        discussion: """
        Example: strawberry eval --model runs/first --task countdown --difficulty 3 --n 200 --budgets 0,32,128 --strategies single,vote:8,best-of-n:8

        Under MPI (a build with `--traits MPI`), `mpirun -np 2 strawberry eval …` gives each rank its \
        share of the problems and writes, from rank 0, the same report as one process.
        """
    )

    @Option(help: "Run folder or checkpoint directory.")
    var model: String

    @OptionGroup var taskOptions: TaskOptions

    @Option(help: "Number of test problems.")
    var n = 100

    @Option(help: "Comma-separated thinking budgets in tokens.")
    var budgets = BudgetList([0, 16, 32, 64, 128, 256])

    @Option(help: "Comma-separated strategies: single, vote:N, best-of-n:N, revise:K.")
    var strategies = StrategyList(["single"])

    @Option(help: "Most answer tokens.")
    var maxAnswer = 48

    @Option(help: "Seed for problems and sampling.")
    var seed: UInt64 = 0

    @Option(help: "Seed that picks the test problems instead (default: --seed); fix it so every model and seed of a comparison meets the same problems.")
    var problemSeed: UInt64?

    @Flag(help: "The model answers directly (answer-only training).")
    var noThinking = false

    @Flag(help: "Let the model call the task's tool inside its thinking.")
    var tool = false

    @Option(help: "For a model that reads its thinking budget (sft --budget-tags): show it this budget line in every cell instead of each budget's own, to test what it makes of the line.")
    var budgetTag: Int?

    @Option(help: "Where to write eval.json and report.html (default: the run folder).")
    var out: String?

    func validate() throws {
        guard n > 0, maxAnswer > 0 else { throw ValidationError("--n and --max-answer must be positive") }
        guard (budgetTag ?? 0) >= 0 else { throw ValidationError("--budget-tag must be a non-negative token count") }
    }

    func run() throws {
        let (t, difficulty) = try taskOptions.resolve()
        let loaded = try Checkpoint.loadModel(model)
        var settings = EvalSettings(difficulty: difficulty, problems: n, budgets: budgets.values, strategies: strategies.names)
        settings.maxAnswer = maxAnswer
        settings.seed = seed
        settings.problemSeed = problemSeed
        settings.thinks = !noThinking
        settings.useTool = tool
        if let budgetTag {
            guard !loaded.config.budgetLevels.isEmpty else {
                throw ValidationError("--budget-tag: '\(model)' was not trained to read a budget (train it with sft --budget-tags)")
            }
            settings.budgetTag = budgetTag
        }
        let folder = out ?? (FileManager.default.fileExists(atPath: model + "/latest") ? model : ".")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A long evaluation rewrites eval.json after every chunk of problems, so nothing done is lost.
        let communicator = try Cluster.join()
        try RankAgreement.require(communicator, arguments: CommandLine.arguments, model: loaded)
        let primary = communicator.isPrimary
        let report = try Evaluator.run(model: loaded, modelName: model, task: t, settings: settings, communicator: communicator,
                                       progress: log(on: communicator),
                                       partial: { if primary { try? $0.write(to: folder + "/eval.json") } })
        guard primary else { return }
        try writeEval(report, to: folder)
        print("wrote \(folder)/eval.json and \(folder)/report.html")
    }
}

/// Writes `eval.json` and `report.html` into `folder` and prints the result table.
func writeEval(_ report: EvalReport, to folder: String) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try report.write(to: folder + "/eval.json")
    try AtomicFile.write(Data(EvalReportPage.html(report).utf8), to: folder + "/report.html")
    print("strategy        budget  accuracy  answered  thinking/problem")
    for c in report.cells {
        print(c.strategy.padding(toLength: 15, withPad: " ", startingAt: 0)
              + String(format: " %6d  %8.3f  %8.2f  %8.1f", c.budget, c.accuracy, c.answered, c.meanThinkingTokens))
    }
}
