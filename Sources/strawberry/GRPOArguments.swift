import ArgumentParser
import Training

/// The GRPO settings that `rl` and `train`'s RL stage share (their steps, learning rate and
/// budget have command-specific names). Names follow TRL where it has one: `--group` is
/// `num_generations`, `--kl` `beta`, `--clip-low`/`--clip-high` `epsilon`/`epsilon_high`,
/// `--inner-epochs` `num_iterations`.
struct GRPOArguments: ParsableArguments {
    @Option(help: "Problems per RL step.")
    var problems = 8

    @Option(help: "Samples per problem (the group).")
    var group = 8

    @Option(help: "Sampling temperature of the rollouts.")
    var temperature: Float = 1

    @Option(help: "KL coefficient to the starting model (0: none).")
    var kl: Float = 0

    @Option(help: "Reward for every incorrect completion, replacing the task's partial credit (0: outcome only; under a tight budget Countdown's 0.1 for a well-formed wrong answer pays the model to claim a wrong answer early).")
    var wrongReward: Double?

    @Option(help: "Subtracted from the reward when the thinking claims a wrong candidate reaches the goal (Countdown: a `… yes` line that is not the target).")
    var falseClaimPenalty: Double = 0

    @Flag(help: "Learn only from completions better than their group's mean (negative advantages become 0), so a search the budget cut is not blamed for its correct steps.")
    var positiveOnly = false

    @Option(help: ArgumentHelp("Thinking budgets below the RL budget at which every rollout is also answered, e.g. 32,64,128: each cut's rewards get their own group-relative advantages and a thinking token is credited with those of the cuts after it and of the whole rollout, so thinking that reaches the answer sooner earns more (AnytimeReasoner's rewards at several budgets). Default: one reward per rollout.", valueName: "N,N,…"))
    var rewardCuts: BudgetList?

    @Flag(help: "Measure each group's rewards against the model's greedy completion of the problem (decoded beside the samples, not learned from) instead of the group's mean, as self-critical sequence training does: only samples that do better or worse than greedy decoding carry signal.")
    var greedyBaseline = false

    @Option(help: "Loss aggregation: token (DAPO), sequence (GRPO) or constant (Dr. GRPO).")
    var aggregation = GRPOOptions.Aggregation.token

    @Flag(help: "Do not divide advantages by the group's standard deviation (Dr. GRPO).")
    var noStd = false

    @Option(help: "Lower clip of the probability ratio (1 − ε).")
    var clipLow: Float = 0.2

    @Option(help: "Upper clip of the probability ratio (1 + ε_high; DAPO's clip-higher).")
    var clipHigh: Float = 0.28

    @Option(help: "Updates per rollout.")
    var innerEpochs = 1

    func validate() throws {
        guard problems > 0, group > 1, temperature > 0, innerEpochs > 0 else {
            throw ValidationError("--problems, --temperature and --inner-epochs must be positive, --group at least 2")
        }
        guard kl >= 0, kl.isFinite, clipLow >= 0, clipLow < 1, clipHigh >= 0, clipHigh.isFinite else {
            throw ValidationError("--kl and --clip-high must be numbers ≥ 0, --clip-low in 0..<1")
        }
        guard wrongReward?.isFinite ?? true, falseClaimPenalty.isFinite, falseClaimPenalty >= 0 else {
            throw ValidationError("--wrong-reward must be a number and --false-claim-penalty a number ≥ 0")
        }
    }

    /// Writes these settings into `options`.
    func apply(to options: inout GRPOOptions) {
        options.problemsPerStep = problems
        options.groupSize = group
        options.temperature = temperature
        options.klCoefficient = kl
        options.wrongReward = wrongReward
        options.falseClaimPenalty = falseClaimPenalty
        options.positiveOnly = positiveOnly
        options.rewardCuts = rewardCuts?.values ?? []
        options.greedyBaseline = greedyBaseline
        options.aggregation = aggregation
        options.normalizeByStd = !noStd
        options.clipLow = clipLow
        options.clipHigh = clipHigh
        options.innerEpochs = innerEpochs
    }
}
