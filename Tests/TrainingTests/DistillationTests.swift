import Foundation
import Testing
import TestSupport
import Model
import Reasoning
import Tasks
import Training

@Suite struct DistillationTests {
    @Test func theShortestCorrectSampleIsKeptAndCleanThinkingSkipsRightAnswersFromWrongSteps() {
        let task = Countdown()
        let p = Problem(task: "countdown", seed: 1, difficulty: 3, prompt: "", inputs: [8, 7, 12], target: 140, key: "(8+12)*7")
        let written: [(text: String, thinkingTokens: Int)] = [
            ("<think>Target 140 from 8 7 12.\n8+7=15, left 15 12\n</think>(8+7)*12", 30),                              // wrong answer
            ("<think>Target 140 from 8 7 12.\n8+12=21, left 21 7\n</think>(8+12)*7", 40),                             // right, by a slip
            ("<think>Target 140 from 8 7 12.\n8+12=20, left 20 7\n20*7=140 yes\n</think>(8+12)*7", 60),             // right and clean
            ("<think>Target 140 from 8 7 12.\n8+12=20, left 20 7\n20*7=140 yes\nCheck: fine\n</think>(8+12)*7", 60), // as long: not chosen
        ]
        // As `collect` sees them: scored by the verifier and audited once each.
        let samples = written.map { (thinkingTokens: $0.thinkingTokens, correct: task.score(p, completion: $0.text).correct,
                                     mistakes: task.audit(p, completion: $0.text)?.mistakes) }
        #expect(Distillation.kept(samples, cleanThinking: false) == 1)
        #expect(Distillation.kept(samples, cleanThinking: true) == 2)
        #expect(Distillation.kept(Array(samples.prefix(2)), cleanThinking: true) == nil)
        #expect(Distillation.kept([samples[0]], cleanThinking: false) == nil)
    }

    @Test func aStudentThatReadsItsBudgetLearnsTheSamplesUnderTheLineTheyWereDrawnWith() throws {
        let task = Countdown()
        let problem = task.generate(seed: 3, difficulty: 3)
        let kept = [WorkedExamples.Example(problem: problem, completion: task.trace(problem, style: .human)!)]
        var distillation = Distillation(task: task, difficulty: 3)
        distillation.budget.maxThinking = 100
        var config = ModelConfig.tiny(context: 256)
        #expect(distillation.dataset(kept, for: config, vocabulary: .strawberry).budgetLevels.isEmpty)
        config.budgetLevels = [0, 64, 128, 400]
        let tagged = distillation.dataset(kept, for: config, vocabulary: .strawberry)
        for step in 0..<12 {
            let batch = tagged.batch(step: step, size: 1, seed: 1)
            #expect(Vocabulary.strawberry.decode(batch.inputs.filter { $0 >= 0 }).contains("budget: 128<"),
                    "every draw shows the level a budget of 100 is shown as")
        }
        // distill.jsonl says so, so that `sft --data` on it (mixed with human traces) does the same.
        let line = try #require(try distillation.leveled(kept, for: config).first?.jsonLine())
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["budget_level"] as? Int == 128)
        #expect(distillation.leveled(kept, for: ModelConfig.tiny(context: 256)).first?.budgetLevel == nil)
    }

    /// A tiny teacher that has memorised the worked solutions of the first training problems.
    static func teacher(problems: Int) throws -> Transformer {
        let task = Arithmetic()
        let examples = WorkedExamples.make(task: task, difficulty: 1, split: .train, count: problems, style: .human,
                                           maxThinkingTokens: 100, seed: 1).examples
        let dataset = SFTDataset(examples: examples.map { SFTDataset.example(prompt: $0.problem.prompt, completion: $0.completion, maxTokens: 129, vocabulary: .strawberry).0 })
        var options = SFTOptions()
        options.steps = 150
        options.batchSize = 4
        options.learningRate = 1e-2
        options.warmupSteps = 10
        options.weightDecay = 0
        options.checkpointEvery = 1000
        let dir = Scratch.path("distill-teacher")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trainer = SFTTrainer(model: try Transformer(config: try ModelConfig.preset("tiny"), seed: 2), dataset: dataset,
                                 options: options, runDirectory: dir)
        try trainer.run()
        return trainer.model
    }

    @Test func onlyVerifiedCompletionsAreKept() throws {
        let task = Arithmetic()
        var distillation = Distillation(task: task, difficulty: 1)
        distillation.problems = 6
        distillation.samples = 3
        distillation.temperature = 1
        distillation.budget = Budget(maxThinking: 60, maxAnswer: 8)
        let teacher = try Self.teacher(problems: 6)
        let harvest = try distillation.collect(teacher: teacher)
        #expect(harvest.attempted == 6 && harvest.samplesDrawn == 18)
        #expect(!harvest.examples.isEmpty, "the memorising teacher solves some of its own problems")
        #expect(harvest.examples.count <= min(6, harvest.correctSamples))
        for e in harvest.examples {
            #expect(task.score(e.problem, completion: e.completion).correct, "\(e.completion)")
            #expect(e.completion.hasPrefix("<think>") && e.completion.contains("</think>"))
        }
        #expect(harvest.examples.contains { !$0.thinkingCut }, "memorised worked solutions end their thinking themselves")
        // Each kept example says how many of its problem's samples were right (for ReST-EM's filter):
        // every correct sample belongs to exactly one kept problem.
        #expect(harvest.examples.allSatisfy { (1...3).contains($0.solvedSamples ?? 0) })
        #expect(harvest.examples.reduce(0) { $0 + ($1.solvedSamples ?? 0) } == harvest.correctSamples)
        let line = try #require(try harvest.examples.first?.jsonLine())
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["solved_samples"] as? Int == harvest.examples.first?.solvedSamples)
        // A budget of 12 tokens closes every thinking (16 or more here): what is kept is marked, so its `</think>` is not learned.
        distillation.budget = Budget(maxThinking: 12, maxAnswer: 8)
        distillation.samples = 8
        let cut = try distillation.collect(teacher: teacher)
        #expect(!cut.examples.isEmpty, "the memorised answer survives a cut")
        #expect(cut.examples.allSatisfy { $0.thinkingCut })
        // An untrained teacher solves (almost) nothing, and nothing unverified slips through.
        let random = try distillation.collect(teacher: try Transformer(config: try ModelConfig.preset("tiny"), seed: 9))
        #expect(random.examples.count == Set(random.examples.map(\.problem.prompt)).count)
        for e in random.examples { #expect(task.score(e.problem, completion: e.completion).correct) }
    }

    @Test func answerCostAgreesWithTheEvaluator() throws {
        let task = Arithmetic()
        let model = try Self.teacher(problems: 6)
        var settings = EvalSettings(difficulty: 1, problems: 12, budgets: [60], strategies: ["single"])
        settings.maxAnswer = 8
        settings.seed = 4
        let eval = try Evaluator.run(model: model, modelName: "t", task: task, settings: settings)
        let cost = try AnswerCost.measure(model: model, task: task, difficulty: 1, count: 12, budget: 60, maxAnswer: 8,
                                          thinks: true, seed: 4)
        #expect(cost.accuracy == eval.cells[0].accuracy)
        #expect(cost.problems == 12 && cost.latencyP50 <= cost.latencyP95 && cost.tokensPerSecond > 0)
        #expect((cost.flopsPerCorrect == nil) == (cost.accuracy == 0))
    }
}
