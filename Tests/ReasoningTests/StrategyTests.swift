import Foundation
import Testing
import TestSupport
import Model
import Reasoning
import Reports
import Tasks

@Suite struct StrategyTests {
    @Test func voteTakesTheMajorityAndBreaksTiesByOrder() {
        #expect(VoteStrategy.majority(["3", "5", "5", "3", "5"]) == 1)
        #expect(VoteStrategy.majority(["3", "5", "5", "3"]) == 0)
        #expect(VoteStrategy.majority([nil, "", "7"]) == 2)
        #expect(VoteStrategy.majority([nil, nil]) == nil)
    }

    @Test func bestOfNPicksACheckedCountdownAnswer() {
        let task = Countdown()
        let p = task.generate(seed: 0, difficulty: 3)  // 13 11 19 → 124
        let candidates = ["<think>…</think>13+11+19", "<think>…</think>(13*13)-19", "<think>…",
                          "<think>…</think>(13*11)-19", "<think>…</think>19-(13*11)"]
        #expect(BestOfNStrategy.pick(candidates, problem: p, task: task) == 3)
        #expect(BestOfNStrategy.pick(Array(candidates.prefix(3)), problem: p, task: task) == nil)
    }

    @Test func bestOfNNeverReturnsAProgramFailingAVisibleTest() {
        let task = Programs()
        for p in task.problems(count: 20, difficulty: 1, split: .test) {
            // Candidates: plausible wrong programs, garbage, and the key somewhere among them.
            let wrong = ["x", "sum(x)", "len(x)", "x*2", "reverse(x)", "max(x)", "x +", "map(y -> y+1, x)"]
            let candidates = (wrong + [p.key]).map { "<think>…</think>\($0)" }
            guard let i = BestOfNStrategy.pick(candidates, problem: p, task: task) else {
                Issue.record("the key was not accepted for \(p.prompt)")
                continue
            }
            #expect(task.check(p, completion: candidates[i])?.testsPassed == Programs.visibleTests)
            // Without the key, whatever is picked still passes every visible test.
            if let j = BestOfNStrategy.pick(Array(candidates.dropLast()), problem: p, task: task) {
                #expect(task.check(p, completion: candidates[j])?.correct == true)
            }
        }
    }

    @Test func bestOfNRefusesTasksWithoutAPublicCheck() throws {
        let model = try Transformer(config: ModelConfig(dim: 16, layers: 1, heads: 2, kvHeads: 1, ffnDim: 16,
                                                        contextLength: 64), seed: 1)
        let task = Arithmetic()
        let context = StrategyContext(task: task, engine: Engine(model: model), budget: Budget(maxThinking: 4, maxAnswer: 4))
        #expect(throws: ModelError.self) {
            try BestOfNStrategy(samples: 2).solve(task.problems(count: 1, difficulty: 1, split: .test), context: context)
        }
    }

    @Test func parserAcceptsTheDocumentedNames() throws {
        #expect(try StrategyParser.parse("single").name == "single")
        #expect(try StrategyParser.parse("vote:8").samples == 8)
        #expect(try StrategyParser.parse("best-of-n:4").name == "best-of-n:4")
        #expect(try StrategyParser.parse("revise:3").name == "revise:3")
        for bad in ["vote", "vote:0", "best-of-n:x", "magic", "single:2"] {
            #expect(throws: ModelError.self) { try StrategyParser.parse(bad) }
        }
    }

    @Test func evaluationIsDeterministicForASeed() throws {
        let model = try Transformer(config: ModelConfig.tiny(context: 256), seed: 2)
        var settings = EvalSettings(difficulty: 3, problems: 4, budgets: [0, 8], strategies: ["single", "vote:3", "best-of-n:2", "revise:2"])
        settings.maxAnswer = 12
        let a = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings)
        let b = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings)
        #expect(a.cells == b.cells)
        #expect(a.examples == b.examples)
        #expect(a.cells.count == 8)
        for c in a.cells {
            #expect(c.meanThinkingTokens <= Double(c.budget * c.samples * (c.strategy.hasPrefix("revise") ? 2 : 1)))
            #expect((0...1).contains(c.accuracy))
            #expect(c.selfCorrection?.samples == 4, "one audited completion per problem")
        }
        let page = EvalReportPage.html(a)
        #expect(page.contains("<svg") && page.contains("Accuracy against thinking budget"))
    }

    @Test func aProblemSeedFixesTheProblemsWhateverTheSamplingSeed() throws {
        let model = try Transformer(config: ModelConfig.tiny(context: 256), seed: 2)
        func prompts(seed: UInt64, problemSeed: UInt64?) throws -> [String] {
            var settings = EvalSettings(difficulty: 3, problems: 3, budgets: [4], strategies: ["single"])
            settings.maxAnswer = 4
            settings.seed = seed
            settings.problemSeed = problemSeed
            return try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings).examples.map(\.prompt)
        }
        #expect(try prompts(seed: 1, problemSeed: 7) == prompts(seed: 500, problemSeed: 7))
        #expect(try prompts(seed: 1, problemSeed: nil) != prompts(seed: 500, problemSeed: nil))
        // Reports written before the field existed still read.
        let old = #"{"difficulty":3,"problems":5,"budgets":[8],"strategies":["single"],"maxAnswer":48,"seed":1,"thinks":true,"useTool":false}"#
        #expect(try JSONDecoder().decode(EvalSettings.self, from: Data(old.utf8)).problemSeed == nil)
    }

    @Test func aLongEvaluationInChunksGivesTheSameCellsAndShowsItsWay() throws {
        let model = try Transformer(config: ModelConfig.tiny(context: 256), seed: 2)
        var settings = EvalSettings(difficulty: 3, problems: 7, budgets: [8], strategies: ["single", "vote:3"])
        settings.maxAnswer = 12
        let whole = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings)
        var lines: [String] = []
        var partials: [EvalReport] = []
        let chunked = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings, chunk: 3,
                                        progress: { lines.append($0) }, partial: { partials.append($0) })
        #expect(chunked.cells == whole.cells && chunked.examples == whole.examples)
        #expect(lines.contains { $0.contains("3/7 problems") } && lines.contains { $0.contains("6/7 problems") }, "\(lines)")
        #expect(partials.count == 4 && partials[0].cells.last?.problems == 3 && partials[3].cells.count == 2)
    }

    @Test func budgetsThatShareOneDecodeGiveTheCellsOfSeparateRuns() throws {
        let model = try Transformer(config: ModelConfig.tiny(context: 256), seed: 2)
        var settings = EvalSettings(difficulty: 3, problems: 5, budgets: [20, 0, 6], strategies: ["single", "vote:3", "best-of-n:2"])
        settings.maxAnswer = 12
        var lines: [String] = []
        let shared = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: settings, chunk: 2,
                                       progress: { lines.append($0) })
        #expect(lines.contains { $0.contains("single budget 20/0/6: 2/5 problems") }, "one decode for all budgets: \(lines)")
        #expect(shared.cells.map(\.budget) == [20, 0, 6, 20, 0, 6, 20, 0, 6])
        for budget in settings.budgets {
            var alone = settings
            alone.budgets = [budget]
            let separate = try Evaluator.run(model: model, modelName: "m", task: Countdown(), settings: alone)
            #expect(shared.cells.filter { $0.budget == budget } == separate.cells, "budget \(budget)")
            #expect(shared.examples.filter { $0.budget == budget } == separate.examples, "budget \(budget)")
        }
    }

    @Test func thinkingIsSharedOnlyWhereThePromptAndRulesDoNotFollowTheBudget() throws {
        let task = Countdown()
        let problems = [task.generate(seed: 1, difficulty: 3)]
        let plain = Engine(model: try Transformer(config: ModelConfig.tiny(context: 96), seed: 2))
        var config = ModelConfig.tiny(context: 96)
        config.budgetLevels = [0, 64]
        let reads = Engine(model: try Transformer(config: config, seed: 2))
        func shares(_ engine: Engine, _ budgets: [Int], tool: Bool = false, tag: Int? = nil, minimum: Int = 0) -> Bool {
            StrategyContext(task: task, engine: engine, budget: Budget(maxThinking: 64, minThinking: minimum), useTool: tool, budgetTag: tag)
                .sharesThinking(across: budgets, problems: problems)
        }
        #expect(shares(plain, [0, 32, 64]) && shares(plain, [64, 8]))
        #expect(!shares(plain, [64]) && !shares(plain, [8, 8]), "one budget, or a budget twice")
        #expect(!shares(plain, [0, 64], tool: true) && !shares(plain, [0, 64], minimum: 4))
        #expect(!shares(reads, [0, 64]) && shares(reads, [0, 64], tag: 64))
    }

    @Test func verifierFailuresAreReportedPerProblem() throws {
        let dir = Scratch.path("strawberry-verifier")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{\"prompt\": \"What is 6*7?\", \"answer\": \"42\"}\n{\"prompt\": \"What is 2+2?\", \"answer\": \"4\"}\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/task.jsonl"))
        let task = try FileTask(path: dir + "/task.jsonl", verifier: ExternalVerifier(command: "verifyy --strict", directory: dir))
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 128), seed: 2)
        var settings = EvalSettings(difficulty: 0, problems: 2, budgets: [4], strategies: ["single"])
        settings.maxAnswer = 4
        var lines: [String] = []
        let report = try Evaluator.run(model: model, modelName: "m", task: task, settings: settings, progress: { lines.append($0) })
        let cell = try #require(report.cells.first)
        #expect(cell.verifierFailureCount == 2 && cell.verifierFailures?.map(\.problem) == [0, 1])
        #expect(cell.verifierFailures?.first?.cause.contains("status 127") == true, "a typo in the command: \(cell.verifierFailures ?? [])")
        #expect(lines.last?.contains("2 verifier failures") == true, "\(lines)")
    }
}
