import ArgumentParser
import Cluster
import Foundation
import Kernels
import Model
import Reasoning
import Tasks
import Training

/// `strawberry train`: the pipeline with its sizes exposed.
struct TrainCommand: ParsableCommand, RunsAcrossRanks {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Worked solutions → SFT → evaluation → RL → evaluation → report.html, for any task and size.",
        discussion: """
        Example: strawberry train --task countdown --difficulty 3 --preset micro --out runs/cd3 --control-steps 300

        RL is expert iteration, the recipe that came closest to beating its compute-matched control: \
        each round the model samples --ei-samples completions at --budget for --ei-problems training \
        problems, the verifier keeps the shortest correct one per problem, and the model is fine-tuned \
        on them (--ei-steps at --ei-lr, half of the kept thinking cut at a uniform point). A kept \
        completion that the budget cut is marked and its forced </think> is not learned, so the model \
        learns to answer well where the budget stops its search. --rl-method grpo runs GRPO instead \
        (--rl-steps steps).

        Under MPI (a build with `--traits MPI`), `mpirun -np 2 strawberry train …` shares every stage \
        among the ranks: SFT and GRPO batches, expert-iteration sampling, evaluation; rank 0 writes.
        """
    )

    @OptionGroup var taskOptions: TaskOptions

    @Option(help: "Model size: tiny, micro, small or base.")
    var preset = "micro"

    @Option(help: "Context in tokens (default: the preset's). Longer worked solutions need a longer context.")
    var context: Int?

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Worked solutions: human, tool (calculator calls), brief (no steps back, no final check), hurried (the human search, the step nearest the target first), checked (a check that works the answer out again and, for half of the problems, catches a false claim first), or none (answer only, no RL thinking).")
    var traces = TraceStyle.human

    @Option(help: Countdown.SearchOrder.help)
    var searchOrder = Countdown.SearchOrder.listed

    @Option(help: "Training examples.")
    var examples = 20_000

    @Option(help: "Longest worked solution kept, in tokens.")
    var maxThinking = 170

    @Option(help: "SFT steps.")
    var sftSteps = 1200

    @Option(name: .customLong("sft-lr"), help: "SFT peak learning rate.")
    var sftLearningRate: Float = 2e-3

    @Option(help: SFTCommand.cutThinkingHelp)
    var cutThinking: Float = 0.5

    @Option(help: "SFT steps of a second stage: --sft-steps then learn whole searches (nothing cut), and this stage cuts --cut-thinking of the thinking at --cut-stage-lr, into sft-cut/, the start RL and the control take. 0: one stage, cut from the first step. (1200 steps then 400, at a 512-token context with --max-thinking 400, --ei-partly-solved and --ei-mix-worked: RL beat its control by +4.9 ± 1.9 points at budget 128 over three seeds; docs/EXPERIMENTS.md.)")
    var cutStageSteps = 0

    @Option(name: .customLong("cut-stage-lr"), help: "Peak learning rate of the --cut-stage-steps stage.")
    var cutStageLearningRate: Float = 5e-4

    @Option(help: BudgetTagList.help)
    var budgetTags: BudgetTagList?

    @Option(help: SFTCommand.budgetTopShareHelp)
    var budgetTopShare: Float = 0

    @Option(help: SFTCommand.briefBelowHelp)
    var briefBelow = 0

    @Option(help: MatmulPrecision.help)
    var matmul = MatmulPrecision.float32

    @Option(help: SFTCommand.briefTracesHelp)
    var briefTraces = SmallBudgetTraces.brief

    @Option(help: "RL: expert-iteration or grpo.")
    var rlMethod = TrainingPipeline.RLMethod.expertIteration

    /// GRPO's steps when `--rl-steps` is not given.
    static let defaultRLSteps = 30

    @Option(help: "GRPO steps (with --rl-method grpo; 0 skips RL). (default: \(TrainCommand.defaultRLSteps))")
    var rlSteps: Int?

    @Option(name: .customLong("rl-lr"), help: "GRPO learning rate.")
    var rlLearningRate: Float = 5e-5

    @Option(help: "Thinking budget during RL.")
    var budget = 128

    @OptionGroup(title: "GRPO") var grpo: GRPOArguments

    @Option(help: "Expert-iteration rounds (0 skips RL).")
    var eiRounds = 1

    @Option(help: "Training problems sampled in each expert-iteration round.")
    var eiProblems = 3000

    @Option(help: "Samples per problem in expert iteration; the shortest correct one is kept.")
    var eiSamples = 8

    @Flag(help: "Expert iteration keeps only correct samples whose thinking has no arithmetic slip, false \"yes\" or missed solution (countdown).")
    var eiCleanThinking = false

    @Option(help: "Sampling temperature of expert iteration.")
    var eiTemperature: Float = 1

    @Option(help: "SFT steps of each expert-iteration round.")
    var eiSteps = 300

    @Option(name: .customLong("ei-lr"), help: "SFT peak learning rate of each expert-iteration round.")
    var eiLearningRate: Float = 3e-4

    @Option(help: "Share of the kept samples whose thinking each expert-iteration round's SFT cuts at a uniform point and answers at once, as --cut-thinking does for SFT: the model keeps practising answers after a short cut (0.5 kept expert iteration within 1.5 points of its control at budgets 0-64, where without it lost 6-8).")
    var eiCutThinking: Float = 0.5

    @Flag(inversion: .prefixedNo, help: "Expert iteration fine-tunes only on the problems that some but not every sample solved (ReST-EM's filter).")
    var eiPartlySolved = false

    @Flag(inversion: .prefixedNo, help: "Expert iteration mixes the samples it fine-tunes on 1:1 with worked solutions of the SFT data, drawn afresh each round (as ReST-EM and RAFT do). The same recipe run from files, with --ei-partly-solved's filter, a 512-token context and 400-token worked solutions, beat the compute-matched control by +6.1 ± 0.8 points at budget 128 on three seeds, level at 400; at the quickstart's size it changed nothing (docs/EXPERIMENTS.md).")
    var eiMixWorked = false

    @Option(help: "SFT steps a copy of the SFT model gets on the worked solutions instead of RL (at --ei-lr, thinking cut as in SFT): the compute-matched control, evaluated beside RL and paired with it problem by problem. 0: none.")
    var controlSteps = 0

    @Option(help: "Test problems per evaluation.")
    var evalProblems = 100

    @Option(help: "Comma-separated thinking budgets to evaluate.")
    var budgets = BudgetList([0, 32, 64, 128, 200])

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    @Option(help: "Seed that picks the test problems instead (default: --seed); fix it so every seed of a comparison meets the same problems, as `eval --problem-seed` does.")
    var problemSeed: UInt64?

    /// `--rl-steps`, or GRPO's default.
    var grpoSteps: Int { rlSteps ?? Self.defaultRLSteps }

    func validate() throws {
        if (grpo.rewardCuts != nil || grpo.greedyBaseline) && rlMethod != .grpo {
            throw ValidationError("--reward-cuts and --greedy-baseline shape GRPO's rewards; add --rl-method grpo (expert iteration keeps verified samples instead)")
        }
        if (eiPartlySolved || eiMixWorked) && rlMethod != .expertIteration {
            throw ValidationError("--ei-partly-solved and --ei-mix-worked choose what expert iteration fine-tunes on; GRPO has no kept samples to filter or mix, so drop them or leave out --rl-method grpo")
        }
        if rlSteps != nil && rlMethod != .grpo {
            throw ValidationError("--rl-steps counts GRPO steps; add --rl-method grpo, or set expert iteration's rounds with --ei-rounds (0 skips RL)")
        }
        guard examples > 0, sftSteps > 0, grpoSteps >= 0, evalProblems > 0, maxThinking > 0, budget >= 0, controlSteps >= 0 else {
            throw ValidationError("--examples, --sft-steps, --eval-problems and --max-thinking must be positive, --rl-steps, --budget and --control-steps at least 0")
        }
        guard eiRounds >= 0, eiProblems > 0, eiSamples > 0, eiSteps > 0, eiTemperature > 0, (0...1).contains(eiCutThinking) else {
            throw ValidationError("--ei-problems, --ei-samples, --ei-steps and --ei-temperature must be positive, --ei-rounds at least 0, --ei-cut-thinking from 0 to 1")
        }
        if rlMethod == .expertIteration && traces == .tool && eiRounds > 0 {
            throw ValidationError("expert iteration (the default RL) does not run with --traces tool yet; add --rl-method grpo, or use human traces")
        }
        let rlRuns = traces != .none && (rlMethod == .grpo ? grpoSteps > 0 : eiRounds > 0)
        if controlSteps > 0 && !rlRuns {
            throw ValidationError("--control-steps trains a control for the RL stage, and there is none: set --rl-steps (GRPO) or --ei-rounds (expert iteration) above 0, with human or tool traces")
        }
        guard cutStageSteps >= 0, cutStageLearningRate.isFinite, cutStageLearningRate > 0 else {
            throw ValidationError("--cut-stage-steps must be at least 0 and --cut-stage-lr positive")
        }
        guard (0...1).contains(cutThinking) else { throw ValidationError("--cut-thinking must be between 0 and 1") }
        guard (0...1).contains(budgetTopShare) else { throw ValidationError("--budget-top-share must be between 0 and 1") }
        guard briefBelow >= 0 else { throw ValidationError("--brief-below must be at least 0") }
        try SFTCommand.validateBriefTraces(briefTraces, used: briefBelow > 0, by: "--brief-below")
        if briefBelow > 0, budgetTags == nil {
            throw ValidationError("--brief-below chooses what budget levels show; add --budget-tags")
        }
        let config = try ModelConfig.preset(preset, contextLength: context)
        guard maxThinking < config.contextLength else {
            throw ValidationError("--max-thinking \(maxThinking) does not fit the \(config.contextLength)-token context; pass a larger --context")
        }
    }

    func run() throws {
        let (resolved, difficulty) = try taskOptions.resolve()
        let t = try searchOrder.apply(to: resolved)
        let style = traces
        var pipeline = TrainingPipeline(task: t, difficulty: difficulty, preset: preset, out: out)
        pipeline.contextLength = context
        pipeline.examples = examples
        pipeline.maxThinking = maxThinking
        pipeline.style = style
        pipeline.seed = seed
        pipeline.budgets = budgets.values
        pipeline.evalProblems = evalProblems
        pipeline.problemSeed = problemSeed
        pipeline.sft = SFTOptions(steps: sftSteps, learningRate: sftLearningRate, seed: seed)
        pipeline.sft.cutThinking = cutThinking
        pipeline.sft.budgetTopShare = budgetTopShare
        pipeline.sft.briefBelow = briefBelow
        pipeline.sft.matmul = matmul
        pipeline.cutStageSteps = cutStageSteps
        pipeline.cutStageLearningRate = cutStageLearningRate
        pipeline.briefStyle = briefTraces.style
        pipeline.budgetLevels = budgetTags?.levels ?? []
        grpo.apply(to: &pipeline.rl)
        pipeline.rl.steps = style == .none ? 0 : grpoSteps
        pipeline.rl.learningRate = rlLearningRate
        pipeline.rl.seed = seed
        pipeline.rl.matmul = matmul
        pipeline.rl.budget = Budget(maxThinking: budget, maxAnswer: Budget.trainingAnswerTokens)
        pipeline.rlMethod = rlMethod
        if rlMethod == .grpo { try pipeline.rl.validate() }
        pipeline.expertIteration.rounds = style == .none ? 0 : eiRounds
        pipeline.expertIteration.problems = eiProblems
        pipeline.expertIteration.samples = eiSamples
        pipeline.expertIteration.temperature = eiTemperature
        pipeline.expertIteration.budget = Budget(maxThinking: budget, maxAnswer: Budget.trainingAnswerTokens)
        pipeline.expertIteration.steps = eiSteps
        pipeline.expertIteration.cutThinking = eiCutThinking
        pipeline.expertIteration.learningRate = eiLearningRate
        pipeline.expertIteration.seed = seed
        pipeline.expertIteration.cleanThinking = eiCleanThinking
        pipeline.expertIteration.partlySolvedOnly = eiPartlySolved
        pipeline.expertIteration.mixWithWorked = eiMixWorked
        pipeline.controlSteps = controlSteps
        pipeline.communicator = try Cluster.join()
        if pipeline.communicator.size > 1 {
            // Every rank builds the same data and model from the same options; a fresh model has no weights to compare yet.
            try pipeline.communicator.requireSameSettings(RankAgreement.options(Array(CommandLine.arguments.dropFirst())))
        }
        try runPipeline(pipeline)
    }
}
