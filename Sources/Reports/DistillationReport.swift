import Foundation
import Reasoning

/// The teacher-vs-mini comparison `strawberry distill` ends with: accuracy at each thinking
/// budget, size, speed, latency and compute per correct answer, as Markdown and as a page.
public struct DistillationReport: Codable, Sendable {
    /// One compared model.
    public struct Entry: Codable, Sendable {
        public var name: String
        public var parameters: Int
        public var eval: EvalReport
        public var cost: AnswerCost

        public init(name: String, parameters: Int, eval: EvalReport, cost: AnswerCost) {
            self.name = name
            self.parameters = parameters
            self.eval = eval
            self.cost = cost
        }
    }

    public var entries: [Entry]
    public var costBudget: Int
    public var harvestNote: String

    public init(entries: [Entry], costBudget: Int, harvestNote: String) {
        self.entries = entries
        self.costBudget = costBudget
        self.harvestNote = harvestNote
    }

    private var budgets: [Int] { entries.first?.eval.settings.budgets ?? [] }

    private func accuracy(_ e: Entry, _ budget: Int) -> String {
        e.eval.cells.first { $0.budget == budget && $0.strategy == "single" }.map { String(format: "%.2f", $0.accuracy) } ?? "–"
    }

    private func row(_ e: Entry) -> [String] {
        [e.name, String(format: "%.2fM", Double(e.parameters) / 1e6)] + budgets.map { accuracy(e, $0) } + [
            String(format: "%.0f", e.cost.tokensPerSecond),
            String(format: "%.0f / %.0f ms", e.cost.latencyP50 * 1000, e.cost.latencyP95 * 1000),
            e.cost.flopsPerCorrect.map { String(format: "%.3g", $0) } ?? "–",
            e.cost.secondsPerCorrect.map { String(format: "%.3f s", $0) } ?? "–",
        ]
    }

    private var header: [String] {
        ["model", "parameters"] + budgets.map { "greedy @ \($0)" }
            + ["decode tokens/s", "latency p50 / p95", "FLOPs per correct", "seconds per correct"]
    }

    public var markdown: String {
        var out = "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
        for e in entries { out += "| " + row(e).joined(separator: " | ") + " |\n" }
        return out
    }

    public var html: String {
        let chart = SVGChart(title: "Accuracy against thinking budget", xLabel: "thinking budget (tokens)", yLabel: "greedy accuracy",
                             series: entries.map { e in
                                 SVGChart.Series(name: e.name, points: e.eval.cells.filter { $0.strategy == "single" }
                                     .map { (Double(max($0.budget, 1)), $0.accuracy) })
                             }, logX: true)
        let head = header.map { "<th>\($0)</th>" }.joined()
        let rows = entries.map { "<tr>" + row($0).map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return """
        <!doctype html><html><head><meta charset="utf-8"><title>Strawberry distillation</title>
        <style>body{font-family:sans-serif;max-width:1180px;margin:24px auto;color:#222}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body>
        <h1>Teacher and minis</h1><p>\(harvestNote)</p>
        <p>Accuracy: greedy on \(entries.first?.eval.settings.problems ?? 0) test problems. Speed, latency and compute
        per correct answer: one request at a time at thinking budget \(costBudget) on \(entries.first?.cost.problems ?? 0) test problems.</p>
        <table><tr>\(head)</tr>\(rows)</table>\(chart.render())</body></html>
        """
    }
}
