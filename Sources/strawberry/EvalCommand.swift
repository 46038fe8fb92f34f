import ArgumentParser
import Foundation
import Model
import Reasoning
import Tasks

/// `strawberry eval`: accuracy of a model on test problems across thinking budgets and strategies.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure accuracy against thinking budget, samples and compute; write eval.json and report.html.",
        discussion: "Example: strawberry eval --model runs/first --task countdown --difficulty 3 --n 200 --budgets 0,32,128 --strategies single,vote:8,best-of-n:8"
    )

    @Option(help: "Run folder or checkpoint directory.")
    var model: String

    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")), or file:PATH for your own JSONL.")
    var task = "countdown"

    @Option(help: "For file:PATH tasks: a shell command that reads {prompt, answer, tests, completion} JSON and prints {\"reward\": 0…1}; it runs sandboxed.")
    var verifier: String?

    @Option(help: "Difficulty of the test problems.")
    var difficulty = 3

    @Option(help: "Number of test problems.")
    var n = 100

    @Option(help: "Comma-separated thinking budgets in tokens.")
    var budgets = "0,16,32,64,128,256"

    @Option(help: "Comma-separated strategies: single, vote:N, best-of-n:N, revise:K.")
    var strategies = "single"

    @Option(name: .customLong("max-answer"), help: "Most answer tokens.")
    var maxAnswer = 48

    @Option(help: "Seed for problems and sampling.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("no-thinking"), help: "The model answers directly (answer-only training).")
    var noThinking = false

    @Flag(help: "Let the model call the task's tool inside its thinking.")
    var tool = false

    @Option(help: "Where to write eval.json and report.html (default: the run folder).")
    var out: String?

    func run() throws {
        let (t, difficulty) = try resolveTask(task, difficulty: difficulty, verifier: verifier)
        let budgetList = try parseBudgets(budgets)
        let strategyList = strategies.split(separator: ",").map(String.init)
        for s in strategyList { _ = try StrategyParser.parse(s) }
        guard n > 0 else { throw ValidationError("--n must be positive") }
        let loaded = try Checkpoint.loadModel(model)
        var settings = EvalSettings(difficulty: difficulty, problems: n, budgets: budgetList, strategies: strategyList)
        settings.maxAnswer = maxAnswer
        settings.seed = seed
        settings.thinks = !noThinking
        settings.useTool = tool
        let folder = out ?? (FileManager.default.fileExists(atPath: model + "/latest") ? model : ".")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A long evaluation rewrites eval.json after every chunk of problems, so nothing done is lost.
        let report = try Evaluator.run(model: loaded, modelName: model, task: t, settings: settings, progress: log,
                                       partial: { try? $0.write(to: folder + "/eval.json") })
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
