import Cluster
import Foundation
import Kernels
import Model
import Reasoning
import Reports
import Tasks

/// The o1 recipe end to end at a small size: worked solutions → SFT → evaluation → RL (GRPO or
/// expert iteration) → evaluation → `report.html`. Used by `strawberry train` and `strawberry quickstart`.
public struct TrainingPipeline: Sendable {
    /// How the RL stage improves the SFT model.
    public enum RLMethod: String, Sendable, CaseIterable {
        case grpo
        case expertIteration = "expert-iteration"
    }
    public var task: any ReasoningTask
    public var difficulty: Int
    public var preset: String
    /// The model's context in tokens; nil keeps the preset's.
    public var contextLength: Int?
    public var examples = 20_000
    /// Thinking budgets the model is trained to read in its prompt (`BudgetTag`); empty for none.
    public var budgetLevels: [Int] = []
    public var maxThinking = 170
    public var style = TraceStyle.human
    /// The style of the solutions that budget levels below `sft.briefBelow` show.
    public var briefStyle = TraceStyle.brief
    public var sft = SFTOptions()
    /// Steps of a second SFT stage (0: none). With it, `sft`'s steps learn whole searches (nothing
    /// cut) and this stage then cuts `sft.cutThinking` of the thinking, at `cutStageLearningRate`
    /// with a fresh optimizer, into `sft-cut/`: the start that RL and the control take (as the
    /// experiments' scripts built the start of the +6.1 in docs/EXPERIMENTS.md).
    public var cutStageSteps = 0
    /// The peak learning rate of the `cutStageSteps` stage.
    public var cutStageLearningRate: Float = 5e-4
    public var rlMethod = RLMethod.grpo
    /// The GRPO stage (its `steps` 0: no RL).
    public var rl = GRPOOptions()
    /// The expert-iteration stage, used when `rlMethod` is `.expertIteration` (its `rounds` 0: no RL).
    public var expertIteration = ExpertIteration()
    /// SFT steps a copy of the SFT model gets on the worked solutions instead of RL (thinking cut as
    /// in SFT, at the expert-iteration learning rate): the compute-matched control RL is measured
    /// against, written to `control/` and `eval-control.json`. 0: no control.
    public var controlSteps = 0
    public var evalProblems = 100
    public var budgets = [0, 32, 64, 128, 200]
    public var strategies = ["single", "best-of-n:4"]
    public var seed: UInt64 = 1
    /// The seed that picks the test problems when it differs from `seed` (nil: `seed`).
    public var problemSeed: UInt64?
    public var out: String
    /// The job's ranks, which share every stage's work; rank 0 writes the files.
    public var communicator: any Communicator = SingleProcess()

    public init(task: any ReasoningTask, difficulty: Int, preset: String, out: String) {
        self.task = task
        self.difficulty = difficulty
        self.preset = preset
        self.out = out
    }

    /// The thinking budget the RL stage samples at.
    public var rlBudget: Int { rlMethod == .grpo ? rl.budget.maxThinking : expertIteration.budget.maxThinking }

    /// Runs every stage, writing `sft.jsonl`, `sft/`, `rl/`, `eval-sft.json`, `eval-rl.json` and
    /// `report.html` into `out` (and `sft-cut/` with `cutStageSteps`, `control/` and
    /// `eval-control.json` with `controlSteps`); `log`
    /// receives progress lines. Returns the evaluations.
    public func run(log: @escaping (String) -> Void) throws -> (sft: EvalReport, rl: EvalReport?, control: EvalReport?) {
        let fm = FileManager.default
        let primary = communicator.isPrimary
        if primary, fm.fileExists(atPath: out + "/sft/latest") || fm.fileExists(atPath: out + "/rl/latest") {
            throw TrainingError.run("'\(out)' already holds a run; remove it or choose another output folder")
        }
        if rlMethod == .expertIteration && expertIteration.rounds > 0 && style == .tool {
            throw TrainingError.run("expert iteration does not run with tool-assisted thinking yet; use GRPO or human traces")
        }
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        var config = try ModelConfig.preset(preset, contextLength: contextLength)
        config.budgetLevels = budgetLevels

        log("1/4 data: \(examples) \(task.name) problems (difficulty \(difficulty)), \(style.rawValue) worked solutions of at most \(maxThinking) thinking tokens")
        let (worked, skipped) = WorkedExamples.make(task: task, difficulty: difficulty, split: .train, count: examples,
                                                    style: style, maxThinkingTokens: maxThinking, seed: seed,
                                                    briefStyle: sft.briefBelow > 0 ? briefStyle : nil)
        guard !worked.isEmpty else { throw TrainingError.data("no \(task.name) problem fits \(maxThinking) thinking tokens") }
        if primary { try AtomicFile.write(try WorkedExamples.jsonLines(worked), to: out + "/sft.jsonl") }
        log("    \(worked.count) examples\(sft.briefBelow > 0 ? " (with \(briefStyle.rawValue) forms for levels below \(sft.briefBelow))" : ""), \(skipped) longer problems left out")

        log("2/4 SFT: \(preset) model (\(config.parameterCount.formatted()) parameters, context \(config.contextLength)), \(sft.steps) steps of \(sft.batchSize)\(cutStageSteps > 0 ? " on whole searches" : "")")
        let dataset = SFTDataset(worked: worked, maxTokens: config.contextLength + 1, vocabulary: .strawberry,
                                 budgetLevels: budgetLevels, briefBelow: sft.briefBelow)
        var wholeSearches = sft
        if cutStageSteps > 0 { wholeSearches.cutThinking = 0 }
        var trainer = SFTTrainer(model: try Transformer(config: config, seed: seed), dataset: dataset, options: wholeSearches,
                                 runDirectory: out + "/sft", communicator: communicator)
        try trainer.run { p in if p.isDue(every: 100) { log("    " + p.line()) } }
        var startName = out + "/sft"
        if cutStageSteps > 0 {
            log("    then \(cutStageSteps) steps with \(Int((sft.cutThinking * 100).rounded()))% of the thinking cut, at learning rate \(cutStageLearningRate)")
            var cut = sft
            (cut.steps, cut.learningRate, cut.seed) = (cutStageSteps, cutStageLearningRate, seed &+ 200)
            cut.warmupSteps = min(sft.warmupSteps, cutStageSteps)
            cut.checkpointEvery = max(100, cutStageSteps / 4)
            startName = out + "/sft-cut"
            trainer = SFTTrainer(model: trainer.model, dataset: dataset, options: cut, runDirectory: startName, communicator: communicator)
            try trainer.run { p in if p.isDue(every: 100) { log("    " + p.line()) } }
        }

        var settings = EvalSettings(difficulty: difficulty, problems: evalProblems, budgets: budgets, strategies: strategies)
        settings.maxAnswer = rl.budget.maxAnswer
        settings.seed = seed
        settings.problemSeed = problemSeed
        settings.thinks = style != .none
        settings.useTool = style == .tool
        log("3/4 eval after SFT: \(evalProblems) test problems, budgets \(budgets.map(String.init).joined(separator: ","))")
        let before = try Evaluator.run(model: trainer.model, modelName: startName, task: task, settings: settings,
                                       communicator: communicator, progress: { log("    " + $0) })
        if primary { try before.write(to: out + "/eval-sft.json") }
        // RL changes the model in place; the control starts from a copy of the SFT weights.
        let sftWeights = controlSteps > 0 ? FloatBuffer(count: trainer.model.parameters.count) : nil
        sftWeights?.copy(from: trainer.model.parameters)
        let rlModel: Transformer
        switch rlMethod {
        case .grpo:
            guard rl.steps > 0 else { return (before, nil, nil) }
            log("4/4 RL: \(rl.steps) steps of \(rl.problemsPerStep) problems × \(rl.groupSize) samples, then eval")
            var rlOptions = rl
            rlOptions.difficulty = difficulty
            rlOptions.useTool = style == .tool
            let rlTrainer = try GRPOTrainer(model: trainer.model, task: task, options: rlOptions, runDirectory: out + "/rl",
                                            communicator: communicator)
            try rlTrainer.run { s in
                log(String(format: "    step %d/%d  reward %.3f  acc %.3f  think %.0f  reflect %.2f", s.step, rlOptions.steps,
                           s.reward, s.accuracy, s.thinkingTokens, s.reflectionRate))
            }
            rlModel = rlTrainer.model
        case .expertIteration:
            let ei = expertIteration
            guard ei.rounds > 0 else { return (before, nil, nil) }
            let filter = ei.partlySolvedOnly ? " on the problems not every sample solved" : ""
            let mix = ei.mixWithWorked ? " mixed 1:1 with worked solutions" : ""
            log("4/4 RL by expert iteration: \(ei.rounds) round(s) of \(ei.problems) problems × \(ei.samples) samples at budget \(ei.budget.maxThinking), \(ei.steps) SFT steps each\(filter)\(mix), then eval")
            try ei.run(model: trainer.model, task: task, difficulty: difficulty, worked: worked, runDirectory: out + "/rl",
                       communicator: communicator, log: log)
            rlModel = trainer.model
        }
        let after = try Evaluator.run(model: rlModel, modelName: out + "/rl", task: task, settings: settings,
                                      communicator: communicator, progress: { log("    " + $0) })
        if primary { try after.write(to: out + "/eval-rl.json") }
        var control: EvalReport?
        if let sftWeights {
            log("control: the SFT model given \(controlSteps) more SFT steps on the worked solutions instead of RL, then eval")
            var options = sft
            options.steps = controlSteps
            options.learningRate = expertIteration.learningRate
            options.seed = seed &+ 300
            options.checkpointEvery = controlSteps
            let controlTrainer = SFTTrainer(model: try Transformer(config: trainer.model.config, parameters: sftWeights,
                                                                   vocabulary: trainer.model.vocabulary),
                                            dataset: dataset, options: options, runDirectory: out + "/control", communicator: communicator)
            try controlTrainer.run { p in if p.isDue(every: 100) { log("    " + p.line()) } }
            control = try Evaluator.run(model: controlTrainer.model, modelName: out + "/control", task: task, settings: settings,
                                        communicator: communicator, progress: { log("    " + $0) })
            if primary, let control { try control.write(to: out + "/eval-control.json") }
        }
        guard primary else { return (before, after, control) }
        let page = PipelineReportPage.html(title: "Strawberry: \(task.name) difficulty \(difficulty), \(preset)",
                                           rl: PipelineReportPage.readMetrics(out + "/rl/metrics.jsonl"),
                                           stepName: rlMethod == .grpo ? "RL step" : "expert-iteration round", before: before, after: after,
                                           control: control)
        try AtomicFile.write(Data(page.utf8), to: out + "/report.html")
        return (before, after, control)
    }
}
