import Testing
import Model
import Reasoning
import Tasks

@Suite struct PairedComparisonTests {
    @Test func mcNemarMatchesTheExactBinomialTest() {
        // Values from the exact binomial test (scipy.stats.binomtest(b, b + c).pvalue).
        #expect(abs(PairedComparison.mcNemar(10, 3) - 0.092285) < 1e-5)
        #expect(abs(PairedComparison.mcNemar(6, 12) - 0.237885) < 1e-5)
        #expect(PairedComparison.mcNemar(6, 5) == 1 && PairedComparison.mcNemar(0, 0) == 1)
        #expect(PairedComparison.mcNemar(3, 10) == PairedComparison.mcNemar(10, 3), "two-sided")
        #expect(PairedComparison.mcNemar(798, 0) < 1e-100)
    }

    @Test func cellsPairTheSameProblems() throws {
        var settings = EvalSettings(difficulty: 3, problems: 6, budgets: [0, 8], strategies: ["single"])
        settings.maxAnswer = 12
        let a = try Evaluator.run(model: try Transformer(config: ModelConfig.tiny(context: 256), seed: 2), modelName: "a",
                                  task: Countdown(), settings: settings)
        let b = try Evaluator.run(model: try Transformer(config: ModelConfig.tiny(context: 256), seed: 3), modelName: "b",
                                  task: Countdown(), settings: settings)
        let same = PairedComparison.cells(a, a)
        #expect(same.count == 2 && same.allSatisfy { $0.difference == 0 && $0.onlyFirst == 0 && $0.onlySecond == 0 && $0.pValue == 1 })
        for (p, (ca, cb)) in zip(PairedComparison.cells(a, b), zip(a.cells, b.cells)) {
            #expect(p.budget == ca.budget && p.difference == ca.accuracy - cb.accuracy)
            #expect(p.onlyFirst - p.onlySecond == (ca.solved!.count - cb.solved!.count), "discordant counts explain the difference")
        }
        var fewer = settings
        fewer.problems = 5
        let c = try Evaluator.run(model: try Transformer(config: ModelConfig.tiny(context: 256), seed: 2), modelName: "c",
                                  task: Countdown(), settings: fewer)
        #expect(PairedComparison.cells(a, c).isEmpty, "different problem counts are not paired")
    }
}
