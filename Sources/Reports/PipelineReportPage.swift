import Foundation
import Reasoning

/// The report of a whole `train` run: RL curves (train-time scaling), accuracy against thinking
/// budget before and after RL (test-time scaling), reflection rate and thinking length against
/// steps (GRPO steps or expert-iteration rounds), and example thinking before and after.
public enum PipelineReportPage {
    /// One RL metrics record as read back from `metrics.jsonl`.
    public struct Point: Sendable {
        public let step: Int
        public let values: [String: Double]
    }

    /// Reads the numeric fields of each record of a metrics log.
    public static func readMetrics(_ path: String) -> [Point] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = object["step"] as? Int else { return nil }
            var values: [String: Double] = [:]
            for (k, v) in object { if let n = v as? NSNumber { values[k] = n.doubleValue } }
            return Point(step: step, values: values)
        }
    }

    /// `stepName` labels the x axis of the RL curves: "RL step", or "expert-iteration round".
    /// `control`, when given, is the SFT model trained as many steps instead of RL.
    public static func html(title: String, rl: [Point], stepName: String = "RL step", before: EvalReport, after: EvalReport,
                            control: EvalReport? = nil) -> String {
        /// The named metrics that the log records, as series; a metric it lacks is left out.
        func series(_ named: [(String, String)]) -> [SVGChart.Series] {
            named.map { name, key in SVGChart.Series(name: name, points: rl.compactMap { p in p.values[key].map { (Double(p.step), $0) } }) }
                .filter { !$0.points.isEmpty }
        }
        let reward = SVGChart(title: "Reward and accuracy against RL steps", xLabel: stepName, yLabel: "share",
                              series: series([("reward", "reward"), ("accuracy", "accuracy"), ("training problems solved", "solved"),
                                              ("probe pass@k", "probe_pass_at_k"), ("probe greedy", "probe_greedy_accuracy")]))
        // Every worked solution backtracks and checks, so the reflection rate starts at 1 and cannot show
        // self-correction emerging; slips, false claims and recovery from them can.
        let selfCorrection = SVGChart(title: "Self-correction against RL steps", xLabel: stepName, yLabel: "rate",
                                      series: series([("slips per step", "slip_rate"), ("false claims per sample", "false_claim_rate"),
                                                      ("mistakes recovered from", "recovery_rate"),
                                                      ("search length ÷ worked solution's", "search_length_ratio"),
                                                      ("cut by budget", "cut_fraction")]), yRange: nil)
        let thinking = SVGChart(title: "Thinking length against RL steps", xLabel: stepName, yLabel: "tokens",
                                series: series([("thinking tokens", "thinking_tokens")]), yRange: nil)
        func curve(_ r: EvalReport, _ name: String) -> SVGChart.Series {
            SVGChart.Series(name: name, points: r.cells.filter { $0.strategy == "single" }.map { (Double(max($0.budget, 1)), $0.accuracy) })
        }
        let budget = SVGChart(title: "Accuracy against thinking budget", xLabel: "thinking budget (tokens)", yLabel: "accuracy",
                              series: [curve(before, "after SFT"), curve(after, "after SFT + RL")]
                                  + (control.map { [curve($0, "SFT control (as many steps, no RL)")] } ?? []), logX: true,
                              xTicks: SVGChart.budgetTicks(before.settings.budgets))
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var rows = ""
        for (i, (b, a)) in zip(before.cells, after.cells).enumerated() {
            let c = control.map { "<td>\(String(format: "%.3f", $0.cells[i].accuracy))</td>" } ?? ""
            rows += "<tr><td>\(b.strategy)</td><td>\(b.budget)</td><td>\(String(format: "%.3f", b.accuracy))</td><td>\(String(format: "%.3f", a.accuracy))</td>\(c)</tr>"
        }
        var examples = ""
        for b in Self.budgetsThatMatter(before, after) {
            examples += "<h3>Greedy, thinking budget \(b)</h3><div class=\"pair\">"
            for (name, report) in [("after SFT", before), ("after SFT + RL", after)] {
                examples += "<div><b>\(name)</b>"
                for e in report.examples where e.strategy == "single" && e.budget == b {
                    let verdict = e.correct ? "<span class=\"right\">correct</span>" : "<span class=\"wrong\">wrong</span>"
                    examples += "<p>\(verdict): \(esc(e.prompt))</p><pre>\(esc(e.completion))</pre>"
                }
                examples += "</div>"
            }
            examples += "</div>"
        }
        return """
        <!doctype html><html><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>body{font-family:sans-serif;max-width:1180px;margin:24px auto;color:#222}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
        pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}.pair{display:flex;gap:12px}.pair div{flex:1}
        .right{color:#1a7f37;font-weight:bold}.wrong{color:#c62828;font-weight:bold}</style></head><body>
        <h1>\(esc(title))</h1>
        <p>\(after.parameters) parameters; \(after.settings.problems) test problems of \(esc(after.task)), difficulty \(after.settings.difficulty).</p>
        \(budget.render())\(reward.render())\(selfCorrection.render())\(thinking.render())
        <h2>Accuracy before and after RL</h2><table><tr><th>strategy</th><th>budget</th><th>after SFT</th><th>after SFT + RL</th>\(control == nil ? "" : "<th>SFT control</th>")</tr>\(rows)</table>
        <h2>Example thinking</h2>\(examples)</body></html>
        """
    }

    /// The tightest budget at which either model solves anything (where RL has the most to change)
    /// and the largest one.
    static func budgetsThatMatter(_ before: EvalReport, _ after: EvalReport) -> [Int] {
        let cells = (before.cells + after.cells).filter { $0.strategy == "single" }
        let tightest = cells.filter { $0.accuracy > 0 }.map(\.budget).min()
        let largest = before.settings.budgets.max()
        return Array(Set([tightest, largest].compactMap { $0 })).sorted()
    }
}
