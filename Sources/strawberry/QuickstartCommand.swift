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
        abstract: "Countdown worked solutions → SFT of a 1M-parameter model → evaluation → RL → evaluation, with a report.",
        discussion: """
        About 12 minutes on 2 cores. Writes sft.jsonl, sft/ and rl/ runs (checkpoints, metrics.jsonl), \
        eval-sft.json, eval-rl.json and report.html to --out, and prints accuracy against thinking budget \
        before and after RL. `strawberry train` runs the same pipeline with every size exposed.
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
        pipeline.rl.steps = 30
        pipeline.rl.learningRate = 5e-5
        pipeline.rl.seed = seed
        pipeline.rl.budget = Budget(maxThinking: 200, maxAnswer: Budget.trainingAnswerTokens)
        try runPipeline(pipeline)
    }
}

/// Runs a pipeline with progress on standard error and prints the before/after table.
func runPipeline(_ pipeline: TrainingPipeline) throws {
    let start = Date()
    let (before, after) = try pipeline.run(log: log(on: pipeline.communicator))
    guard pipeline.communicator.isPrimary else { return }
    print("strategy        budget  after SFT" + (after == nil ? "" : "  after RL"))
    for (i, b) in before.cells.enumerated() {
        let rl = after.map { String(format: "  %8.3f", $0.cells[i].accuracy) } ?? ""
        print(b.strategy.padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: " %6d  %9.3f", b.budget, b.accuracy) + rl)
    }
    let report = after == nil ? "\(pipeline.out)/eval-sft.json" : "\(pipeline.out)/report.html"
    print("report: \(report) (\(DurationText.of(Date().timeIntervalSince(start))) in all)")
}
