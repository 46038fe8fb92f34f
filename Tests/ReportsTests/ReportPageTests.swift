import Foundation
import Testing
@testable import Reasoning
@testable import Reports

/// The pages use no glyph a browser's default fonts may lack (emoji render as boxes in headless
/// Chromium) and show a success and a failure at the budgets that matter.
@Suite struct ReportPageTests {
    static func report(_ accuracy: [Int: Double]) -> EvalReport {
        let budgets = accuracy.keys.sorted()
        var examples: [EvalExample] = []
        for b in budgets {
            examples.append(EvalExample(strategy: "single", budget: b, prompt: "Use 3 5 7 to make 22", completion: "<think>…</think>3*5+7",
                                        correct: true, note: ""))
            examples.append(EvalExample(strategy: "single", budget: b, prompt: "Use 2 2 9 to make 31", completion: "<think>…</think>2+9",
                                        correct: false, note: ""))
        }
        return EvalReport(task: "countdown", model: "m", parameters: 1000,
                          settings: EvalSettings(difficulty: 3, problems: 10, budgets: budgets, strategies: ["single"]),
                          cells: budgets.map { EvalCell(strategy: "single", budget: $0, samples: 1, accuracy: accuracy[$0]!, answered: 1,
                                                        meanThinkingTokens: 1, meanAnswerTokens: 1, meanFlops: 1e6, cutFraction: 0,
                                                        solved: []) },
                          examples: examples, wallSeconds: 1)
    }

    static func onlyCommonGlyphs(_ html: String) -> Bool {
        html.unicodeScalars.allSatisfy { $0.value < 0x2600 }
    }

    @Test func pagesHaveNoEmojiAndShowSuccessAndFailure() {
        let before = Self.report([0: 0, 32: 0, 128: 0.3, 200: 0.4]), after = Self.report([0: 0, 32: 0.1, 128: 0.35, 200: 0.4])
        #expect(PipelineReportPage.budgetsThatMatter(before, after) == [32, 200])
        let page = PipelineReportPage.html(title: "t", rl: [], before: before, after: after)
        #expect(Self.onlyCommonGlyphs(page))
        #expect(page.contains("thinking budget 32") && page.contains("thinking budget 200") && !page.contains("thinking budget 128"))
        #expect(page.contains("class=\"right\"") && page.contains("class=\"wrong\""))
        let eval = EvalReportPage.html(after)
        #expect(Self.onlyCommonGlyphs(eval) && eval.contains("class=\"wrong\""))
    }
}
