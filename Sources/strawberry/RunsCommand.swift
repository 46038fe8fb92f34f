import ArgumentParser
import Foundation
import Training

/// `strawberry runs`: every run under a folder, one line each.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in a folder: kind, model size, step, last metrics, best evaluation.",
        discussion: "A run is a folder with a 'latest' checkpoint, a metrics.jsonl, an eval*.json or sft/ and rl/ stages (as train and quickstart write). Nothing is loaded but JSON.")

    @Argument(help: "The folder that holds the runs.")
    var directory = "runs"

    func run() throws {
        guard FileManager.default.fileExists(atPath: directory) else {
            throw ValidationError("'\(directory)' does not exist; runs are written under runs/ by default (--out)")
        }
        let runs = RunFolder.list(in: directory)
        if runs.isEmpty { print("no runs in '\(directory)'"); return }
        let width = max(4, runs.map(\.path.count).max() ?? 0)
        print("run".padding(toLength: width, withPad: " ", startingAt: 0) + "  kind      parameters  step   last metrics                       best evaluation")
        for r in runs {
            let size = r.config.map { String(format: "%.2fM", Double($0.parameterCount) / 1e6) } ?? "-"
            let metrics = r.lastMetrics.filter { ["loss", "reward", "accuracy"].contains($0.key) }
                .map { "\($0.key) \(String(format: "%.4g", $0.value))" }.joined(separator: " ")
            print(r.path.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                  + r.kind.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
                  + size.padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
                  + (r.step.map(String.init) ?? "-").padding(toLength: 5, withPad: " ", startingAt: 0) + "  "
                  + (metrics.isEmpty ? "-" : metrics).padding(toLength: 33, withPad: " ", startingAt: 0) + "  "
                  + (r.bestEvaluation ?? "-") + (r.problems.isEmpty ? "" : "  (damaged: strawberry show \(r.path))"))
        }
    }
}

/// `strawberry show RUN`: everything a run folder says about itself.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a run: its checkpoint, model, vocabulary and chat format, options, last metrics and evaluations.")

    @Argument(help: "A run folder (or a checkpoint folder).")
    var path: String

    func run() throws {
        guard RunFolder.isRun(path) || FileManager.default.fileExists(atPath: path + "/model.safetensors") else {
            throw ValidationError("'\(path)' is not a run folder: expected a 'latest' checkpoint, metrics.jsonl, eval*.json or sft/ and rl/ inside")
        }
        let r = RunFolder(path)
        print("run: \(r.path) (\(r.kind))")
        if !r.stages.isEmpty { print("stages: " + r.stages.map { "\(r.path)/\($0)" }.joined(separator: ", ")) }
        if let checkpoint = r.checkpoint { print("checkpoint: \(checkpoint)" + (r.step.map { " (step \($0))" } ?? "")) }
        if let c = r.config {
            print("model: \(c.parameterCount.formatted()) parameters; dim \(c.dim), \(c.layers) layers, \(c.heads) heads / \(c.kvHeads) kv heads, "
                  + "FFN \(c.ffnDim), context \(c.contextLength), \(c.tiedEmbeddings ? "tied" : "untied") embeddings\(c.attentionBias ? ", q/k/v biases" : "")"
                  + "\(c.qkNorm ? ", q/k norms" : "")\(c.explicitHeadDim.map { ", head width \($0)" } ?? "")")
        }
        if let v = r.vocabulary { print("vocabulary: \(v)") }
        if !r.options.isEmpty { print("options: " + r.options.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) }
        if !r.lastMetrics.isEmpty {
            print("last metrics: " + r.lastMetrics.map { "\($0.key) \(String(format: "%.4g", $0.value))" }.joined(separator: ", "))
        }
        for (file, report) in r.evaluations {
            let s = report.settings
            print("\(file): \(report.task) difficulty \(s.difficulty), \(s.problems) problems, seed \(s.seed)")
            print("  strategy        budget  accuracy  thinking tokens")
            for cell in report.cells {
                print("  " + cell.strategy.padding(toLength: 14, withPad: " ", startingAt: 0)
                      + String(format: "%8d  %8.3f  %15.1f", cell.budget, cell.accuracy, cell.meanThinkingTokens))
            }
        }
        for problem in r.problems { print("problem: \(problem)") }
    }
}
