import Foundation
import Testing
import TestSupport
import Model
import Reasoning
import Tasks
@testable import Training

/// A budget the model can see (`sft --budget-tags`): the prompt's `budget: N` line, thinking
/// closed at the level in training, and the engine showing the level of the budget it runs at.
@Suite struct BudgetTagTests {
    static let vocabulary = Vocabulary.strawberry
    static let completion = "<think>abcdefgh</think>42"

    static func text(_ tokens: some Sequence<Int32>) -> String { vocabulary.decode(Array(tokens)) }

    @Test func aBudgetIsShownAsTheSmallestLevelThatHoldsIt() {
        let levels = [0, 32, 128, 400]
        #expect(BudgetTag.level(forThinking: 0, in: levels) == 0)
        #expect(BudgetTag.level(forThinking: 1, in: levels) == 32)
        #expect(BudgetTag.level(forThinking: 128, in: levels) == 128)
        #expect(BudgetTag.level(forThinking: 129, in: levels) == 400)
        #expect(BudgetTag.level(forThinking: 5000, in: levels) == 400, "beyond every level: the largest")
        #expect(BudgetTag.level(forThinking: 64, in: []) == nil, "a model without levels sees no line")
        #expect(BudgetTag.tagged("Use 3 4 to make 7.", level: 32) == "Use 3 4 to make 7.\nbudget: 32")
        #expect(BudgetTag.tagged("q", level: nil) == "q")
        #expect(throws: ModelError.self) { try BudgetTag.validate([32, 32]) }
        #expect(throws: ModelError.self) { try BudgetTag.validate([-1]) }
    }

    /// At a level below the thinking's length the thinking keeps its first `level` tokens and
    /// closes there with a learned `</think>`; at a level above, it is the untagged example with
    /// the budget line in its prompt.
    @Test func trainingExamplesCloseTheirThinkingAtTheirLevel() {
        let untagged = SFTDataset.example(prompt: "q", completion: Self.completion, maxTokens: 64, vocabulary: Self.vocabulary).0
        let short = SFTDataset.example(prompt: "q", completion: Self.completion, maxTokens: 64, vocabulary: Self.vocabulary,
                                       budgetLevel: 3).0
        #expect(Self.text(short.tokens[..<short.completionStart]) == Self.text(Self.vocabulary.prompt("q\nbudget: 3")))
        #expect(short.thinking.map { Self.text(short.tokens[$0]) } == "abc")
        let close = short.thinking!.upperBound
        #expect(short.tokens[close] == Self.vocabulary.markers.thinkEnd)
        #expect(short.learned[close], "the model saw its budget, so closing there is its own decision: learned")
        #expect(Self.text(short.tokens[(close + 1)...]) == "42" + Self.text([Self.vocabulary.markers.endOfTurn]))
        #expect(short.learned[(close + 1)...].allSatisfy { $0 })

        let long = SFTDataset.example(prompt: "q", completion: Self.completion, maxTokens: 64, vocabulary: Self.vocabulary,
                                      budgetLevel: 400).0
        #expect(Array(long.tokens[long.completionStart...]) == Array(untagged.tokens[untagged.completionStart...]))
        #expect(Array(long.learned[long.completionStart...]) == Array(untagged.learned[untagged.completionStart...]))

        let none = SFTDataset.example(prompt: "q", completion: Self.completion, maxTokens: 64, vocabulary: Self.vocabulary,
                                      budgetLevel: 0).0
        #expect(none.thinking == (none.completionStart + 1)..<(none.completionStart + 1), "level 0: <think></think> at once")
    }

    @Test func eachDrawTakesOneLevelReproducibly() throws {
        let problem = Problem(task: "test", seed: 0, difficulty: 1, prompt: "q", key: "42")
        let levels = [0, 2, 5, 100]
        let dataset = SFTDataset(worked: [WorkedExamples.Example(problem: problem, completion: Self.completion)],
                                 maxTokens: 64, vocabulary: Self.vocabulary, budgetLevels: levels)
        var seen = Set<String>()
        for step in 0..<60 {
            let batch = dataset.batch(step: step, size: 1, seed: 3)
            let again = dataset.batch(step: step, size: 1, seed: 3)
            #expect(batch.inputs == again.inputs, "the level is a function of seed and step")
            let text = Self.text(batch.inputs + [batch.targets.last!])
            let level = try #require(levels.first { text.contains("budget: \($0)\n") || text.contains("budget: \($0)<") })
            let thinking = try #require(text.range(of: "<think>").flatMap { open in
                text.range(of: "</think>").map { String(text[open.upperBound..<$0.lowerBound]) }
            })
            #expect(thinking == String("abcdefgh".prefix(level)))
            seen.insert(text)
        }
        #expect(seen.count == levels.count, "every level is drawn")
    }

    /// A line with its own `"budget_level"` (a sample drawn under that line) is shown only under
    /// it; the others still draw a level; a level the model does not read is refused.
    @Test func aLineWithItsOwnLevelIsShownOnlyUnderIt() throws {
        let path = Scratch.path("own-level", suffix: ".jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let levels = [0, 2, 5, 100]
        try Data((#"{"prompt":"q","completion":"<think>abcdefgh</think>42","budget_level":5}"# + "\n"
                  + #"{"prompt":"r","completion":"<think>abcdefgh</think>42"}"# + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let dataset = try SFTDataset.load(path: path, maxTokens: 64, vocabulary: Self.vocabulary, budgetLevels: levels)
        var fixed = Set<String>(), drawn = Set<String>()
        for step in 0..<40 {
            let text = Self.text(dataset.batch(step: step, size: 1, seed: 7).inputs)
            if text.contains("q\nbudget") { fixed.insert(text) } else { drawn.insert(text) }
        }
        #expect(fixed.count == 1 && fixed.first!.contains("budget: 5") && fixed.first!.contains("<think>abcde</think>"))
        #expect(drawn.count == levels.count, "the line without its own level draws every level")
        for (line, why) in [(#"{"prompt":"q","completion":"<think>ab</think>1","budget_level":64}"#, "not one of the levels"),
                            (#"{"prompt":"q","completion":"<think>ab</think>1","budget_level":"5"}"#, "not a number")] {
            try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: TrainingError.self, "\(why)") {
                try SFTDataset.load(path: path, maxTokens: 64, vocabulary: Self.vocabulary, budgetLevels: levels)
            }
        }
        #expect(throws: TrainingError.self, "a model without levels") {
            try SFTDataset.load(path: path, maxTokens: 64, vocabulary: Self.vocabulary)
        }
    }

    /// `budgetTopShare` shows the largest level that much more often; 0 keeps the uniform draw.
    @Test func aTopShareDrawsTheLargestLevelThatOften() throws {
        let problem = Problem(task: "test", seed: 0, difficulty: 1, prompt: "q", key: "42")
        let levels = [0, 2, 100, 5]
        let dataset = SFTDataset(worked: [WorkedExamples.Example(problem: problem, completion: Self.completion)],
                                 maxTokens: 64, vocabulary: Self.vocabulary, budgetLevels: levels)
        func topShare(_ share: Float) -> Double {
            let draws = 2_000
            let top = (0..<draws).filter { step in
                let batch = dataset.batch(step: step, size: 1, seed: 5, budgetTopShare: share)
                return Self.text(batch.inputs).contains("budget: 100")
            }.count
            return Double(top) / Double(draws)
        }
        // Expected: share + (1 − share) / 4; 2,000 draws give a standard deviation under 0.012.
        #expect(abs(topShare(0) - 0.25) < 0.05)
        #expect(abs(topShare(0.5) - 0.625) < 0.05)
        #expect(topShare(1) == 1)
    }

    /// Levels below `briefBelow` show the example's brief solution (cut at the level if still too
    /// long), the others its human one; an example without a brief one shows the human one.
    @Test func levelsBelowTheBriefLineShowTheBriefSolution() throws {
        let problem = Problem(task: "test", seed: 0, difficulty: 1, prompt: "q", key: "42")
        let levels = [2, 4, 100]
        let dataset = SFTDataset(worked: [WorkedExamples.Example(problem: problem, completion: Self.completion, brief: "<think>xyz</think>42"),
                                          WorkedExamples.Example(problem: problem, completion: Self.completion)],
                                 maxTokens: 64, vocabulary: Self.vocabulary, budgetLevels: levels, briefBelow: 100)
        func thinking(_ example: SFTDataset.Example) -> String { Self.text(example.tokens[example.thinking!]) }
        #expect(dataset.leveled[0].map(thinking) == ["xy", "xyz", "abcdefgh"])
        #expect(dataset.leveled[1].map(thinking) == ["ab", "abcd", "abcdefgh"], "no brief solution: the human one")
        #expect(dataset.examples.map(thinking) == ["abcdefgh", "abcdefgh"], "without a level: the human one")
        let closed = dataset.leveled[0][1]
        #expect(Self.text(closed.tokens[closed.thinking!.upperBound...]) == "</think>42" + Self.text([Self.vocabulary.markers.endOfTurn]))

        let path = Scratch.path("brief", suffix: ".jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let line = try WorkedExamples.Example(problem: problem, completion: Self.completion, brief: "<think>xyz</think>42").jsonLine()
        try line.write(to: URL(fileURLWithPath: path))
        let loaded = try SFTDataset.load(path: path, maxTokens: 64, vocabulary: Self.vocabulary, budgetLevels: levels, briefBelow: 5)
        #expect(loaded.leveled[0].map(thinking) == ["xy", "xyz", "abcdefgh"])
        try Data(#"{"prompt":"q","completion":"<think>ab</think>1"}"#.utf8 + [10]).write(to: URL(fileURLWithPath: path))
        #expect(throws: TrainingError.self, "brief levels asked of a file without brief solutions") {
            try SFTDataset.load(path: path, maxTokens: 64, vocabulary: Self.vocabulary, budgetLevels: levels, briefBelow: 5)
        }
        try Data(#"{"prompt":"q","completion":"<think>ab</think>1","brief":7}"#.utf8 + [10]).write(to: URL(fileURLWithPath: path))
        #expect(throws: TrainingError.self) { try SFTDataset.load(path: path, maxTokens: 64, vocabulary: Self.vocabulary) }
    }

    /// `data --with-brief --brief-traces hurried` writes each problem's hurried search as the
    /// solution small levels show; a style that is not for small budgets, or one with nothing to
    /// write it into, is refused by `data` and `train`.
    @Test func theSmallLevelsSolutionsCanBeTheHurriedSearch() throws {
        try #require(StrawberryProcess.executable != nil, "the strawberry executable is built beside the tests")
        let written = try StrawberryProcess.run(["data", "--n", "4", "--with-brief", "--brief-traces", "hurried"])
        #expect(written.status == 0, "\(written.output)")
        let (examples, _) = WorkedExamples.make(task: Countdown(), difficulty: 3, split: .train, count: 4, style: .human,
                                                maxThinkingTokens: 4096, briefStyle: .hurried)
        #expect(written.output == String(decoding: try WorkedExamples.jsonLines(examples), as: UTF8.self))
        for e in examples {
            #expect(e.brief == Countdown().trace(e.problem, style: .hurried, maxThinkingTokens: 4096))
        }
        #expect(examples.contains { $0.brief != $0.completion }, "the hurried order differs from the human one somewhere")
        let out = Scratch.path("refused-brief")
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (arguments, reason) in [(["data", "--brief-traces", "hurried"], "no effect without --with-brief"),
                                    (["data", "--with-brief", "--brief-traces", "human"], "'human' is invalid"),
                                    (["train", "--out", out, "--brief-traces", "hurried"], "no effect without --brief-below")] {
            let refused = try StrawberryProcess.run(arguments)
            #expect(refused.status != 0 && refused.output.contains(reason), "\(arguments): \(refused.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aLoadedFileRefusesAPromptThatOnlyFitsWithoutItsBudgetLine() throws {
        let path = Scratch.path("tags", suffix: ".jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let prompt = String(repeating: "x", count: 40)
        try Data(#"{"prompt":"\#(prompt)","completion":"<think>ab</think>1"}"#.utf8 + [10]).write(to: URL(fileURLWithPath: path))
        let fits = Self.vocabulary.prompt(prompt).count + 4
        _ = try SFTDataset.load(path: path, maxTokens: fits, vocabulary: Self.vocabulary)
        #expect(throws: TrainingError.self) {
            try SFTDataset.load(path: path, maxTokens: fits, vocabulary: Self.vocabulary, budgetLevels: [1000])
        }
    }

    /// The engine writes the level of the request's budget, or the one it is told to show, and a
    /// model without levels sees its prompt unchanged; the levels survive a checkpoint.
    @Test func theEngineShowsTheLevelOfItsBudget() throws {
        let plain = try Transformer(config: .tiny(context: 64), seed: 1)
        let tagged = try plain.readingBudgets([32, 128])
        #expect(tagged.parameters === plain.parameters, "the same weights, not a copy")
        var request = GenerationRequest(user: "q", budget: Budget(maxThinking: 100))
        #expect(request.promptTokens(for: plain) == Self.vocabulary.prompt("q"))
        #expect(request.promptTokens(for: tagged) == Self.vocabulary.prompt("q\nbudget: 128"))
        request.budgetTag = 32
        #expect(request.promptTokens(for: tagged) == Self.vocabulary.prompt("q\nbudget: 32"))

        let dir = Scratch.path("tagged-model")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint.save(model: tagged, state: Optional<Int>.none, to: dir)
        #expect(try Checkpoint.loadModel(dir).config.budgetLevels == [32, 128])
        let old = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(plain.config)) as! [String: Any]
        let withoutKey = try JSONSerialization.data(withJSONObject: old.filter { $0.key != "budgetLevels" })
        #expect(try JSONDecoder().decode(ModelConfig.self, from: withoutKey).budgetLevels == [],
                "a config written before budget levels existed reads none")
        var bad = plain.config
        bad.budgetLevels = [8, 8]
        #expect(throws: ModelError.self) { try bad.validate() }
    }

    /// Evaluation shows every cell the line it is told to and records each problem's thinking.
    @Test func evaluationCanShowAnotherLevelAndRecordsThinkingPerProblem() throws {
        let model = try Transformer(config: .tiny(context: 96), seed: 2).readingBudgets([8, 64])
        var settings = EvalSettings(difficulty: 3, problems: 3, budgets: [8], strategies: ["single"])
        let own = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings)
        settings.budgetTag = 64
        let swapped = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings)
        #expect(own.examples.first?.completion != nil)
        let perProblem = try #require(own.cells.first?.thinkingPerProblem)
        #expect(perProblem.count == 3 && perProblem.allSatisfy { $0 <= 8 })
        #expect(Double(perProblem.reduce(0, +)) / 3 == own.cells[0].meanThinkingTokens)
        #expect(swapped.settings.budgetTag == 64)
    }
}
