import ArgumentParser
import Foundation
import Model
import Reasoning
import Tasks
import Training

/// `strawberry quickstart`: the pipeline at a small size — worked solutions, SFT, evaluation.
struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Generate Countdown worked solutions, train a small model on them, and evaluate its thinking at several budgets.",
        discussion: """
        About 10 minutes on 2 cores. Writes sft.jsonl, the run (checkpoints, metrics.jsonl), eval.json and
        report.html to --out, and prints accuracy against thinking budget. RL is not part of it yet.
        """
    )

    @Option(help: "Output folder.")
    var out = "runs/quickstart"

    @Option(help: "SFT steps (batch 16); 1200 take about 7 minutes here.")
    var steps = 1200

    @Option(help: "Training examples.")
    var examples = 20_000

    @Option(name: .customLong("eval-problems"), help: "Test problems for the evaluation.")
    var evalProblems = 100

    @Option(help: "Seed for data, initialisation and sampling.")
    var seed: UInt64 = 1

    func run() throws {
        guard steps > 0, examples > 0, evalProblems > 0 else { throw ValidationError("sizes must be positive") }
        if FileManager.default.fileExists(atPath: out + "/latest") {
            throw ValidationError("'\(out)' already holds a run; remove it or pass another --out")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let start = Date()
        let task = Countdown(), difficulty = 3, maxThinking = 170
        let config = try ModelConfig.preset("micro")

        log("1/3 data: \(examples) Countdown problems (3 numbers) with depth-first-search traces of at most \(maxThinking) tokens")
        let (worked, skipped) = WorkedExamples.make(task: task, difficulty: difficulty, split: .train, count: examples,
                                                    style: .human, maxThinkingCharacters: maxThinking, seed: seed)
        var lines = Data()
        for e in worked { lines += try DataCommand.jsonLine(prompt: e.problem.prompt, completion: e.completion) }
        try AtomicFile.write(lines, to: out + "/sft.jsonl")
        log("    \(worked.count) examples, \(skipped) longer problems left out → \(out)/sft.jsonl")

        log("2/3 SFT: micro model (\(config.parameterCount.formatted()) parameters), \(steps) steps of 16 sequences")
        let dataset = SFTDataset(examples: worked.map {
            SFTDataset.example(prompt: $0.problem.prompt, completion: $0.completion, maxTokens: config.contextLength + 1).0
        })
        var options = SFTOptions()
        options.steps = steps
        options.batchSize = 16
        options.learningRate = 2e-3
        options.warmupSteps = min(50, steps)
        options.seed = seed
        options.checkpointEvery = max(200, steps / 4)
        let trainer = SFTTrainer(model: try Transformer(config: config, seed: seed), dataset: dataset, options: options,
                                 runDirectory: out)
        try trainer.run { p in
            if p.step % 100 == 0 || p.step == p.totalSteps {
                log(String(format: "    step %d/%d  loss %.4f  %.0f tok/s  ETA %@", p.step, p.totalSteps, p.loss,
                           p.tokensPerSecond, duration(p.etaSeconds)))
            }
        }

        log("3/3 eval: \(evalProblems) test problems, greedy and best-of-4 at thinking budgets 0-200")
        var settings = EvalSettings(difficulty: difficulty, problems: evalProblems, budgets: [0, 32, 64, 128, 200],
                                    strategies: ["single", "best-of-n:4"])
        settings.maxAnswer = 24
        settings.seed = seed
        let report = try Evaluator.run(model: trainer.model, modelName: out, task: task, settings: settings,
                                       progress: { log("    " + $0) })
        try writeEval(report, to: out)
        print("report: \(out)/report.html (\(duration(Date().timeIntervalSince(start))) in all)")
    }
}
