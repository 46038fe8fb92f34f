import ArgumentParser
import Foundation
import Model
import Reasoning
import Tasks
import Training

/// `strawberry rl`: GRPO-family reinforcement learning from a task's verifier.
struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Improve a model's thinking with rewards from a task's verifier (GRPO family).",
        discussion: """
        Each step samples --group completions for --problems training problems, scores them, and updates
        the model with group-relative advantages and a clipped objective. metrics.jsonl records reward,
        accuracy, thinking length, the share cut by the budget, reflection rate, clip fraction, KL and
        throughput. Example: strawberry rl --model runs/quickstart --out runs/rl --steps 30
        """
    )

    @Option(help: "Run folder or checkpoint to start from (not needed with --resume).")
    var model: String?

    @Option(help: "Run folder for the RL run.")
    var out: String

    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")), or file:PATH for your own JSONL.")
    var task = "countdown"

    @Option(help: "For file:PATH tasks: a shell command that reads {prompt, answer, tests, completion} JSON and prints {\"reward\": 0…1}; it runs sandboxed.")
    var verifier: String?

    @Option(help: "Difficulty of the training problems.")
    var difficulty = 3

    @Option(help: "RL steps.")
    var steps = 30

    @Option(help: "Problems per step.")
    var problems = 8

    @Option(help: "Samples per problem (the group).")
    var group = 8

    @Option(help: "Learning rate.")
    var lr: Float = 5e-5

    @Option(help: "Sampling temperature of the rollouts.")
    var temperature: Float = 1

    @Option(help: "Thinking budget during rollouts.")
    var budget = 200

    @Option(help: "KL coefficient to the starting model (0: none).")
    var kl: Float = 0

    @Option(name: .customLong("wrong-reward"), help: "Reward for every incorrect completion, replacing the task's partial credit (0: outcome only; under a tight budget Countdown's 0.1 for a well-formed wrong answer pays the model to claim a wrong answer early).")
    var wrongReward: Double?

    @Option(name: .customLong("false-claim-penalty"), help: "Subtracted from the reward when the thinking claims a wrong candidate reaches the goal (Countdown: a `… yes` line that is not the target).")
    var falseClaimPenalty: Double?

    @Flag(name: .customLong("positive-only"), help: "Learn only from completions better than their group's mean (negative advantages become 0), so a search the budget cut is not blamed for its correct steps.")
    var positiveOnly = false

    @Option(help: "Loss aggregation: token (DAPO), sequence (GRPO) or constant (Dr. GRPO).")
    var aggregation = "token"

    @Flag(name: .customLong("no-std"), help: "Do not divide advantages by the group's standard deviation (Dr. GRPO).")
    var noStd = false

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    @Option(name: .customLong("checkpoint-every"), help: "Save a checkpoint every N steps.")
    var checkpointEvery = 10

    @Flag(help: "Continue the run in --out from its latest checkpoint (after a crash or kill), exactly as if it had not stopped.")
    var resume = false

    func run() throws {
        let (t, difficulty) = try resolveTask(task, difficulty: difficulty, verifier: verifier)
        guard let agg = GRPOOptions.Aggregation(rawValue: aggregation) else {
            throw ValidationError("--aggregation must be token, sequence or constant")
        }
        guard steps > 0, problems > 0, group > 1, budget >= 0, lr > 0, checkpointEvery > 0, temperature > 0 else {
            throw ValidationError("--steps, --problems, --lr, --temperature and --checkpoint-every must be positive, --group at least 2")
        }
        guard wrongReward?.isFinite ?? true, falseClaimPenalty.map({ $0.isFinite && $0 >= 0 }) ?? true else {
            throw ValidationError("--wrong-reward must be a number and --false-claim-penalty a number ≥ 0")
        }
        let trainer: GRPOTrainer
        if resume {
            trainer = try GRPOTrainer.resuming(runDirectory: out, task: t)
            log("resuming '\(out)' at step \(trainer.step) of \(trainer.options.steps)")
        } else {
            guard let model else { throw ValidationError("--model is required unless --resume is given") }
            if FileManager.default.fileExists(atPath: out + "/latest") {
                throw ValidationError("'\(out)' already holds a run; pass --resume to continue it or choose another --out")
            }
            var options = GRPOOptions()
            options.steps = steps
            options.problemsPerStep = problems
            options.groupSize = group
            options.learningRate = lr
            options.temperature = temperature
            options.budget = Budget(maxThinking: budget, maxAnswer: 24)
            options.klCoefficient = kl
            options.wrongReward = wrongReward
            options.falseClaimPenalty = falseClaimPenalty
            options.positiveOnly = positiveOnly ? true : nil
            options.aggregation = agg
            options.normalizeByStd = !noStd
            options.difficulty = difficulty
            options.seed = seed
            options.checkpointEvery = checkpointEvery
            trainer = try GRPOTrainer(model: try Checkpoint.loadModel(model), task: t, options: options, runDirectory: out)
        }
        let total = trainer.options.steps
        try trainer.run { s in
            log(String(format: "step %d/%d  reward %.3f  acc %.3f  think %.0f  cut %.2f  reflect %.2f  clip %.3f  kl %.4f  grad %.2f  groups %d  %.0f rollout tok/s",
                       s.step, total, s.reward, s.accuracy, s.thinkingTokens, s.cutFraction, s.reflectionRate,
                       s.clipFraction, s.kl, s.gradientNorm, s.groupsUsed, s.rolloutTokensPerSecond)
                + (s.verifierFailures > 0 ? "  verifier failures \(s.verifierFailures) (first: \(s.firstVerifierFailure ?? ""))" : ""))
        }
        log("done: \(try Checkpoint.resolve(out))")
    }
}
