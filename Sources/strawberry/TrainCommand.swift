import ArgumentParser
import Foundation
import Model
import Reasoning
import Tasks
import Training

/// `strawberry train`: the pipeline with its sizes exposed.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Worked solutions → SFT → evaluation → RL → evaluation → report.html, for any task and size.",
        discussion: """
        Example: strawberry train --task countdown --difficulty 3 --preset micro --out runs/cd3 --rl-steps 60

        RL is GRPO unless --rl-method expert-iteration: then each round the model samples --ei-samples \
        completions at --budget for --ei-problems training problems, the verifier keeps the shortest \
        correct one per problem, and the model is fine-tuned on them (--ei-steps at --ei-lr). A kept \
        completion that the budget cut is marked and its forced </think> is not learned, so the model \
        learns to answer well where the budget stops its search.
        """
    )

    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")).")
    var task = "countdown"

    @Option(help: "Difficulty.")
    var difficulty = 3

    @Option(help: "Model size: tiny, micro, small or base.")
    var preset = "micro"

    @Option(help: "Context in tokens (default: the preset's). Longer worked solutions need a longer context.")
    var context: Int?

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Worked solutions: human or tool (calculator calls), or none (answer only, no RL thinking).")
    var traces = "human"

    @Option(name: .customLong("search-order"), help: "Countdown's worked solutions: search the numbers as listed, shuffled (the trace restates them in a random order first, a choice RL can learn), or shuffled-operations (the order of + - * / too).")
    var searchOrder = "listed"

    @Option(help: "Training examples.")
    var examples = 20_000

    @Option(name: .customLong("max-thinking"), help: "Longest worked solution kept, in tokens.")
    var maxThinking = 170

    @Option(name: .customLong("sft-steps"), help: "SFT steps.")
    var sftSteps = 1200

    @Option(name: .customLong("sft-lr"), help: "SFT peak learning rate.")
    var sftLR: Float = 2e-3

    @Option(name: .customLong("cut-thinking"), help: SFTCommand.cutThinkingHelp)
    var cutThinking: Float = 0

    @Option(name: .customLong("rl-method"), help: "RL: grpo or expert-iteration.")
    var rlMethod = "grpo"

    @Option(name: .customLong("rl-steps"), help: "GRPO steps (0 skips RL).")
    var rlSteps = 30

    @Option(name: .customLong("rl-lr"), help: "GRPO learning rate.")
    var rlLR: Float = 5e-5

    @Option(help: "Thinking budget during RL.")
    var budget = 200

    @Option(name: .customLong("ei-rounds"), help: "Expert-iteration rounds (0 skips RL).")
    var eiRounds = 1

    @Option(name: .customLong("ei-problems"), help: "Training problems sampled in each expert-iteration round.")
    var eiProblems = 3000

    @Option(name: .customLong("ei-samples"), help: "Samples per problem in expert iteration; the shortest correct one is kept.")
    var eiSamples = 8

    @Option(name: .customLong("ei-temperature"), help: "Sampling temperature of expert iteration.")
    var eiTemperature: Float = 1

    @Option(name: .customLong("ei-steps"), help: "SFT steps of each expert-iteration round.")
    var eiSteps = 300

    @Option(name: .customLong("ei-lr"), help: "SFT peak learning rate of each expert-iteration round.")
    var eiLR: Float = 3e-4

    @Option(name: .customLong("eval-problems"), help: "Test problems per evaluation.")
    var evalProblems = 100

    @Option(help: "Comma-separated thinking budgets to evaluate.")
    var budgets = "0,32,64,128,200"

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    func run() throws {
        let t = try withSearchOrder(searchOrder, try resolveTask(task, difficulty: difficulty).task)
        guard let style = TraceStyle(rawValue: traces) else { throw ValidationError("--traces must be human, tool or none") }
        let budgetList = try parseBudgets(budgets)
        guard examples > 0, sftSteps > 0, rlSteps >= 0, evalProblems > 0, maxThinking > 0, budget >= 0 else {
            throw ValidationError("sizes must be positive")
        }
        guard let method = TrainingPipeline.RLMethod(rawValue: rlMethod) else {
            throw ValidationError("--rl-method must be \(TrainingPipeline.RLMethod.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        guard eiRounds >= 0, eiProblems > 0, eiSamples > 0, eiSteps > 0, eiTemperature > 0 else {
            throw ValidationError("--ei-problems, --ei-samples, --ei-steps and --ei-temperature must be positive, --ei-rounds at least 0")
        }
        if method == .expertIteration && style == .tool && eiRounds > 0 {
            throw ValidationError("--rl-method expert-iteration does not run with --traces tool yet; use grpo or human traces")
        }
        guard (0...1).contains(cutThinking) else { throw ValidationError("--cut-thinking must be between 0 and 1") }
        let config = try ModelConfig.preset(preset, contextLength: context)
        guard maxThinking < config.contextLength else {
            throw ValidationError("--max-thinking \(maxThinking) does not fit the \(config.contextLength)-token context; pass a larger --context")
        }
        var pipeline = TrainingPipeline(task: t, difficulty: difficulty, preset: preset, out: out)
        pipeline.contextLength = context
        pipeline.examples = examples
        pipeline.maxThinking = maxThinking
        pipeline.style = style
        pipeline.seed = seed
        pipeline.budgets = budgetList
        pipeline.evalProblems = evalProblems
        pipeline.sft = SFTOptions(steps: sftSteps, learningRate: sftLR, seed: seed)
        pipeline.sft.cutThinking = cutThinking > 0 ? cutThinking : nil
        pipeline.rl.steps = style == .none ? 0 : rlSteps
        pipeline.rl.learningRate = rlLR
        pipeline.rl.seed = seed
        pipeline.rl.budget = Budget(maxThinking: budget, maxAnswer: 24)
        pipeline.rlMethod = method
        pipeline.expertIteration.rounds = style == .none ? 0 : eiRounds
        pipeline.expertIteration.problems = eiProblems
        pipeline.expertIteration.samples = eiSamples
        pipeline.expertIteration.temperature = eiTemperature
        pipeline.expertIteration.budget = Budget(maxThinking: budget, maxAnswer: 24)
        pipeline.expertIteration.steps = eiSteps
        pipeline.expertIteration.learningRate = eiLR
        pipeline.expertIteration.seed = seed
        try runPipeline(pipeline)
    }
}
