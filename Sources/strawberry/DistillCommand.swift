import ArgumentParser
import Cluster
import Foundation
import Kernels
import Model
import Reasoning
import Reports
import Tasks
import Training

/// `strawberry distill`: a mini model trained on a teacher's verified thinking.
struct DistillCommand: ParsableCommand, RunsAcrossRanks {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distil a small model from a teacher: the teacher solves training problems, the verifier keeps the correct thinking, the student learns it.",
        discussion: """
        Writes distill.jsonl, student/ (and student-rl/, human/ when asked), comparison.json, \
        comparison.md and report.html to --out, and prints the comparison: accuracy at each thinking \
        budget, parameters, decode tokens/s, latency p50/p95 and compute per correct answer.

        Example: strawberry distill --teacher runs/quickstart/rl --student-preset tiny --out runs/quickstart-mini

        With --student the student starts from that model instead of a fresh one; --student equal to \
        --teacher is expert iteration (the model learns its own shortest verified thinking). A kept \
        completion whose thinking the --budget closed is marked "thinking_cut" in distill.jsonl, and its \
        forced </think> is not learned; for a student that reads its budget each line also carries         "budget_level", the line it was drawn under and is learned under (also by `strawberry sft`).
        """
    )

    @Option(help: "Teacher run folder or checkpoint.")
    var teacher: String

    @Option(help: "Student size: tiny, micro, small or base.")
    var studentPreset = "tiny"

    @Option(help: "Start the student from this model instead of a fresh --student-preset one.")
    var student: String?

    @OptionGroup var taskOptions: TaskOptions

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Training problems the teacher attempts.")
    var problems = 4000

    @Option(help: "Teacher samples per problem; the shortest correct one is kept.")
    var samples = 4

    @Flag(help: "Keep only correct samples whose thinking has no arithmetic slip, false \"yes\" or missed solution (tasks that can audit their thinking: countdown).")
    var cleanThinking = false

    @Option(help: "Teacher's thinking budget.")
    var budget = 200

    @Option(help: "Teacher's sampling temperature.")
    var temperature: Float = 0.7

    @Option(help: "Student SFT steps.")
    var steps = 1200

    @Option(help: "Student SFT peak learning rate.")
    var lr: Float = 2e-3

    @Option(help: MatmulPrecision.help)
    var matmul = MatmulPrecision.float32

    @Option(help: "RL steps for the distilled student afterwards (0: none).")
    var rlSteps = 0

    @Flag(inversion: .prefixedNo, help: "Also train the same student on the human-written traces, for comparison.")
    var baseline = true

    @Option(help: "Test problems per evaluation.")
    var evalProblems = 100

    @Option(help: "Comma-separated thinking budgets to evaluate.")
    var budgets = BudgetList([0, 32, 64, 128, 200])

    @Option(help: "Test problems answered one at a time to measure latency and speed.")
    var costProblems = 30

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    func validate() throws {
        guard problems > 0, samples > 0, steps > 0, rlSteps >= 0, evalProblems > 0, costProblems > 0, budget >= 0, temperature > 0 else {
            throw ValidationError("--problems, --samples, --steps, --eval-problems, --cost-problems and --temperature must be positive, --rl-steps and --budget at least 0")
        }
        _ = try ModelConfig.preset(studentPreset)
    }

    func run() throws {
        let start = Date()
        let (t, difficulty) = try taskOptions.resolve()
        let initial = try student.map { try Checkpoint.loadModel($0) }
        let name = student == nil ? "mini, distilled" : student == teacher ? "self-distilled" : "student, distilled"
        var pipeline = DistillationPipeline(task: t, difficulty: difficulty, out: out, teacher: try Checkpoint.loadModel(teacher),
                                            teacherName: teacher, student: initial, studentName: name,
                                            studentConfig: try initial?.config ?? ModelConfig.preset(studentPreset))
        pipeline.harvest.problems = problems
        pipeline.harvest.samples = samples
        pipeline.harvest.cleanThinking = cleanThinking
        pipeline.harvest.budget = Budget(maxThinking: budget, maxAnswer: Budget.trainingAnswerTokens)
        pipeline.harvest.temperature = temperature
        pipeline.harvest.seed = seed
        pipeline.sftSteps = steps
        pipeline.sftLearningRate = lr
        pipeline.sftMatmul = matmul
        pipeline.humanBaseline = baseline
        pipeline.rlSteps = rlSteps
        pipeline.evalProblems = evalProblems
        pipeline.budgets = budgets.values
        pipeline.costProblems = costProblems
        pipeline.seed = seed
        let communicator = try Cluster.join()
        pipeline.communicator = communicator
        try RankAgreement.require(communicator, arguments: CommandLine.arguments, model: pipeline.teacher)
        let report = try pipeline.run(log: log(on: communicator))
        guard communicator.isPrimary else { return }
        print(report.markdown, terminator: "")
        print("report: \(out)/report.html (\(DurationText.of(Date().timeIntervalSince(start))) in all)")
    }
}
