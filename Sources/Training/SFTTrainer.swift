import Cluster
import Foundation
import Kernels
import Model

/// Settings of a supervised fine-tuning run.
public struct SFTOptions: Codable, Equatable, Sendable {
    public var steps = 1000
    public var batchSize = 16
    public var learningRate: Float = 1e-3
    public var warmupSteps = 50
    public var minLearningRateRatio: Float = 0.1
    public var weightDecay: Float = 0.1
    public var gradientClip: Float = 1.0
    public var seed: UInt64 = 1
    public var checkpointEvery = 200
    public var keepCheckpoints = 2
    /// Share of examples whose thinking is cut at a random point and answered at once.
    public var cutThinking: Float = 0
    /// For a model that reads its budget: share of examples shown the largest level (their
    /// search whole); the rest draw a level uniformly. 0 draws every level uniformly.
    public var budgetTopShare: Float = 0
    /// For a model that reads its budget: levels below this show the brief worked solution
    /// (`SFTDataset`); 0 shows the human one at every level.
    public var briefBelow = 0
    /// The arithmetic of the linear layers' products (`MatmulPrecision`).
    public var matmul = MatmulPrecision.float32
    public init() {}

    /// Reads saved options; a setting absent from a run saved before it existed takes its default.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.update(&steps, forKey: .steps); try c.update(&batchSize, forKey: .batchSize); try c.update(&learningRate, forKey: .learningRate)
        try c.update(&warmupSteps, forKey: .warmupSteps); try c.update(&minLearningRateRatio, forKey: .minLearningRateRatio)
        try c.update(&weightDecay, forKey: .weightDecay); try c.update(&gradientClip, forKey: .gradientClip); try c.update(&seed, forKey: .seed)
        try c.update(&checkpointEvery, forKey: .checkpointEvery); try c.update(&keepCheckpoints, forKey: .keepCheckpoints)
        try c.update(&cutThinking, forKey: .cutThinking); try c.update(&budgetTopShare, forKey: .budgetTopShare)
        try c.update(&briefBelow, forKey: .briefBelow); try c.update(&matmul, forKey: .matmul)
    }

    /// A run of `steps` as `train` and `distill` make it: batches of 16, warmup over the first 50
    /// steps, a checkpoint every quarter of the run (at least every 100 steps).
    public init(steps: Int, learningRate: Float, seed: UInt64) {
        self.steps = steps
        self.learningRate = learningRate
        self.seed = seed
        batchSize = 16
        warmupSteps = min(50, steps)
        checkpointEvery = max(100, steps / 4)
    }

    /// Throws unless every setting is usable (a `state.json` edited by hand may hold any value).
    public func validate() throws(TrainingError) {
        guard steps >= 0, batchSize > 0, warmupSteps >= 0, checkpointEvery > 0, keepCheckpoints > 0,
              learningRate.isFinite, learningRate > 0, minLearningRateRatio.isFinite, weightDecay.isFinite, gradientClip.isFinite,
              (0...1).contains(cutThinking), (0...1).contains(budgetTopShare), briefBelow >= 0 else {
            throw .run("SFT options out of range: steps \(steps), batch \(batchSize), warmup \(warmupSteps), checkpoint every \(checkpointEvery), "
                       + "keep \(keepCheckpoints), lr \(learningRate), cut thinking \(cutThinking), budget top share \(budgetTopShare), brief below \(briefBelow)")
        }
    }
}

/// What a training checkpoint records beside the weights so that a resumed run continues exactly.
/// The data order is a pure function of the seed and the step, so no cursor is needed.
public struct SFTState: Codable, Equatable, Sendable {
    public var step: Int
    public var options: SFTOptions
    public var dataExamples: Int
}

/// One line of training progress.
public struct SFTProgress: Sendable {
    public let step: Int
    public let totalSteps: Int
    public let loss: Double
    public let learningRate: Float
    public let gradientNorm: Float
    public let tokensPerSecond: Double
    public let elapsedSeconds: Double

    public var etaSeconds: Double {
        step > 0 ? elapsedSeconds / Double(step) * Double(totalSteps - step) : 0
    }

    /// Whether a run that reports every `steps` steps reports this one (the last always).
    public func isDue(every steps: Int) -> Bool { step % steps == 0 || step == totalSteps }

    /// `step 100/1200  loss 0.0709  5411 tok/s`; `detailed` adds the learning rate, gradient norm and ETA.
    public func line(detailed: Bool = false) -> String {
        detailed
            ? String(format: "step %d/%d  loss %.4f  lr %.2e  grad %.2f  %.0f tok/s  ETA %@", step, totalSteps, loss,
                     learningRate, gradientNorm, tokensPerSecond, DurationText.of(etaSeconds))
            : String(format: "step %d/%d  loss %.4f  %.0f tok/s", step, totalSteps, loss, tokensPerSecond)
    }
}

/// Trains a model on SFT examples with AdamW, clipping and a warmup-cosine schedule, writing
/// `metrics.jsonl` and periodic checkpoints to its run folder.
///
/// Under MPI every rank holds the whole model and takes its share of each batch; the gradients
/// are summed over the ranks (in rank order, the same bits everywhere) before clipping, so every
/// rank takes the same AdamW step. Rank 0 alone writes metrics and checkpoints.
public final class SFTTrainer {
    public let model: Transformer
    public let communicator: any Communicator
    public let optimizer: AdamW
    public let dataset: SFTDataset
    public let options: SFTOptions
    public let runDirectory: String
    public private(set) var step = 0
    private let schedule: LearningRateSchedule
    /// Steps run by this process (not counting resumed ones), for throughput.
    private var sessionStart = Date()
    private var sessionSteps = 0
    private var sessionTokens = 0

    public init(model: Transformer, dataset: SFTDataset, options: SFTOptions, runDirectory: String,
                communicator: any Communicator = SingleProcess()) {
        self.model = model
        model.matmulPrecision = options.matmul
        self.communicator = communicator
        self.dataset = dataset
        self.options = options
        self.runDirectory = runDirectory
        var adam = AdamW.Settings()
        adam.weightDecay = options.weightDecay
        optimizer = AdamW(layout: model.layout, settings: adam)
        schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps,
                                        totalSteps: options.steps, minRatio: options.minLearningRateRatio)
    }

    /// Continues from the run folder's latest checkpoint: weights, Adam moments and step.
    public static func resuming(runDirectory: String, dataset: SFTDataset, steps: Int?,
                                communicator: any Communicator = SingleProcess()) throws(TrainingError) -> SFTTrainer {
        try TrainingError.wrapping {
            let directory = try Checkpoint.resolve(runDirectory)
            let model = try Checkpoint.loadModel(directory)
            let state = try Checkpoint.loadState(SFTState.self, from: directory)
            try state.options.validate()
            try TrainingError.requireResumable(step: state.step, totalSteps: state.options.steps, checkpoint: directory)
            guard state.dataExamples == dataset.examples.count else {
                throw TrainingError.run("cannot resume '\(runDirectory)': it was trained on \(state.dataExamples) examples, this data has \(dataset.examples.count)")
            }
            var options = state.options
            if let steps { options.steps = steps }
            let trainer = SFTTrainer(model: model, dataset: dataset, options: options, runDirectory: runDirectory,
                                     communicator: communicator)
            try Checkpoint.loadOptimizer(directory, into: trainer.optimizer)
            trainer.step = state.step
            if communicator.isPrimary { try MetricsLog.truncate(path: runDirectory + "/metrics.jsonl", afterStep: state.step) }
            return trainer
        }
    }

    /// One optimisation step on the next batch; returns its progress record.
    @discardableResult
    public func trainStep() throws(TrainingError) -> SFTProgress {
        let batch = dataset.batch(step: step, size: options.batchSize, seed: options.seed, cutThinking: options.cutThinking,
                                  budgetTopShare: options.budgetTopShare, share: communicator.share(of: options.batchSize))
        Profile.measure(.optimizer) { model.gradients.zero() }
        let result: BatchResult
        do { result = try model.forwardBackward(batch) } catch { throw .model(error) }
        let (loss, tokens) = try sumOverRanks(loss: result.loss, tokens: batch.realTokens)
        let norm = Profile.measure(.optimizer) { GradientClipping.clip(model.gradients, maxNorm: options.gradientClip) }
        let lr = schedule.rate(at: step)
        try TrainingError.requireFinite(loss: loss, gradientNorm: norm, step: step + 1, runDirectory: runDirectory, learningRate: lr)
        Profile.measure(.optimizer) { optimizer.update(parameters: model.parameters, gradients: model.gradients, lr: lr) }
        step += 1
        sessionSteps += 1
        sessionTokens += tokens
        let elapsed = Date().timeIntervalSince(sessionStart)
        return SFTProgress(step: step, totalSteps: options.steps, loss: loss, learningRate: lr, gradientNorm: norm,
                           tokensPerSecond: Double(sessionTokens) / max(elapsed, 1e-9), elapsedSeconds: elapsed)
    }

    /// Sums the gradients, the loss and the token count of this rank's share over the ranks.
    private func sumOverRanks(loss: Double, tokens: Int) throws(TrainingError) -> (Double, Int) {
        guard communicator.size > 1 else { return (loss, tokens) }
        return try Profile.measure(.communication) { () throws(TrainingError) in
            do throws(ClusterError) {
                try communicator.sum(model.gradients.buffer)
                let totals = try communicator.allGather([loss, Double(tokens)])
                return (totals.reduce(0) { $0 + $1[0] }, Int(totals.reduce(0) { $0 + $1[1] }))
            } catch { throw .cluster(error) }
        }
    }

    /// Trains until `options.steps`, checkpointing every `checkpointEvery` steps and at the end
    /// (rank 0 alone writes).
    public func run(progress: (SFTProgress) -> Void = { _ in }) throws(TrainingError) {
        guard options.batchSize >= communicator.size else {
            throw .run("a batch of \(options.batchSize) sequences cannot be shared by \(communicator.size) ranks; use --batch-size \(communicator.size) or more")
        }
        do { try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true) } catch {
            throw .run("cannot create run folder '\(runDirectory)': \(error.localizedDescription)")
        }
        let metrics = communicator.isPrimary ? try MetricsLog(path: runDirectory + "/metrics.jsonl") : nil
        sessionStart = Date()
        sessionSteps = 0
        sessionTokens = 0
        while step < options.steps {
            let p = try trainStep()
            try metrics?.append([
                "step": .int(p.step), "loss": .double(p.loss), "lr": .double(Double(p.learningRate)),
                "grad_norm": .double(Double(p.gradientNorm)), "tokens_per_s": .double(p.tokensPerSecond),
                "elapsed_s": .double(p.elapsedSeconds),
            ])
            progress(p)
            if communicator.isPrimary, step % options.checkpointEvery == 0 || step == options.steps { try saveCheckpoint() }
        }
    }

    public func saveCheckpoint() throws(TrainingError) {
        let state = SFTState(step: step, options: options, dataExamples: dataset.examples.count)
        do {
            try Checkpoint.saveInRun(runDirectory, step: step, model: model, optimizer: optimizer, state: state,
                                     keep: options.keepCheckpoints)
        } catch { throw .model(error) }
    }
}
