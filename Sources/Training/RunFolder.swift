import Foundation
import Model
import Reasoning

/// What a run folder holds, read without loading any weights: the latest checkpoint, the model's
/// shape and vocabulary, the step reached and the options it ran with, the last metrics line, the
/// evaluations beside it, and the stages (`sft/`, `rl/`) of a pipeline run. Unreadable parts are
/// left out and named in `problems`, so a damaged run still lists.
public struct RunFolder: Sendable {
    public let path: String
    /// `sft` or `rl` (a run with checkpoints), `pipeline` (stages inside), `eval` (evaluations
    /// only), `damaged` (a checkpoint that cannot be read; `problems` says why).
    public let kind: String
    public let checkpoint: String?
    public let config: ModelConfig?
    public let vocabulary: String?
    public let step: Int?
    /// The training options saved in the checkpoint's `state.json`, as written there.
    public let options: [String: String]
    /// The last line of `metrics.jsonl`, numbers only.
    public let lastMetrics: [(key: String, value: Double)]
    public let evaluations: [(file: String, report: EvalReport)]
    public let stages: [String]
    public let problems: [String]

    /// Whether `path` looks like a run: a `latest` file, `metrics.jsonl`, an `eval*.json` or stages.
    public static func isRun(_ path: String) -> Bool {
        holdsRun(path) || ["sft", "rl"].contains { holdsRun(path + "/" + $0) }
    }

    /// A run of its own: a checkpoint, metrics or an evaluation (stages not counted).
    private static func holdsRun(_ path: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.contains("latest") || names.contains("metrics.jsonl")
            || names.contains { $0.hasPrefix("eval") && $0.hasSuffix(".json") }
    }

    /// The runs directly under `directory` and their stages, sorted by path.
    public static func list(in directory: String) -> [RunFolder] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        var runs: [RunFolder] = []
        for name in names where isRun(directory + "/" + name) {
            let run = RunFolder(directory + "/" + name)
            runs.append(run)
            runs += run.stages.map { RunFolder(run.path + "/" + $0) }
        }
        return runs
    }

    public init(_ path: String) {
        self.path = path
        var problems: [String] = []
        let fm = FileManager.default
        stages = ["sft", "rl"].filter { Self.holdsRun(path + "/" + $0) }
        var checkpoint: String?, config: ModelConfig?, vocabulary: String?, step: Int?
        var options: [String: String] = [:]
        if fm.fileExists(atPath: path + "/latest") || fm.fileExists(atPath: path + "/" + Checkpoint.modelFile) {
            do {
                let directory = try Checkpoint.resolve(path)
                checkpoint = directory
                let c = try Checkpoint.loadConfig(directory)
                config = c
                let v = try Checkpoint.loadVocabulary(directory)
                vocabulary = "\(v.tokenizerJSON == nil ? "Strawberry's bytes" : "BPE") (\(v.size) ids), chat format \(v.format.rawValue)"
                if let state = Self.json(directory + "/state.json") {
                    step = state["step"] as? Int
                    for (k, value) in state["options"] as? [String: Any] ?? [:] { options[k] = "\(value)" }
                }
            } catch { problems.append("\(error)") }
        }
        self.checkpoint = checkpoint
        self.config = config
        self.vocabulary = vocabulary
        self.step = step
        self.options = options
        lastMetrics = Self.lastLine(path + "/metrics.jsonl").map { line in
            line.compactMap { k, v in (v as? NSNumber).map { (k, $0.doubleValue) } }.sorted { $0.key < $1.key }
        } ?? []
        var evaluations: [(String, EvalReport)] = []
        let names = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted()
        for name in names where name.hasPrefix("eval") && name.hasSuffix(".json") {
            do {
                evaluations.append((name, try JSONDecoder().decode(EvalReport.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))))
            } catch { problems.append("'\(path)/\(name)' is not an evaluation report: \(error.localizedDescription)") }
        }
        self.evaluations = evaluations
        kind = checkpoint != nil ? (lastMetrics.contains { $0.key == "reward" } ? "rl" : "sft")
            : !problems.isEmpty ? "damaged" : !stages.isEmpty ? "pipeline" : "eval"
        self.problems = problems
    }

    private static func json(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// The last non-empty line of a JSONL file, parsed; reads only the file's tail.
    private static func lastLine(_ path: String) -> [String: Any]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 65536 ? size - 65536 : 0)
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { !$0.isEmpty }) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    /// The best accuracy of each evaluation, e.g. `single@200 0.370`.
    public var bestEvaluation: String? {
        let cells = evaluations.flatMap(\.report.cells)
        guard let best = cells.max(by: { $0.accuracy < $1.accuracy }) else { return nil }
        return "\(best.strategy)@\(best.budget) \(String(format: "%.3f", best.accuracy))"
    }
}
