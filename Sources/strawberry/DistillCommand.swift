import ArgumentParser
import Foundation
import Model
import Reasoning
import Tasks
import Training

/// `strawberry distill`: a mini model trained on a teacher's verified thinking.
struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distil a small model from a teacher: the teacher solves training problems, the verifier keeps the correct thinking, the student learns it.",
        discussion: """
        Writes distill.jsonl, student/ (and student-rl/, human/ when asked), comparison.json,
        comparison.md and report.html to --out, and prints the comparison: accuracy at each thinking
        budget, parameters, decode tokens/s, latency p50/p95 and compute per correct answer.
        Example: strawberry distill --teacher runs/quickstart/rl --student-preset tiny --out runs/quickstart-mini
        With --student the student starts from that model instead of a fresh one; --student equal to
        --teacher is expert iteration (the model learns its own shortest verified thinking). A kept
        completion whose thinking the --budget closed is marked "thinking_cut" in distill.jsonl, and its
        forced </think> is not learned.
        """
    )

    @Option(help: "Teacher run folder or checkpoint.")
    var teacher: String

    @Option(name: .customLong("student-preset"), help: "Student size: tiny, micro, small or base.")
    var studentPreset = "tiny"

    @Option(help: "Start the student from this model instead of a fresh --student-preset one.")
    var student: String?

    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")).")
    var task = "countdown"

    @Option(help: "Difficulty.")
    var difficulty = 3

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Training problems the teacher attempts.")
    var problems = 4000

    @Option(help: "Teacher samples per problem; the shortest correct one is kept.")
    var samples = 4

    @Option(help: "Teacher's thinking budget.")
    var budget = 200

    @Option(help: "Teacher's sampling temperature.")
    var temperature: Float = 0.7

    @Option(help: "Student SFT steps.")
    var steps = 1200

    @Option(help: "Student SFT peak learning rate.")
    var lr: Float = 2e-3

    @Option(name: .customLong("rl-steps"), help: "RL steps for the distilled student afterwards (0: none).")
    var rlSteps = 0

    @Flag(inversion: .prefixedNo, help: "Also train the same student on the human-written traces, for comparison.")
    var baseline = true

    @Option(name: .customLong("eval-problems"), help: "Test problems per evaluation.")
    var evalProblems = 100

    @Option(help: "Comma-separated thinking budgets to evaluate.")
    var budgets = "0,32,64,128,200"

    @Option(name: .customLong("cost-problems"), help: "Test problems answered one at a time to measure latency and speed.")
    var costProblems = 30

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    func run() throws {
        let start = Date()
        let (t, _) = try resolveTask(task, difficulty: difficulty)
        let budgetList = try parseBudgets(budgets)
        guard problems > 0, samples > 0, steps > 0, rlSteps >= 0, evalProblems > 0, costProblems > 0, budget >= 0 else {
            throw ValidationError("counts must be positive")
        }
        let initial = try student.map { try Checkpoint.loadModel($0) }
        let config = try initial?.config ?? ModelConfig.preset(studentPreset)
        if FileManager.default.fileExists(atPath: out + "/student/latest") {
            throw ValidationError("'\(out)' already holds a distillation; remove it or choose another --out")
        }
        let teacherModel = try Checkpoint.loadModel(teacher)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        log("1/4 teacher \(teacher) (\(teacherModel.config.parameterCount.formatted()) parameters) on \(problems) training problems, \(samples) samples each at budget \(budget)")
        var distillation = Distillation(task: t, difficulty: difficulty)
        distillation.problems = problems
        distillation.samples = samples
        distillation.budget = Budget(maxThinking: budget, maxAnswer: 24)
        distillation.temperature = temperature
        distillation.seed = seed
        let harvest = try distillation.collect(teacher: teacherModel, progress: log)
        guard !harvest.examples.isEmpty else { throw ValidationError("the teacher solved none of the \(problems) problems; nothing to distil") }
        try AtomicFile.write(try WorkedExamples.jsonLines(harvest.examples), to: out + "/distill.jsonl")
        let note = String(format: "The teacher solved %d of %d training problems (%d of %d samples correct, %.0f s); the shortest correct thinking of each became the student's data.",
                          harvest.examples.count, harvest.attempted, harvest.correctSamples, harvest.samplesDrawn, harvest.seconds)
        log("    " + note)

        func train(_ examples: [WorkedExamples.Example], into name: String, from model: Transformer?) throws -> Transformer {
            let dataset = SFTDataset(worked: examples, maxTokens: config.contextLength + 1,
                                     vocabulary: model?.vocabulary ?? .strawberry)
            let trainer = SFTTrainer(model: try model ?? Transformer(config: config, seed: seed), dataset: dataset,
                                     options: SFTOptions(steps: steps, learningRate: lr, seed: seed),
                                     runDirectory: out + "/" + name)
            try trainer.run { p in
                if p.step % 200 == 0 || p.step == p.totalSteps {
                    log(String(format: "    %@ step %d/%d  loss %.4f  %.0f tok/s", name, p.step, p.totalSteps, p.loss, p.tokensPerSecond))
                }
            }
            return trainer.model
        }
        log("2/4 student: \(student ?? studentPreset) (\(config.parameterCount.formatted()) parameters), \(steps) SFT steps on the teacher's thinking")
        let studentName = student == nil ? "mini, distilled" : student == teacher ? "self-distilled" : "student, distilled"
        var models: [(String, Transformer)] = [("teacher", teacherModel),
                                               (studentName, try train(harvest.examples, into: "student", from: initial))]
        if baseline && initial == nil {
            let human = WorkedExamples.make(task: t, difficulty: difficulty, split: .train, count: 20_000, style: .human,
                                            maxThinkingTokens: 170, seed: seed).examples
            log("    baseline: the same student on \(human.count) human-written traces")
            models.append(("mini, human traces", try train(human, into: "human", from: nil)))
        }
        if rlSteps > 0 {
            log("3/4 RL: \(rlSteps) steps on the distilled student")
            var options = GRPOOptions()
            options.steps = rlSteps
            options.difficulty = difficulty
            options.seed = seed
            options.budget = Budget(maxThinking: budget, maxAnswer: 24)
            let rl = try GRPOTrainer(model: models[1].1, task: t, options: options, runDirectory: out + "/student-rl")
            try rl.run { s in log(String(format: "    step %d/%d  reward %.3f  acc %.3f", s.step, rlSteps, s.reward, s.accuracy)) }
            models.append((studentName + " + RL", rl.model))
        }

        log("4/4 evaluation: \(evalProblems) test problems at budgets \(budgetList.map(String.init).joined(separator: ",")); cost on \(costProblems) one at a time")
        var settings = EvalSettings(difficulty: difficulty, problems: evalProblems, budgets: budgetList, strategies: ["single"])
        settings.maxAnswer = 24
        settings.seed = seed
        var entries: [DistillationReport.Entry] = []
        let costBudget = budgetList.max()!
        for (name, model) in models {
            let eval = try Evaluator.run(model: model, modelName: name, task: t, settings: settings)
            let cost = try AnswerCost.measure(model: model, task: t, difficulty: difficulty, count: costProblems, budget: costBudget,
                                              maxAnswer: 24, thinks: true, seed: seed)
            log(String(format: "    %@: greedy %.2f at budget %d, %.0f tokens/s, p50 %.0f ms", name,
                       eval.cells.last?.accuracy ?? 0, costBudget, cost.tokensPerSecond, cost.latencyP50 * 1000))
            entries.append(.init(name: name, parameters: model.config.parameterCount, eval: eval, cost: cost))
        }
        let report = DistillationReport(entries: entries, costBudget: costBudget, harvestNote: note)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(report), to: out + "/comparison.json")
        try AtomicFile.write(Data(report.markdown.utf8), to: out + "/comparison.md")
        try AtomicFile.write(Data(report.html.utf8), to: out + "/report.html")
        print(report.markdown, terminator: "")
        print("report: \(out)/report.html (\(duration(Date().timeIntervalSince(start))) in all)")
    }
}
