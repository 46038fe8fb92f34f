import ArgumentParser
import Cluster
import Foundation
import Kernels
import Model
import Reasoning
import Tasks
import Training

/// `strawberry rl`: GRPO-family reinforcement learning from a task's verifier.
struct RLCommand: ParsableCommand, RunsAcrossRanks {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Improve a model's thinking with rewards from a task's verifier (GRPO family).",
        discussion: """
        Each step samples --group completions for --problems training problems, scores them, and updates \
        the model with group-relative advantages and a clipped objective. metrics.jsonl records reward, \
        accuracy, thinking length, the share cut by the budget, reflection rate, clip fraction, KL and \
        throughput. Example: strawberry rl --model runs/quickstart --out runs/rl --steps 30

        Under MPI (a build with `--traits MPI`), `mpirun -np 2 strawberry rl …` gives each rank its share \
        of every step's problems to sample and score and sums the ranks' gradients; rank 0 writes.
        """
    )

    @Option(help: "Run folder or checkpoint to start from (not needed with --resume).")
    var model: String?

    @Option(help: "Run folder for the RL run.")
    var out: String

    @OptionGroup var taskOptions: TaskOptions

    @Option(help: "RL steps.")
    var steps = 30

    @Option(help: "Learning rate.")
    var lr: Float = 5e-5

    @Option(help: "Thinking budget during rollouts.")
    var budget = 200

    @OptionGroup var grpo: GRPOArguments

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    @Option(help: "Save a checkpoint every N steps.")
    var checkpointEvery = 10

    @Option(help: MatmulPrecision.help)
    var matmul: MatmulPrecision?

    @Flag(help: "Continue the run in --out from its latest checkpoint (after a crash or kill), exactly as if it had not stopped.")
    var resume = false

    func validate() throws {
        guard steps > 0, budget >= 0, lr > 0, lr.isFinite, checkpointEvery > 0 else {
            throw ValidationError("--steps, --lr and --checkpoint-every must be positive, --budget at least 0")
        }
        if matmul != nil, resume { throw ValidationError("--matmul cannot change a resumed run; it keeps its own") }
    }

    func run() throws {
        let (t, difficulty) = try taskOptions.resolve()
        let communicator = try Cluster.join()
        let log = log(on: communicator)
        let trainer: GRPOTrainer
        if resume {
            trainer = try GRPOTrainer.resuming(runDirectory: out, task: t, communicator: communicator)
            log("resuming '\(out)' at step \(trainer.step) of \(trainer.options.steps)")
        } else {
            guard let model else { throw ValidationError("--model is required unless --resume is given") }
            if communicator.isPrimary, FileManager.default.fileExists(atPath: out + "/latest") {
                throw ValidationError("'\(out)' already holds a run; pass --resume to continue it or choose another --out")
            }
            var options = GRPOOptions()
            grpo.apply(to: &options)
            options.steps = steps
            options.learningRate = lr
            options.budget = Budget(maxThinking: budget, maxAnswer: Budget.trainingAnswerTokens)
            options.difficulty = difficulty
            options.seed = seed
            options.checkpointEvery = checkpointEvery
            options.matmul = matmul ?? .float32
            try options.validate()
            trainer = try GRPOTrainer(model: try Checkpoint.loadModel(model), task: t, options: options, runDirectory: out,
                                      communicator: communicator)
        }
        try RankAgreement.require(communicator, arguments: CommandLine.arguments, model: trainer.model)
        let total = trainer.options.steps
        try trainer.run { s in
            log(String(format: "step %d/%d  reward %.3f  acc %.3f  think %.0f  cut %.2f  reflect %.2f  clip %.3f  kl %.4f  grad %.2f  groups %d  %.0f rollout tok/s",
                       s.step, total, s.reward, s.accuracy, s.thinkingTokens, s.cutFraction, s.reflectionRate,
                       s.clipFraction, s.kl, s.gradientNorm, s.groupsUsed, s.rolloutTokensPerSecond)
                + (s.verifierFailures > 0 ? "  verifier failures \(s.verifierFailures) (first: \(s.firstVerifierFailure ?? ""))" : ""))
        }
        if communicator.isPrimary { log("done: \(try Checkpoint.resolve(out))") }
    }
}
