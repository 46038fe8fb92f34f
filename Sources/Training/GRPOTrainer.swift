import Cluster
import Foundation
import Kernels
import Model
import Reasoning
import Tasks

/// Settings of a GRPO-family run.
public struct GRPOOptions: Codable, Equatable, Sendable {
    /// How per-token losses are combined: per sequence then averaged (GRPO), over all tokens (DAPO),
    /// or divided by a constant (Dr. GRPO: groups × the generation budget).
    public enum Aggregation: String, Codable, Sendable, CaseIterable { case sequence, token, constant }

    public var steps = 50
    public var problemsPerStep = 8
    public var groupSize = 8
    public var temperature: Float = 1
    public var learningRate: Float = 5e-5
    public var clipLow: Float = 0.2
    public var clipHigh: Float = 0.28
    /// Weight of the k3 KL estimate to the frozen starting model (0: no reference).
    public var klCoefficient: Float = 0
    public var normalizeByStd = true
    public var aggregation = Aggregation.token
    public var innerEpochs = 1
    /// Skip groups whose rewards are all equal (they carry no signal).
    public var dynamicSampling = true
    /// Subtracted from the reward of a completion whose thinking the budget cut.
    public var overlongPenalty: Double = 0
    /// When set, the reward of every incorrect completion, replacing the task's partial credit
    /// (Countdown's 0.1 for a well-formed wrong answer). Under a tight budget that credit pays the
    /// model to claim a wrong answer early rather than be cut off; 0 makes the reward outcome-only.
    public var wrongReward: Double?
    /// Subtracted from a completion whose thinking claims a wrong candidate reaches the goal
    /// (`ReasoningTask.claimsFalsely`; 0: no penalty): a failed search then pushes down the false
    /// claim more than the correct rejections before it.
    public var falseClaimPenalty: Double = 0
    /// When true, completions worse than their group's mean get advantage 0 instead of a negative
    /// one: RL then only reinforces what worked, and a search cut by the budget is not blamed for
    /// the correct steps it wrote before the cut.
    public var positiveOnly = false
    /// Thinking budgets (increasing, each below `budget.maxThinking`) at which every rollout is also
    /// answered, as AnytimeReasoner scores one rollout at several budgets: each cut's scores get
    /// their own group-relative advantages, a thinking token is credited with the mean over the
    /// cuts after it and the whole rollout (it cannot change an answer given before it was
    /// written), and the answer with the whole rollout's share. Thinking that reaches the answer
    /// sooner then earns more than the same answer found later. Empty: one reward per rollout.
    public var rewardCuts: [Int] = []
    /// When true, each group's rewards are measured against the model's greedy completion of the
    /// problem (decoded beside the samples, at the same cuts, and not learned from) instead of the
    /// group's mean, as self-critical sequence training does: only samples that do better or worse
    /// than the answer greedy decoding gives carry signal, so a group whose samples merely match
    /// greedy decoding does not sharpen the samples towards it. Evaluation is greedy.
    public var greedyBaseline = false
    public var budget = Budget(maxThinking: 200, maxAnswer: Budget.trainingAnswerTokens)
    public var difficulty = 3
    public var useTool = false
    public var seed: UInt64 = 1
    public var gradientClip: Float = 1
    public var checkpointEvery = 10
    /// Every `probeEvery` steps: pass@k (k = `probeSamples`) and greedy accuracy on a fixed set of
    /// `probeProblems` test problems, and a sample of completions saved to `samples/`.
    public var probeEvery = 10
    public var probeProblems = 16
    public var probeSamples = 8
    /// The arithmetic of the policy's (and the reference's) linear-layer products in training.
    public var matmul = MatmulPrecision.float32
    public init() {}

    /// Reads saved options; a setting absent from a run saved before it existed takes its default.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.update(&steps, forKey: .steps); try c.update(&problemsPerStep, forKey: .problemsPerStep); try c.update(&groupSize, forKey: .groupSize)
        try c.update(&temperature, forKey: .temperature); try c.update(&learningRate, forKey: .learningRate); try c.update(&clipLow, forKey: .clipLow)
        try c.update(&clipHigh, forKey: .clipHigh); try c.update(&klCoefficient, forKey: .klCoefficient); try c.update(&normalizeByStd, forKey: .normalizeByStd)
        try c.update(&aggregation, forKey: .aggregation); try c.update(&innerEpochs, forKey: .innerEpochs); try c.update(&dynamicSampling, forKey: .dynamicSampling)
        try c.update(&overlongPenalty, forKey: .overlongPenalty); try c.update(&wrongReward, forKey: .wrongReward)
        try c.update(&falseClaimPenalty, forKey: .falseClaimPenalty); try c.update(&positiveOnly, forKey: .positiveOnly); try c.update(&rewardCuts, forKey: .rewardCuts)
        try c.update(&greedyBaseline, forKey: .greedyBaseline)
        try c.update(&budget, forKey: .budget)
        try c.update(&difficulty, forKey: .difficulty); try c.update(&useTool, forKey: .useTool); try c.update(&seed, forKey: .seed)
        try c.update(&gradientClip, forKey: .gradientClip); try c.update(&checkpointEvery, forKey: .checkpointEvery); try c.update(&probeEvery, forKey: .probeEvery)
        try c.update(&probeProblems, forKey: .probeProblems); try c.update(&probeSamples, forKey: .probeSamples)
        try c.update(&matmul, forKey: .matmul)
    }

    /// Throws unless every setting is usable (a `state.json` edited by hand may hold any value).
    public func validate() throws(TrainingError) {
        guard steps >= 0, problemsPerStep > 0, groupSize > 1, innerEpochs > 0, checkpointEvery > 0, probeEvery >= 0,
              probeProblems >= 0, probeSamples >= 0, temperature > 0, learningRate > 0, learningRate.isFinite,
              clipLow.isFinite, clipHigh.isFinite, klCoefficient.isFinite, klCoefficient >= 0, budget.maxThinking >= 0,
              budget.maxAnswer > 0 else {
            throw .run("RL options out of range: steps \(steps), problems \(problemsPerStep), group \(groupSize), "
                       + "epochs \(innerEpochs), checkpoint every \(checkpointEvery), lr \(learningRate), budget \(budget.maxThinking)")
        }
        guard rewardCuts.isEmpty || (rewardCuts.first! >= 0 && rewardCuts.last! < budget.maxThinking
                                     && zip(rewardCuts, rewardCuts.dropFirst()).allSatisfy { $0 < $1 }) else {
            throw .run("reward cuts \(rewardCuts) must increase from 0 or more and stay below the RL thinking budget \(budget.maxThinking)")
        }
        guard rewardCuts.isEmpty || !useTool else {
            throw .run("reward cuts share one rollout's thinking among budgets, which a tool result could cross; use them without the tool")
        }
    }
}

/// The samples of one RL step, scored: every generation (for the step's statistics) and the
/// sequences of the groups that carry signal, with what the update needs for each.
public struct RolloutBatch: Sendable {
    public var generations: [Generation]
    /// Seconds the sampling took.
    public var seconds: Double
    /// Prompt and completion tokens of each kept sample.
    public var sequences: [[Int32]] = []
    /// Whether each token is learned (sampled, not forced, not the prompt).
    public var learned: [[Bool]] = []
    /// The log-probability each token had when sampled (0 for the rest).
    public var oldLogProbs: [[Float]] = []
    /// Each kept sample's group-relative advantage at each of its tokens (the same at every token
    /// unless rewards are scored at cuts; 0 for tokens not learned).
    public var advantages: [[Double]] = []
    public var rewardSum = 0.0
    public var correct = 0, reflecting = 0, groupsUsed = 0
    /// Tokens of the greedy completions decoded as baselines (`GRPOOptions.greedyBaseline`).
    public var baselineTokens = 0
    /// The rollouts' slips, false claims, misses and recoveries (`SelfCorrection`).
    public var selfCorrection = SelfCorrection()
    /// Samples the verifier failed to judge (scored 0), and the first cause.
    public var verifierFailures = 0
    public var firstVerifierFailure: String?

    public init(generations: [Generation], seconds: Double) {
        self.generations = generations
        self.seconds = seconds
    }
}

/// Pass@k and greedy accuracy on the fixed probe set.
public struct GRPOProbe: Sendable {
    public let passAtK: Double
    public let greedyAccuracy: Double
}

/// What an RL checkpoint records beside the weights and Adam moments. Rollout seeds and problems
/// are functions of (seed, step), so these and the reference weights (`reference.safetensors`,
/// when a KL term is used) are all a resumed run needs to continue exactly.
public struct GRPOState: Codable, Equatable, Sendable {
    public var step: Int
    public var options: GRPOOptions
    public var task: String
}

/// What one RL step measured.
public struct GRPOStep: Sendable {
    public let step: Int
    public let reward: Double
    public let accuracy: Double
    public let thinkingTokens: Double
    public let answerTokens: Double
    public let cutFraction: Double
    public let reflectionRate: Double
    public let clipFraction: Double
    public let kl: Double
    public let gradientNorm: Float
    public let groupsUsed: Int
    public let rolloutTokensPerSecond: Double
    public let updateTokensPerSecond: Double
    /// Samples the verifier failed to judge, and the first cause.
    public var verifierFailures = 0
    public var firstVerifierFailure: String?
    /// The rollouts' slips, false claims, misses and recoveries.
    public var selfCorrection = SelfCorrection()

    var record: [String: MetricsLog.Value] {
        var r: [String: MetricsLog.Value] = ["step": .int(step), "reward": .double(reward), "accuracy": .double(accuracy),
         "thinking_tokens": .double(thinkingTokens), "answer_tokens": .double(answerTokens),
         "cut_fraction": .double(cutFraction), "reflection_rate": .double(reflectionRate),
         "clip_fraction": .double(clipFraction), "kl": .double(kl), "grad_norm": .double(Double(gradientNorm)),
         "groups_used": .int(groupsUsed), "rollout_tokens_per_s": .double(rolloutTokensPerSecond),
         "update_tokens_per_s": .double(updateTokensPerSecond), "verifier_failures": .int(verifierFailures)]
        r.merge(selfCorrection.record) { a, _ in a }
        return r
    }
}

/// Reinforcement learning from verifiable rewards: for each prompt a group of samples, rewards
/// from the task's verifier, group-relative advantages, and a clipped policy-gradient update with
/// separate low/high clipping, an optional KL to the starting model, and no loss on forced tokens.
///
/// The update reuses the weighted cross-entropy of the model: a token's weight is
/// `ratio · advantage / normaliser` where the clipped objective is active (0 where clipped),
/// minus `β (1 − p_ref/p) / normaliser` for the KL term, so one backward pass gives the gradient.
///
/// Under MPI each rank samples and scores the groups of its share of a step's problems, the
/// normalisers and statistics are those of the whole step, and the gradients are summed over the
/// ranks before clipping, so every rank takes the same step; rank 0 alone writes.
public final class GRPOTrainer {
    public let model: Transformer
    public let communicator: any Communicator
    public let reference: Transformer?
    public let task: any ReasoningTask
    public let options: GRPOOptions
    public let optimizer: AdamW
    public let runDirectory: String
    public private(set) var step = 0
    /// A few completions of the latest rollout, for `samples/`.
    private var latestSamples: [(prompt: String, completion: String, reward: Double)] = []

    public init(model: Transformer, task: any ReasoningTask, options: GRPOOptions, runDirectory: String,
                reference: Transformer? = nil, communicator: any Communicator = SingleProcess()) throws(ModelError) {
        self.model = model
        model.matmulPrecision = options.matmul
        self.communicator = communicator
        self.task = task
        self.options = options
        self.runDirectory = runDirectory
        var adam = AdamW.Settings()
        adam.weightDecay = 0
        optimizer = AdamW(layout: model.layout, settings: adam)
        if let reference {
            self.reference = reference
        } else if options.klCoefficient > 0 {
            let copy = FloatBuffer(count: model.parameters.count)
            copy.copy(from: model.parameters)
            self.reference = try Transformer(config: model.config, parameters: copy, vocabulary: model.vocabulary)
        } else {
            self.reference = nil
        }
        self.reference?.matmulPrecision = options.matmul
    }

    static let referenceDirectory = "reference"

    /// Continues a run from its latest checkpoint (after a crash or a kill): weights, Adam moments,
    /// step, and the frozen reference.
    public static func resuming(runDirectory: String, task: any ReasoningTask,
                                communicator: any Communicator = SingleProcess()) throws(TrainingError) -> GRPOTrainer {
        try TrainingError.wrapping {
            let directory = try Checkpoint.resolve(runDirectory)
            let state = try Checkpoint.loadState(GRPOState.self, from: directory)
            try state.options.validate()
            try TrainingError.requireResumable(step: state.step, totalSteps: state.options.steps, checkpoint: directory)
            guard state.task == task.name else {
                throw TrainingError.run("cannot resume '\(runDirectory)': it trained on \(state.task), not \(task.name)")
            }
            let reference = state.options.klCoefficient > 0
                ? try Checkpoint.loadModel(runDirectory + "/" + referenceDirectory) : nil
            let trainer = try GRPOTrainer(model: try Checkpoint.loadModel(directory), task: task, options: state.options,
                                          runDirectory: runDirectory, reference: reference, communicator: communicator)
            try Checkpoint.loadOptimizer(directory, into: trainer.optimizer)
            trainer.step = state.step
            if communicator.isPrimary { try MetricsLog.truncate(path: runDirectory + "/metrics.jsonl", afterStep: state.step) }
            return trainer
        }
    }

    /// Writes the latest rollout's first completions to `samples/step-N.jsonl`.
    func saveSamples(_ s: GRPOStep) throws(TrainingError) {
        let folder = runDirectory + "/samples"
        var lines = Data()
        for sample in latestSamples {
            let object: [String: Any] = ["step": s.step, "prompt": sample.prompt, "completion": sample.completion, "reward": sample.reward]
            if let line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
                lines += line + Data("\n".utf8)
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try AtomicFile.write(lines, to: folder + String(format: "/step-%08d.jsonl", s.step))
        } catch { throw .run("cannot save samples in '\(folder)': \(error)") }
    }

    /// Saves weights, moments and state (and, once, the frozen reference) into the run folder.
    public func saveCheckpoint() throws(TrainingError) {
        do {
            if let reference, !FileManager.default.fileExists(atPath: runDirectory + "/" + Self.referenceDirectory) {
                try Checkpoint.save(model: reference, state: Optional<Int>.none,
                                    to: runDirectory + "/" + Self.referenceDirectory)
            }
            try Checkpoint.saveInRun(runDirectory, step: step, model: model, optimizer: optimizer,
                                     state: GRPOState(step: step, options: options, task: task.name))
        } catch { throw .model(error) }
    }

    /// The reward RL learns from: the task's score (or `wrongReward` for an incorrect answer, when
    /// set), less the overlong penalty when the budget cut the thinking and the false-claim penalty
    /// when the thinking claimed a wrong candidate.
    public static func reward(_ score: Score, thinkingCut: Bool, claimsFalsely: Bool = false, options: GRPOOptions) -> Double {
        let outcome = score.correct ? score.reward : (options.wrongReward ?? score.reward)
        return outcome - (thinkingCut ? options.overlongPenalty : 0) - (claimsFalsely ? options.falseClaimPenalty : 0)
    }

    /// Group-relative advantages: reward minus the group mean, divided by the group's standard
    /// deviation when asked, negative ones set to 0 when `positiveOnly`. Groups whose rewards are
    /// all equal get nil (no signal). With a `baseline` (the greedy completion's reward), reward
    /// minus the baseline, undivided; nil when every reward equals it.
    public static func advantages(_ rewards: [Double], normalizeByStd: Bool, positiveOnly: Bool = false,
                                  baseline: Double? = nil) -> [Double]? {
        let center = baseline ?? rewards.reduce(0, +) / Double(rewards.count)
        // The mean square distance from the center: the variance when the center is the mean.
        let spread = rewards.reduce(0) { $0 + ($1 - center) * ($1 - center) } / Double(rewards.count)
        if spread < 1e-12 { return nil }
        let scale = normalizeByStd && baseline == nil ? 1 / (spread.squareRoot() + 1e-6) : 1
        return rewards.map { positiveOnly ? max(0, ($0 - center) * scale) : ($0 - center) * scale }
    }

    /// Per-token advantages of a group, scored at each of `cuts` (`GRPOOptions.rewardCuts`; none:
    /// one advantage per sample): `rewards[sample]` holds the reward at each cut and then the whole
    /// rollout's, each column made group-relative as `advantages` does (against `baselines[column]`
    /// when given; a column without signal gives 0).
    /// A thinking token at position `t` (`Generation.thinkingPositions`) is credited with the
    /// columns whose cut comes after it (`cut > t`) and the whole rollout's; an answer token (nil)
    /// with the whole rollout's alone; each divided by the column count, so the first thinking
    /// token's credit is the advantage of the mean reward. Nil when no column carries signal.
    public static func tokenAdvantages(_ rewards: [[Double]], cuts: [Int], thinkingPositions: [[Int?]], baselines: [Double]? = nil,
                                       normalizeByStd: Bool, positiveOnly: Bool = false) -> [[Double]]? {
        let columns = (0...cuts.count).map { j in
            advantages(rewards.map { $0[j] }, normalizeByStd: normalizeByStd, baseline: baselines?[j])
        }
        guard columns.contains(where: { $0 != nil }) else { return nil }
        let n = Double(cuts.count + 1)
        return thinkingPositions.indices.map { sample in
            let a = columns.map { $0?[sample] ?? 0 }
            return thinkingPositions[sample].map { position in
                var credit = a[cuts.count]
                if let position { for (j, cut) in cuts.enumerated() where cut > position { credit += a[j] } }
                return positiveOnly ? max(0, credit / n) : credit / n
            }
        }
    }

    /// One RL step: a rollout, then an update from the groups that carry signal.
    @discardableResult
    public func trainStep() throws(TrainingError) -> GRPOStep {
        let batch: RolloutBatch
        do { batch = try rollout() } catch { throw .model(error) }
        let update = try self.update(batch)
        step += 1
        let t = try overRanks(RolloutTotals(batch, update))
        let n = Double(max(t.samples, 1))
        var result = GRPOStep(
            step: step, reward: t.rewardSum / n, accuracy: Double(t.correct) / n,
            thinkingTokens: Double(t.thinkingTokens) / n, answerTokens: Double(t.answerTokens) / n,
            cutFraction: Double(t.cut) / n, reflectionRate: Double(t.reflecting) / n,
            clipFraction: t.active > 0 ? Double(t.clipped) / Double(t.active) : 0,
            kl: t.active > 0 ? t.klSum / Double(t.active) : 0,
            gradientNorm: update.gradientNorm, groupsUsed: t.groupsUsed,
            rolloutTokensPerSecond: Double(t.tokens) / max(t.rolloutSeconds, 1e-9),
            updateTokensPerSecond: Double(t.updateTokens) / max(t.updateSeconds, 1e-9))
        result.verifierFailures = t.verifierFailures
        result.firstVerifierFailure = t.firstVerifierFailure
        result.selfCorrection = t.selfCorrection
        return result
    }

    /// A step's counts summed over the ranks (its times are the slowest rank's).
    struct RolloutTotals: Codable {
        var samples = 0, correct = 0, reflecting = 0, groupsUsed = 0, verifierFailures = 0
        var thinkingTokens = 0, answerTokens = 0, cut = 0, tokens = 0
        var clipped = 0, active = 0, updateTokens = 0
        var rewardSum = 0.0, klSum = 0.0, rolloutSeconds = 0.0, updateSeconds = 0.0
        var firstVerifierFailure: String?
        var selfCorrection = SelfCorrection()

        init(_ batch: RolloutBatch, _ update: UpdateStats) {
            let gens = batch.generations
            samples = gens.count
            correct = batch.correct
            reflecting = batch.reflecting
            groupsUsed = batch.groupsUsed
            verifierFailures = batch.verifierFailures
            firstVerifierFailure = batch.firstVerifierFailure
            selfCorrection = batch.selfCorrection
            thinkingTokens = gens.reduce(0) { $0 + $1.thinkingTokens }
            answerTokens = gens.reduce(0) { $0 + $1.answerTokens }
            cut = gens.filter(\.thinkingCut).count
            tokens = gens.reduce(0) { $0 + $1.tokens.count } + batch.baselineTokens
            (clipped, active, updateTokens, klSum) = (update.clipped, update.active, update.tokens, update.klSum)
            rewardSum = batch.rewardSum
            rolloutSeconds = batch.seconds
            updateSeconds = update.seconds
        }

        static func + (a: Self, b: Self) -> Self {
            var s = a
            s.samples += b.samples; s.correct += b.correct; s.reflecting += b.reflecting; s.groupsUsed += b.groupsUsed
            s.verifierFailures += b.verifierFailures; s.firstVerifierFailure = a.firstVerifierFailure ?? b.firstVerifierFailure
            s.thinkingTokens += b.thinkingTokens; s.answerTokens += b.answerTokens; s.cut += b.cut; s.tokens += b.tokens
            s.clipped += b.clipped; s.active += b.active; s.updateTokens += b.updateTokens
            s.rewardSum += b.rewardSum; s.klSum += b.klSum; s.selfCorrection = a.selfCorrection + b.selfCorrection
            s.rolloutSeconds = max(a.rolloutSeconds, b.rolloutSeconds); s.updateSeconds = max(a.updateSeconds, b.updateSeconds)
            return s
        }
    }

    /// `value` summed over the ranks, in rank order.
    private func overRanks(_ value: RolloutTotals) throws(TrainingError) -> RolloutTotals {
        guard communicator.size > 1 else { return value }
        do { return try communicator.allGather(value).dropFirst().reduce(value) { $0 + $1 } } catch { throw .cluster(error) }
    }

    /// Samples a group per training problem of this step (of this rank's share of them), scores
    /// each sample and keeps the groups whose rewards differ (all of them without dynamic
    /// sampling), with their advantages.
    public func rollout() throws(ModelError) -> RolloutBatch {
        let o = options
        let mine = communicator.share(of: o.problemsPerStep)
        let problems = mine.map {
            task.problem(index: step * o.problemsPerStep + $0, difficulty: o.difficulty, split: .train, baseSeed: o.seed)
        }
        guard !problems.isEmpty else { return RolloutBatch(generations: [], seconds: 0) }
        latestSamples = []
        let start = Date()
        let levels = model.config.budgetLevels
        // With a greedy baseline, each problem's last request is its greedy completion.
        let requests = o.groupSize + (o.greedyBaseline ? 1 : 0)
        let decoded = try Engine(model: model, slots: min(64, problems.count * requests)).generate(items: problems.count, samples: requests) { i, k in
            let sampling = k == o.groupSize ? SamplingOptions.greedy
                : SamplingOptions(temperature: o.temperature,
                                  seed: SampleSeed.rollout(o.seed, step: step, problem: mine.lowerBound + i, sample: k, group: o.groupSize))
            var request = GenerationRequest(user: problems[i].prompt, sampling: sampling, budget: o.budget,
                                            tool: o.useTool ? (task, problems[i]) : nil)
            request.cuts = o.rewardCuts
            // Every cut is answered under the prompt of the whole budget (a model that reads it sees one line).
            if !o.rewardCuts.isEmpty { request.budgetTag = request.budgetLevel(in: levels) }
            return request
        }
        let groups = decoded.map { Array($0.prefix(o.groupSize)) }
        var batch = RolloutBatch(generations: groups.flatMap { $0 }, seconds: Date().timeIntervalSince(start))
        batch.baselineTokens = decoded.reduce(0) { $0 + $1.dropFirst(o.groupSize).reduce(0) { $0 + $1.tokens.count } }
        for ((p, group), all) in zip(zip(problems, groups), decoded) {
            // Per sample, the rewards at each cut and then of the whole rollout.
            var rewards: [[Double]] = []
            for g in group {
                let (sampleRewards, score) = rewardsAtCuts(g, problem: p)
                rewards.append(sampleRewards)
                batch.rewardSum += sampleRewards.reduce(0, +) / Double(sampleRewards.count)
                if score.correct { batch.correct += 1 }
                if let cause = score.verifierFailure {
                    batch.verifierFailures += 1
                    batch.firstVerifierFailure = batch.firstVerifierFailure ?? cause
                }
                if task.reflects(g.text) { batch.reflecting += 1 }
                if latestSamples.count < 8 { latestSamples.append((p.prompt, g.text, sampleRewards.last!)) }
            }
            let baselines = all.dropFirst(o.groupSize).first.map { rewardsAtCuts($0, problem: p).rewards }
            batch.selfCorrection = batch.selfCorrection + task.selfCorrection(p, audits: group.compactMap { task.audit(p, completion: $0.text) })
            guard let advantages = Self.tokenAdvantages(rewards, cuts: o.rewardCuts, thinkingPositions: group.map(\.thinkingPositions),
                                                        baselines: baselines, normalizeByStd: o.normalizeByStd, positiveOnly: o.positiveOnly)
                    ?? (o.dynamicSampling ? nil : group.map { $0.tokens.map { _ in 0 } })
            else { continue }
            batch.groupsUsed += 1
            // The prompt the rollout saw, with its budget line for a model that reads one.
            let prompt = GenerationRequest(user: p.prompt, budget: o.budget).promptTokens(for: model)
            for (g, a) in zip(group, advantages) {
                batch.sequences.append(prompt + g.tokens)
                batch.learned.append(Array(repeating: false, count: prompt.count) + g.forced.map { !$0 })
                batch.oldLogProbs.append(Array(repeating: 0, count: prompt.count) + g.logProbs)
                batch.advantages.append(Array(repeating: 0, count: prompt.count) + a)
            }
        }
        return batch
    }

    /// The rewards of `g` at each of its cuts (`Generation.atCuts`) and then of the whole
    /// completion, which alone carries the false-claim penalty, with the whole completion's score.
    private func rewardsAtCuts(_ g: Generation, problem p: Problem) -> (rewards: [Double], score: Score) {
        let score = task.score(p, completion: g.text)
        let whole = Self.reward(score, thinkingCut: g.thinkingCut,
                                claimsFalsely: options.falseClaimPenalty != 0 && task.claimsFalsely(p, completion: g.text), options: options)
        let atCuts = g.atCuts.map { Self.reward(task.score(p, completion: $0.text), thinkingCut: $0.thinkingCut, options: options) }
        return (atCuts + [whole], score)
    }

    /// What an update did.
    public struct UpdateStats: Sendable {
        public var clipped = 0, active = 0
        public var klSum = 0.0
        public var gradientNorm: Float = 0
        public var tokens = 0
        public var seconds = 0.0
    }

    /// The clipped policy-gradient update (with the KL term) on a rollout, `innerEpochs` times.
    /// A non-finite loss or gradient norm stops the run before the step is applied.
    public func update(_ batch: RolloutBatch) throws(TrainingError) -> UpdateStats {
        let o = options
        var stats = UpdateStats()
        let start = Date()
        let learnedHere = batch.learned.reduce(0) { $0 + $1.filter { $0 }.count }
        let (sequences, learned): (Int, Int)
        do throws(ClusterError) {
            let all = try communicator.allGather([batch.sequences.count, learnedHere])
            (sequences, learned) = (all.reduce(0) { $0 + $1[0] }, all.reduce(0) { $0 + $1[1] })
        } catch { throw .cluster(error) }
        guard sequences > 0 else { return stats }
        let normalisers = Self.normalisers(learned: batch.learned, aggregation: o.aggregation, budget: o.budget,
                                           totalLearned: learned, sequences: sequences)
        let probe = TokenBatch(sequences: batch.sequences, tokenWeights: batch.learned.map { $0.map { _ in 1 } })
        let referenceLogProbs: [Float]?
        do { referenceLogProbs = batch.sequences.isEmpty ? nil : try reference?.forwardBackward(probe, computeGradients: false).targetLogProbs } catch { throw .model(error) }
        for _ in 0..<o.innerEpochs {
            var loss = 0.0
            model.gradients.zero()
            if !batch.sequences.isEmpty { do {
                let current = try model.forwardBackward(probe, computeGradients: false).targetLogProbs
                let w = Self.tokenWeights(batch, current: current, reference: referenceLogProbs, length: probe.length,
                                          normalisers: normalisers, options: o)
                stats.clipped += w.clipped
                stats.active += w.active
                stats.klSum += w.klSum
                loss = try model.forwardBackward(TokenBatch(sequences: batch.sequences, tokenWeights: w.weights)).loss
            } catch { throw .model(error) } }
            if communicator.size > 1 {
                do throws(ClusterError) {
                    try Profile.measure(.communication) { () throws(ClusterError) in
                        try communicator.sum(model.gradients.buffer)
                        loss = try communicator.sum(loss)
                    }
                } catch { throw .cluster(error) }
            }
            stats.gradientNorm = GradientClipping.clip(model.gradients, maxNorm: o.gradientClip)
            try TrainingError.requireFinite(loss: loss, gradientNorm: stats.gradientNorm, step: step + 1,
                                            runDirectory: runDirectory, learningRate: o.learningRate)
            optimizer.update(parameters: model.parameters, gradients: model.gradients, lr: o.learningRate)
            stats.tokens += probe.batchSize * probe.length * 2
        }
        stats.seconds = Date().timeIntervalSince(start)
        return stats
    }

    /// What each sequence's per-token losses are divided by: all learned tokens of the batch
    /// (token), the sequence's own learned tokens times the sequence count (sequence), or the
    /// sequence count times the generation budget (constant).
    /// `totalLearned` and `sequences` count the whole step when `learned` is one rank's share.
    public static func normalisers(learned: [[Bool]], aggregation: GRPOOptions.Aggregation, budget: Budget,
                                   totalLearned: Int? = nil, sequences: Int? = nil) -> [Float] {
        let total = Float(max(totalLearned ?? learned.reduce(0) { $0 + $1.filter { $0 }.count }, 1))
        let count = sequences ?? learned.count
        return learned.map { l in
            switch aggregation {
            case .token: return total
            case .sequence: return Float(max(l.filter { $0 }.count, 1) * count)
            case .constant: return Float(count * (budget.maxThinking + budget.maxAnswer + 2))
            }
        }
    }

    /// The loss weight of every token of a rollout given the current (and reference) log-probs of
    /// each target, laid out `[sequence × length]` with position j−1 predicting token j: for a
    /// learned token `ratio · advantage / normaliser` where the clipped objective is active and 0
    /// where it is clipped, minus `β (1 − p_ref/p) / normaliser` for the KL term. Pure: the
    /// gradient of `Σ weight · −log p` is then the policy gradient.
    public static func tokenWeights(_ batch: RolloutBatch, current: [Float], reference: [Float]?, length: Int,
                                    normalisers: [Float], options o: GRPOOptions)
        -> (weights: [[Float]], clipped: Int, active: Int, klSum: Double) {
        var clipped = 0, active = 0, klSum = 0.0
        var weights: [[Float]] = []
        for s in batch.sequences.indices {
            var w = [Float](repeating: 0, count: batch.sequences[s].count)
            for j in 1..<batch.sequences[s].count where batch.learned[s][j] {
                let cur = current[s * length + j - 1]
                let ratio = Foundation.exp(Double(cur - batch.oldLogProbs[s][j]))
                let a = batch.advantages[s][j]
                active += 1
                let isClipped = (a > 0 && ratio > 1 + Double(o.clipHigh)) || (a < 0 && ratio < 1 - Double(o.clipLow))
                if isClipped { clipped += 1 } else { w[j] = Float(ratio * a) / normalisers[s] }
                if let reference {
                    let d = Double(reference[s * length + j - 1] - cur)
                    klSum += Foundation.exp(d) - d - 1
                    w[j] -= o.klCoefficient * Float(1 - Foundation.exp(d)) / normalisers[s]
                }
            }
            weights.append(w)
        }
        return (weights, clipped, active, klSum)
    }

    /// Pass@k and greedy accuracy on the first `probeProblems` test problems, watched for collapse
    /// (pass@k falls when samples lose their diversity).
    public func probe() throws(TrainingError) -> GRPOProbe {
        let o = options
        let all = task.problems(count: o.probeProblems, difficulty: o.difficulty, split: .test, baseSeed: o.seed)
        let mine = communicator.share(of: all.count)
        let problems = Array(all[mine])
        // Per problem: one greedy sample, then the probe's samples.
        let groups: [[Generation]]
        do { groups = problems.isEmpty ? [] : try Engine(model: model, slots: 64).generate(items: problems.count, samples: o.probeSamples + 1) { i, k in
            let sampling = k == 0 ? SamplingOptions.greedy
                : SamplingOptions(temperature: o.temperature, seed: SampleSeed.probe(problem: mine.lowerBound + i, sample: k - 1))
            return GenerationRequest(user: problems[i].prompt, sampling: sampling, budget: o.budget,
                                     tool: o.useTool ? (task, problems[i]) : nil)
        } } catch { throw .model(error) }
        var passed = 0, greedy = 0
        for (p, group) in zip(problems, groups) {
            if task.score(p, completion: group.first!.text).correct { greedy += 1 }
            if group.dropFirst().contains(where: { task.score(p, completion: $0.text).correct }) { passed += 1 }
        }
        if communicator.size > 1 {
            do throws(ClusterError) {
                let counts = try communicator.allGather([passed, greedy])
                (passed, greedy) = (counts.reduce(0) { $0 + $1[0] }, counts.reduce(0) { $0 + $1[1] })
            } catch { throw .cluster(error) }
        }
        let n = Double(max(all.count, 1))
        return GRPOProbe(passAtK: Double(passed) / n, greedyAccuracy: Double(greedy) / n)
    }

    /// Trains to `options.steps`, logging every step and checkpointing periodically.
    public func run(progress: (GRPOStep) -> Void = { _ in }) throws(TrainingError) {
        do { try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true) } catch {
            throw .run("cannot create run folder '\(runDirectory)': \(error.localizedDescription)")
        }
        let metrics = communicator.isPrimary ? try MetricsLog(path: runDirectory + "/metrics.jsonl") : nil
        while step < options.steps {
            let s = try trainStep()
            var record = s.record
            if options.probeEvery > 0 && (step % options.probeEvery == 0 || step == 1) {
                let p = try probe()
                record["probe_pass_at_k"] = .double(p.passAtK)
                record["probe_greedy_accuracy"] = .double(p.greedyAccuracy)
                if communicator.isPrimary { try saveSamples(s) }
            }
            try metrics?.append(record)
            progress(s)
            if communicator.isPrimary, step % options.checkpointEvery == 0 || step == options.steps { try saveCheckpoint() }
        }
    }
}
