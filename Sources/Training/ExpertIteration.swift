import Cluster
import Foundation
import Kernels
import Model
import Reasoning
import Tasks

/// Expert iteration, RL from verifiable rewards by rejection sampling: each round the model samples
/// its own thinking for training problems, the verifier keeps the shortest correct completion of
/// each problem (a budget-cut one marked, so its forced `</think>` is not learned), and the model is
/// fine-tuned on what was kept. At a tight budget it learns to answer well where the budget cuts
/// its search, which GRPO at this scale did not (README, "Expert iteration at the tight budget").
public struct ExpertIteration: Sendable {
    public var rounds = 1
    /// Training problems the model attempts each round (the same problems every round).
    public var problems = 3000
    /// Samples per problem.
    public var samples = 8
    public var temperature: Float = 1
    /// The thinking budget of the samples: the budget the model should get better at.
    public var budget = Budget(maxThinking: 128, maxAnswer: Budget.trainingAnswerTokens)
    /// SFT steps and peak learning rate of each round's fine-tuning.
    public var steps = 300
    public var learningRate: Float = 3e-4
    public var seed: UInt64 = 1
    /// Keep only samples whose thinking is free of slips, false claims and missed solutions.
    public var cleanThinking = false
    /// Share of the kept samples whose thinking the fine-tuning cuts at a uniform point
    /// (`SFTOptions.cutThinking`), so answering after a short cut stays in practice.
    public var cutThinking: Float = 0
    /// Fine-tune only on the problems that some but not every sample solved, as ReST-EM keeps the
    /// problems solved 1 to 7 times out of 8: one every sample solves the model already does, and its
    /// shortest correct sample is mostly the written search again.
    public var partlySolvedOnly = false
    /// Mix the samples a round fine-tunes on 1:1 with worked solutions the model started from (drawn
    /// without replacement each round), as ReST-EM and RAFT mix: what the samples do not show (the
    /// whole search, the other budget lines) stays in practice.
    public var mixWithWorked = false

    public init() {}

    /// What one round fine-tunes on: the kept samples (with `partlySolvedOnly`, those of problems
    /// fewer than all `samples` solved) and, with `mixWithWorked`, as many of `worked` as there are
    /// of them (all of `worked` if it has fewer), drawn from the seed and the round.
    public func training(_ kept: [WorkedExamples.Example], worked: [WorkedExamples.Example], round: Int)
        -> (samples: [WorkedExamples.Example], mixedIn: [WorkedExamples.Example]) {
        let chosen = partlySolvedOnly ? kept.filter { ($0.solvedSamples ?? 0) < samples } : kept
        guard mixWithWorked, !chosen.isEmpty else { return (chosen, []) }
        var rng = SeededRNG(seed: seed ^ 0x3E57_E3 &+ UInt64(round) &* 0x9E37_79B9_7F4A_7C15)
        var order = Array(worked.indices)
        rng.shuffle(&order)
        return (chosen, order.prefix(chosen.count).map { worked[$0] })
    }

    /// What one round's sampling found and how its fine-tuning ended.
    public struct Round: Sendable {
        public let round: Int
        public let harvest: Distillation.Harvest
        /// The kept samples the round fine-tuned on (fewer than kept with `partlySolvedOnly`) and
        /// the worked solutions mixed in with them.
        public let trainedSamples: Int
        public let mixedIn: Int
        /// The last SFT loss, nil when nothing was left to learn and the model was left unchanged.
        public let loss: Double?

        /// The record `metrics.jsonl` gets: per-sample accuracy, the share of problems solved
        /// (pass@k on the training problems), thinking length, budget cuts and reflection.
        var record: [String: MetricsLog.Value] {
            let n = Double(max(harvest.samplesDrawn, 1))
            var r: [String: MetricsLog.Value] = [
                "step": .int(round), "accuracy": .double(Double(harvest.correctSamples) / n),
                "solved": .double(Double(harvest.examples.count) / Double(max(harvest.attempted, 1))),
                "thinking_tokens": .double(Double(harvest.thinkingTokens) / n),
                "cut_fraction": .double(Double(harvest.cutSamples) / n),
                "reflection_rate": .double(Double(harvest.reflectingSamples) / n),
                "kept": .int(harvest.examples.count), "trained_samples": .int(trainedSamples), "mixed_in": .int(mixedIn),
                "kept_cut_fraction": .double(Double(harvest.examples.filter(\.thinkingCut).count) / Double(max(harvest.examples.count, 1))),
                "sampling_s": .double(harvest.seconds),
            ]
            if let loss { r["loss"] = .double(loss) }
            r.merge(harvest.selfCorrection.record) { a, _ in a }
            return r
        }
    }

    /// Runs every round on `model` (trained in place), writing `round-N/` (its `distill.jsonl`, every
    /// kept sample, and SFT run), `metrics.jsonl` (one record per round) and a final checkpoint into
    /// `runDirectory`; 0 rounds only saves the model. `worked` are the solutions `mixWithWorked`
    /// draws from. Under MPI the ranks share the sampling and each round's SFT batches; rank 0 writes.
    @discardableResult
    public func run(model: Transformer, task: any ReasoningTask, difficulty: Int, worked: [WorkedExamples.Example] = [],
                    runDirectory: String, communicator: any Communicator = SingleProcess(),
                    log: (String) -> Void) throws -> [Round] {
        if mixWithWorked && worked.isEmpty {
            throw TrainingError.run("expert iteration mixes its samples with worked solutions, and none were given")
        }
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        let metrics = communicator.isPrimary ? try MetricsLog(path: runDirectory + "/metrics.jsonl") : nil
        var distillation = Distillation(task: task, difficulty: difficulty)
        distillation.problems = problems
        distillation.samples = samples
        distillation.budget = budget
        distillation.temperature = temperature
        distillation.seed = seed
        distillation.cleanThinking = cleanThinking
        var done: [Round] = []
        for round in stride(from: 1, through: rounds, by: 1) {
            let directory = runDirectory + "/round-\(round)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let harvest = try distillation.collect(teacher: model, communicator: communicator, progress: log)
            if communicator.isPrimary {
                try AtomicFile.write(try WorkedExamples.jsonLines(distillation.leveled(harvest.examples, for: model.config)),
                                     to: directory + "/distill.jsonl")
            }
            log(String(format: "    round %d: solved %d of %d problems (%.1f%% of samples correct, %d kept answers cut by the budget), %.0f s",
                       round, harvest.examples.count, harvest.attempted,
                       100 * Double(harvest.correctSamples) / Double(max(harvest.samplesDrawn, 1)),
                       harvest.examples.filter(\.thinkingCut).count, harvest.seconds))
            let (trained, mixedIn) = training(harvest.examples, worked: worked, round: round)
            if partlySolvedOnly {
                log("    round \(round): \(trained.count) problems solved by some but not all \(samples) samples")
            }
            var loss: Double?
            if trained.isEmpty {
                log("    round \(round): nothing to learn, so the model is left as it was")
            } else {
                if mixWithWorked { log("    round \(round): mixed with \(mixedIn.count) worked solutions") }
                let dataset = distillation.dataset(trained, mixedIn: mixedIn, for: model.config, vocabulary: model.vocabulary)
                var options = SFTOptions(steps: steps, learningRate: learningRate, seed: seed &+ UInt64(round - 1))
                options.cutThinking = cutThinking
                options.matmul = model.matmulPrecision
                let trainer = SFTTrainer(model: model, dataset: dataset, options: options,
                                         runDirectory: directory + "/sft", communicator: communicator)
                try trainer.run { p in
                    loss = p.loss
                    if p.isDue(every: 100) { log("    round \(round) " + p.line()) }
                }
            }
            let result = Round(round: round, harvest: harvest, trainedSamples: trained.count, mixedIn: mixedIn.count, loss: loss)
            try metrics?.append(result.record)
            done.append(result)
        }
        if communicator.isPrimary {
            try Checkpoint.saveInRun(runDirectory, step: done.count, model: model, optimizer: nil, state: nil as SFTState?)
        }
        return done
    }
}
