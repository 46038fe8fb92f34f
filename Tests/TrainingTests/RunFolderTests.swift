import Foundation
import Model
import Testing
import TestSupport
import Training

/// `strawberry runs` and `show` read run folders without loading weights: kind, step, model,
/// options, last metrics and stages; a damaged or missing folder is reported, not a crash.
@Suite struct RunFolderTests {
    @Test func aPipelineAndItsStagesAreRead() throws {
        let root = Scratch.path("runs")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = ModelConfig.tiny(context: 64)
        let model = try Transformer(config: config, seed: 1)
        let sft = root + "/pipe/sft", rl = root + "/pipe/rl"
        try Checkpoint.saveInRun(sft, step: 40, model: model, optimizer: nil, state: ["step": 40])
        try Data(#"{"step":39,"loss":0.5}\#n{"step":40,"loss":0.25,"lr":0.001}\#n"#.utf8).write(to: URL(fileURLWithPath: sft + "/metrics.jsonl"))
        try Checkpoint.saveInRun(rl, step: 3, model: model, optimizer: nil, state: ["step": 3])
        try Data(#"{"step":3,"reward":0.4,"accuracy":0.3}"#.utf8).write(to: URL(fileURLWithPath: rl + "/metrics.jsonl"))
        let runs = RunFolder.list(in: root)
        #expect(runs.map(\.path) == [root + "/pipe", sft, rl])
        #expect(runs.map(\.kind) == ["pipeline", "sft", "rl"])
        let s = runs[1]
        #expect(s.step == 40 && s.config?.parameterCount == config.parameterCount && s.problems.isEmpty)
        #expect(s.lastMetrics.first { $0.key == "loss" }?.value == 0.25)
        #expect(s.checkpoint?.hasSuffix("checkpoints/step-00000040") == true)
        #expect(s.vocabulary?.contains("chat format strawberry") == true)
        #expect(runs[0].stages == ["sft", "rl"])
    }

    @Test func aDamagedOrMissingFolderIsReportedNotFollowed() throws {
        let root = Scratch.path("damaged")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/bad", withIntermediateDirectories: true)
        try Data("checkpoints/step-9\n".utf8).write(to: URL(fileURLWithPath: root + "/bad/latest"))
        let bad = RunFolder(root + "/bad")
        #expect(bad.kind == "damaged" && bad.problems.first?.contains("holds no model.safetensors") == true)
        #expect(!RunFolder.isRun(root + "/nothing/here"))
        #expect(RunFolder.list(in: root + "/nothing").isEmpty)
    }
}
