import Cluster
import Foundation
import Kernels
import Model
import Reasoning
import Reports
import Tasks

/// `strawberry distill` end to end: the teacher's verified thinking harvested (`distill.jsonl`),
/// a student trained on it (`student/`), optionally the same student on human traces (`human/`)
/// and RL on the distilled one (`student-rl/`), then every model evaluated and measured for
/// speed and latency (`comparison.json`, `comparison.md`, `report.html`).
public struct DistillationPipeline: Sendable {
    public var task: any ReasoningTask
    public var difficulty: Int
    public var out: String
    /// The teacher, and its name in the report.
    public var teacher: Transformer
    public var teacherName: String
    /// The student's starting model (nil: a fresh `studentConfig` one), and its name.
    public var student: Transformer?
    public var studentName: String
    public var studentConfig: ModelConfig
    public var harvest: Distillation
    public var sftSteps = 1200
    public var sftLearningRate: Float = 2e-3
    /// The students' linear-layer products (`sft --matmul`).
    public var sftMatmul = MatmulPrecision.float32
    /// Also train the fresh student on human traces, for comparison.
    public var humanBaseline = true
    public var rlSteps = 0
    public var evalProblems = 100
    public var budgets = [0, 32, 64, 128, 200]
    /// Test problems answered one at a time to measure latency and speed.
    public var costProblems = 30
    public var seed: UInt64 = 1
    /// The job's ranks, which share the sampling, the SFT and RL batches and the evaluations; rank 0 writes.
    public var communicator: any Communicator = SingleProcess()

    public init(task: any ReasoningTask, difficulty: Int, out: String, teacher: Transformer, teacherName: String,
                student: Transformer?, studentName: String, studentConfig: ModelConfig) {
        self.task = task
        self.difficulty = difficulty
        self.out = out
        self.teacher = teacher
        self.teacherName = teacherName
        self.student = student
        self.studentName = studentName
        self.studentConfig = studentConfig
        harvest = Distillation(task: task, difficulty: difficulty)
    }

    /// Runs every stage, `log` receiving progress lines; returns the comparison it wrote.
    public func run(log: (String) -> Void) throws -> DistillationReport {
        let primary = communicator.isPrimary
        if primary, FileManager.default.fileExists(atPath: out + "/student/latest") {
            throw TrainingError.run("'\(out)' already holds a distillation; remove it or choose another --out")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let h = harvest
        log("1/4 teacher \(teacherName) (\(teacher.config.parameterCount.formatted()) parameters) on \(h.problems) training problems, \(h.samples) samples each at budget \(h.budget.maxThinking)")
        let harvested = try h.collect(teacher: teacher, communicator: communicator, progress: log)
        guard !harvested.examples.isEmpty else {
            throw TrainingError.run("the teacher solved none of the \(h.problems) problems; nothing to distil")
        }
        if primary {
            try AtomicFile.write(try WorkedExamples.jsonLines(h.leveled(harvested.examples, for: studentConfig)), to: out + "/distill.jsonl")
        }
        let note = String(format: "The teacher solved %d of %d training problems (%d of %d samples correct, %.0f s); the shortest correct thinking of each became the student's data.",
                          harvested.examples.count, harvested.attempted, harvested.correctSamples, harvested.samplesDrawn, harvested.seconds)
        log("    " + note)

        var sftOptions = SFTOptions(steps: sftSteps, learningRate: sftLearningRate, seed: seed)
        sftOptions.matmul = sftMatmul
        func train(_ dataset: SFTDataset, into name: String, from model: Transformer?) throws -> Transformer {
            let trainer = SFTTrainer(model: try model ?? Transformer(config: studentConfig, seed: seed), dataset: dataset,
                                     options: sftOptions,
                                     runDirectory: out + "/" + name, communicator: communicator)
            try trainer.run { p in if p.isDue(every: 200) { log("    \(name) " + p.line()) } }
            return trainer.model
        }
        log("2/4 student: \(studentName) (\(studentConfig.parameterCount.formatted()) parameters), \(sftSteps) SFT steps on the teacher's thinking")
        let distilled = h.dataset(harvested.examples, for: studentConfig, vocabulary: student?.vocabulary ?? .strawberry)
        var models: [(String, Transformer)] = [("teacher", teacher), (studentName, try train(distilled, into: "student", from: student))]
        if humanBaseline && student == nil {
            let human = WorkedExamples.make(task: task, difficulty: difficulty, split: .train, count: 20_000, style: .human,
                                            maxThinkingTokens: 170, seed: seed).examples
            log("    baseline: the same student on \(human.count) human-written traces")
            let dataset = SFTDataset(worked: human, maxTokens: studentConfig.contextLength + 1, vocabulary: .strawberry,
                                     budgetLevels: studentConfig.budgetLevels)
            models.append(("mini, human traces", try train(dataset, into: "human", from: nil)))
        }
        if rlSteps > 0 {
            log("3/4 RL: \(rlSteps) steps on the distilled student")
            var options = GRPOOptions()
            options.steps = rlSteps
            options.difficulty = difficulty
            options.seed = seed
            options.budget = Budget(maxThinking: h.budget.maxThinking, maxAnswer: Budget.trainingAnswerTokens)
            let rl = try GRPOTrainer(model: models[1].1, task: task, options: options, runDirectory: out + "/student-rl",
                                     communicator: communicator)
            try rl.run { s in log(String(format: "    step %d/%d  reward %.3f  acc %.3f", s.step, rlSteps, s.reward, s.accuracy)) }
            models.append((studentName + " + RL", rl.model))
        }

        log("4/4 evaluation: \(evalProblems) test problems at budgets \(budgets.map(String.init).joined(separator: ",")); cost on \(costProblems) one at a time")
        var settings = EvalSettings(difficulty: difficulty, problems: evalProblems, budgets: budgets, strategies: ["single"])
        settings.maxAnswer = Budget.trainingAnswerTokens
        settings.seed = seed
        var entries: [DistillationReport.Entry] = []
        let costBudget = budgets.max() ?? 0
        for (name, model) in models {
            let eval = try Evaluator.run(model: model, modelName: name, task: task, settings: settings, communicator: communicator)
            let cost = try AnswerCost.measure(model: model, task: task, difficulty: difficulty, count: costProblems, budget: costBudget,
                                              maxAnswer: Budget.trainingAnswerTokens, thinks: true, seed: seed)
            log(String(format: "    %@: greedy %.2f at budget %d, %.0f tokens/s, p50 %.0f ms", name,
                       eval.cells.last?.accuracy ?? 0, costBudget, cost.tokensPerSecond, cost.latencyP50 * 1000))
            entries.append(.init(name: name, parameters: model.config.parameterCount, eval: eval, cost: cost))
        }
        let report = DistillationReport(entries: entries, costBudget: costBudget, harvestNote: note)
        guard primary else { return report }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(report), to: out + "/comparison.json")
        try AtomicFile.write(Data(report.markdown.utf8), to: out + "/comparison.md")
        try AtomicFile.write(Data(report.html.utf8), to: out + "/report.html")
        return report
    }
}
