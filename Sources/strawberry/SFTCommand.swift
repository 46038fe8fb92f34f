import ArgumentParser
import Cluster
import Foundation
import Kernels
import Model
import Training

/// `strawberry sft`: supervised fine-tuning on prompt/completion JSONL.
struct SFTCommand: ParsableCommand, RunsAcrossRanks {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Train a model on {\"prompt\", \"completion\"} JSONL lines (loss on the completion only).",
        discussion: """
        Writes checkpoints (safetensors weights, config, optimizer state) and metrics.jsonl to the run \
        folder. --resume continues a killed run from its latest checkpoint exactly as if it had never \
        stopped (same data order, same numbers).

        Data-parallel under MPI (a build with `--traits MPI`): `mpirun -np 2 strawberry sft …` shares \
        every batch of --batch-size sequences among the ranks and sums their gradients, so the run \
        is the one-process run up to rounding; rank 0 prints and writes the run folder, which every \
        rank must be able to read for --resume and --model.
        """
    )

    @Option(help: "JSONL file with one {\"prompt\": …, \"completion\": …} object per line; \"thinking_cut\": true marks a </think> a budget forced (not learned), \"budget_level\": L shows the line under budget line L only (a model that reads its budget), as distill writes.")
    var data: String

    @Option(help: "Model size of a fresh model: tiny, micro, small or base.")
    var preset = "small"

    @Option(help: "Context of a fresh model in tokens (default: the preset's).")
    var context: Int?

    @Option(help: "Start from this model (a run folder, or one made by `strawberry import`) instead of a fresh --preset.")
    var model: String?

    @Option(help: "Run folder for checkpoints and metrics.")
    var out: String

    @Option(help: "Total optimisation steps.")
    var steps = 1000

    @Option(help: "Sequences per step.")
    var batchSize = 16

    @Option(help: "Peak learning rate (after warmup, before cosine decay).")
    var lr: Float = 1e-3

    @Option(help: "Warmup steps.")
    var warmup = 50

    @Option(help: "Seed for initialisation and data order.")
    var seed: UInt64 = 1

    @Option(help: "Save a checkpoint every N steps.")
    var checkpointEvery = 200

    @Option(help: "Print a progress line every N steps.")
    var logEvery = 10

    /// `--cut-thinking`'s help, shared with `train`.
    static let cutThinkingHelp = ArgumentHelp("Share of SFT examples (0-1) whose thinking is cut at a random point and answered at once, as a thinking budget cuts it; teaches the model to answer after a cut.")

    @Option(help: cutThinkingHelp)
    var cutThinking: Float = 0

    @Option(help: BudgetTagList.help)
    var budgetTags: BudgetTagList?

    /// `--budget-top-share`'s help, shared with `train`.
    static let budgetTopShareHelp = ArgumentHelp("For a model that reads its budget: share of SFT examples (0-1) shown the largest budget level, their search whole; the rest draw a level uniformly. Default 0: every level equally often.")

    @Option(help: budgetTopShareHelp)
    var budgetTopShare: Float = 0

    /// `--brief-below`'s help, shared with `train`.
    static let briefBelowHelp = ArgumentHelp("For a model that reads its budget: budget levels below N show the worked solution for small budgets (its style: --brief-traces) instead of the human one cut short. Default 0: the human one at every level.")
    /// `--brief-traces`' help, shared by `data` and `train`.
    static let briefTracesHelp = ArgumentHelp("The style of the solutions for small budget levels: brief (no steps back, no final check) or hurried (the human search, trying first the step nearest the target).")

    /// Refuses a `--brief-traces` other than the default where `option`, which writes or shows
    /// those solutions, is not given: it would change nothing.
    static func validateBriefTraces(_ traces: SmallBudgetTraces, used: Bool, by option: String) throws {
        if traces != .brief, !used { throw ValidationError("--brief-traces \(traces.rawValue) has no effect without \(option)") }
    }

    @Option(help: briefBelowHelp)
    var briefBelow = 0

    @Option(help: MatmulPrecision.help)
    var matmul: MatmulPrecision?

    @Flag(help: "Continue the run in --out from its latest checkpoint.")
    var resume = false

    func validate() throws {
        guard steps > 0, batchSize > 0, checkpointEvery > 0, logEvery > 0, warmup >= 0 else {
            throw ValidationError("--steps, --batch-size, --checkpoint-every and --log-every must be positive")
        }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard (0...1).contains(cutThinking) else { throw ValidationError("--cut-thinking must be between 0 and 1") }
        guard (0...1).contains(budgetTopShare) else { throw ValidationError("--budget-top-share must be between 0 and 1") }
        _ = try ModelConfig.preset(preset, contextLength: context)
        if context != nil, model != nil || resume {
            throw ValidationError("--context sizes a fresh model; it cannot change the context of --model or a resumed run")
        }
        if budgetTags != nil, resume { throw ValidationError("--budget-tags cannot change a resumed run; it keeps its own") }
        guard briefBelow >= 0 else { throw ValidationError("--brief-below must be at least 0") }
        if briefBelow > 0, resume { throw ValidationError("--brief-below cannot change a resumed run; it keeps its own") }
        if matmul != nil, resume { throw ValidationError("--matmul cannot change a resumed run; it keeps its own") }
    }

    func run() throws {
        let communicator = try Cluster.join()
        let say = log(on: communicator)
        // The data is tokenized in the vocabulary of the model that trains on it.
        let start: Transformer?
        let config: ModelConfig, vocabulary: Vocabulary
        var briefBelow = briefBelow
        if resume {
            let latest = try Checkpoint.resolve(out)
            (start, config, vocabulary) = (nil, try Checkpoint.loadConfig(latest), try Checkpoint.loadVocabulary(latest))
            briefBelow = try Checkpoint.loadState(SFTState.self, from: latest).options.briefBelow
        } else if let model {
            var loaded = try Checkpoint.loadModel(model)
            if let budgetTags { loaded = try loaded.readingBudgets(budgetTags.levels) }
            (start, config, vocabulary) = (loaded, loaded.config, loaded.vocabulary)
        } else {
            var fresh = try ModelConfig.preset(preset, contextLength: context)
            fresh.budgetLevels = budgetTags?.levels ?? []
            (start, config, vocabulary) = (nil, fresh, .strawberry)
        }
        if briefBelow > 0, config.budgetLevels.isEmpty {
            throw ValidationError("--brief-below chooses what budget levels show, and this model reads none; add --budget-tags")
        }
        let dataset = try SFTDataset.load(path: data, maxTokens: config.contextLength + 1, vocabulary: vocabulary,
                                          budgetLevels: config.budgetLevels, briefBelow: briefBelow)
        let trainer: SFTTrainer
        if resume {
            trainer = try SFTTrainer.resuming(runDirectory: out, dataset: dataset, steps: steps, communicator: communicator)
            say("resuming '\(out)' at step \(trainer.step) of \(trainer.options.steps)")
        } else {
            if communicator.isPrimary, FileManager.default.fileExists(atPath: out + "/latest") {
                throw ValidationError("'\(out)' already holds a run; pass --resume to continue it or choose another --out")
            }
            var options = SFTOptions()
            options.steps = steps
            options.batchSize = batchSize
            options.learningRate = lr
            options.warmupSteps = min(warmup, steps)
            options.seed = seed
            options.checkpointEvery = checkpointEvery
            options.cutThinking = cutThinking
            options.budgetTopShare = budgetTopShare
            options.briefBelow = briefBelow
            options.matmul = matmul ?? .float32
            let model = try start ?? Transformer(config: config, seed: seed)
            trainer = SFTTrainer(model: model, dataset: dataset, options: options, runDirectory: out, communicator: communicator)
            say("training \(self.model ?? preset) (\(config.parameterCount.formatted()) parameters) on \(dataset.examples.count) examples"
                + (dataset.truncated > 0 ? " (\(dataset.truncated) cut to the \(config.contextLength)-token context)" : "")
                + (config.budgetLevels.isEmpty ? "" : ", shown budgets \(config.budgetLevels.map(String.init).joined(separator: ","))"))
        }
        try RankAgreement.require(communicator, arguments: CommandLine.arguments, dataset: dataset, model: trainer.model)
        if communicator.size > 1 { say("\(communicator.size) ranks × \(Parallel.threadCount) threads, \(trainer.options.batchSize / communicator.size)+ sequences each per step") }
        try trainer.run { p in if p.isDue(every: logEvery) { say(p.line(detailed: true)) } }
        if communicator.isPrimary { log("done: \(try Checkpoint.resolve(out))") }
    }
}
