import Foundation
import Reasoning

/// Writes an evaluation as a standalone HTML page: the test-time scaling curve (accuracy against
/// thinking budget), accuracy against samples, accuracy against compute, the table and examples.
public enum EvalReportPage {
    public static func html(_ r: EvalReport) -> String {
        let strategies = r.cells.map(\.strategy).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let byBudget = SVGChart(
            title: "Accuracy against thinking budget", xLabel: "thinking budget (tokens)", yLabel: "accuracy",
            series: strategies.map { s in
                SVGChart.Series(name: s, points: r.cells.filter { $0.strategy == s }.map { (Double(max($0.budget, 1)), $0.accuracy) })
            }, logX: true, xTicks: SVGChart.budgetTicks(r.settings.budgets))
        let largest = r.settings.budgets.max() ?? 0
        let families = ["vote", "best-of-n", "single", "revise"]
        let bySamples = SVGChart(
            title: "Accuracy against samples (budget \(largest))", xLabel: "samples per problem", yLabel: "accuracy",
            series: families.compactMap { f in
                let points = r.cells.filter { $0.budget == largest && ($0.strategy == f || $0.strategy.hasPrefix(f + ":")) }
                    .map { (Double($0.samples), $0.accuracy) }
                return points.isEmpty ? nil : SVGChart.Series(name: f, points: points)
            }, logX: true,
            xTicks: Array(Set(r.cells.filter { $0.budget == largest }.map(\.samples))).sorted().map { (Double($0), String($0)) })
        let byCompute = SVGChart(
            title: "Accuracy against compute", xLabel: "forward FLOPs per problem", yLabel: "accuracy",
            series: strategies.map { s in
                SVGChart.Series(name: s, points: r.cells.filter { $0.strategy == s }.map { ($0.meanFlops, $0.accuracy) })
            }, logX: true)
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var rows = ""
        for c in r.cells {
            rows += "<tr><td>\(c.strategy)</td><td>\(c.budget)</td><td>\(String(format: "%.3f", c.accuracy))</td>"
                + "<td>\(String(format: "%.2f", c.answered))</td><td>\(String(format: "%.1f", c.meanThinkingTokens))</td>"
                + "<td>\(String(format: "%.2f", c.cutFraction))</td><td>\(String(format: "%.3g", c.meanFlops))</td></tr>"
        }
        var examples = ""
        for e in r.examples.prefix(12) {
            examples += "<div class=\"ex\"><b>\(esc(e.strategy)), budget \(e.budget)</b> — \(e.correct ? "<span class=\"right\">correct</span>" : "<span class=\"wrong\">wrong</span>") \(esc(e.note))"
                + "<pre>\(esc(e.prompt))\n\(esc(e.completion))</pre></div>"
        }
        return """
        <!doctype html><html><head><meta charset="utf-8"><title>Strawberry eval: \(esc(r.task))</title>
        <style>body{font-family:sans-serif;max-width:1180px;margin:24px auto;color:#222}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
        pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}.charts svg{margin:4px}
        .right{color:#1a7f37;font-weight:bold}.wrong{color:#c62828;font-weight:bold}</style></head><body>
        <h1>Evaluation: \(esc(r.task)), difficulty \(r.settings.difficulty)</h1>
        <p>Model <code>\(esc(r.model))</code> (\(r.parameters) parameters), \(r.settings.problems) test problems,
        seed \(r.settings.seed), thinking \(r.settings.thinks ? "on" : "off"), tool \(r.settings.useTool ? "on" : "off").
        Wall time \(String(format: "%.1f", r.wallSeconds)) s.</p>
        <div class="charts">\(byBudget.render())\(bySamples.render())\(byCompute.render())</div>
        <h2>Results</h2><table><tr><th>strategy</th><th>budget</th><th>accuracy</th><th>answered</th>
        <th>thinking tokens / problem</th><th>cut by budget</th><th>FLOPs / problem</th></tr>\(rows)</table>
        <h2>Examples</h2>\(examples)</body></html>
        """
    }
}
