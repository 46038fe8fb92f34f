import ArgumentParser
import Foundation
import Model
import Reasoning
import Tasks
import Training

/// `strawberry quickstart`: the whole pipeline at a small size.
struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Countdown worked solutions → SFT of a 1M-parameter model → evaluation → RL → evaluation, against a compute-matched SFT control, with a report.",
        discussion: """
        About 10 minutes on 2 cores. SFT (1,200 steps, half of the thinking cut at random so that a budget's \
        cut is familiar), then one round of expert iteration at a 128-token thinking budget (8 samples for \
        each of 1,200 training problems, the shortest verified one kept, 150 SFT steps on them), and as its \
        control the SFT model given the same 150 steps on the worked solutions. Each is evaluated greedily on \
        the same 500 test problems; the table pairs RL with the control problem by problem (McNemar) and says \
        whether RL helped at this size. Writes sft.jsonl, sft/, rl/ and control/ runs, eval-sft.json, \
        eval-rl.json, eval-control.json and report.html to --out. `strawberry train` runs the same pipeline \
        with every size exposed.
        """
    )

    @Option(help: "Output folder.")
    var out = "runs/quickstart"

    @Option(help: "Seed for data, initialisation and sampling.")
    var seed: UInt64 = 1

    func run() throws {
        var pipeline = TrainingPipeline(task: Countdown(), difficulty: 3, preset: "micro", out: out)
        pipeline.seed = seed
        pipeline.sft.steps = 1200
        pipeline.sft.batchSize = 16
        pipeline.sft.learningRate = 2e-3
        pipeline.sft.seed = seed
        pipeline.sft.checkpointEvery = 400
        pipeline.sft.cutThinking = 0.5
        pipeline.rlMethod = .expertIteration
        pipeline.expertIteration.problems = 1200
        pipeline.expertIteration.samples = 8
        pipeline.expertIteration.temperature = 1
        pipeline.expertIteration.budget = Budget(maxThinking: 128, maxAnswer: Budget.trainingAnswerTokens)
        pipeline.expertIteration.steps = 150
        pipeline.expertIteration.cutThinking = 0.5
        pipeline.expertIteration.seed = seed
        pipeline.controlSteps = 150
        pipeline.evalProblems = 500
        pipeline.strategies = ["single"]
        try runPipeline(pipeline)
    }
}

/// Runs a pipeline with progress on standard error and prints the table: accuracy after SFT, after
/// RL and of the SFT control when there is one, and per cell RL against its baseline (the control,
/// or else the SFT model), paired problem by problem, with a verdict at the budget RL trained at.
func runPipeline(_ pipeline: TrainingPipeline) throws {
    let start = Date()
    let (before, after, control) = try pipeline.run(log: log(on: pipeline.communicator))
    guard pipeline.communicator.isPrimary else { return }
    let baselineName = control == nil ? "SFT" : "control"
    var header = "strategy        budget  after SFT"
    if after != nil { header += "  after RL" }
    if control != nil { header += "  SFT control" }
    if after != nil { header += "  RL − \(baselineName) (only RL/only \(baselineName), McNemar p)" }
    print(header)
    let paired = after.map { PairedComparison.cells($0, control ?? before) } ?? []
    for (i, b) in before.cells.enumerated() {
        var row = b.strategy.padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: " %6d  %9.3f", b.budget, b.accuracy)
        if let after { row += String(format: "  %8.3f", after.cells[i].accuracy) }
        if let control { row += String(format: "  %11.3f", control.cells[i].accuracy) }
        if let p = paired.first(where: { $0.strategy == b.strategy && $0.budget == b.budget }) {
            row += String(format: "  %+5.1f (%d/%d, p %.3f)", 100 * p.difference, p.onlyFirst, p.onlySecond, p.pValue)
        }
        print(row)
    }
    if let verdict = paired.first(where: { $0.strategy == "single" && $0.budget == pipeline.rlBudget }) {
        let outcome = verdict.pValue >= 0.05 ? "no significant difference at this size"
            : verdict.difference > 0 ? "RL helped at this size" : "RL did worse at this size"
        print(String(format: "greedy at the RL budget %d: RL − %@ %+.1f points on %d test problems (McNemar p %.3f): %@",
                     pipeline.rlBudget, baselineName, 100 * verdict.difference, before.settings.problems, verdict.pValue, outcome))
    }
    let report = after == nil ? "\(pipeline.out)/eval-sft.json" : "\(pipeline.out)/report.html"
    print("report: \(report) (\(DurationText.of(Date().timeIntervalSince(start))) in all)")
}
