import Foundation
import Testing
import Kernels
import Model
import Tasks
import TestSupport
import Training

/// Runs that diverge, and run folders whose files were corrupted, end with a clear error and lose
/// nothing that was good.
@Suite struct HostileRunTests {
    static let config = ModelConfig.tiny(dim: 48, ffn: 96, context: 48)

    static func dataset() -> SFTDataset {
        let pairs = [("2+3", "<think>2 plus 3</think>5"), ("7+1", "<think>7 plus 1</think>8"), ("4+4", "<think>4 plus 4</think>8")]
        return SFTDataset(examples: pairs.map { SFTDataset.example(prompt: $0.0, completion: $0.1, maxTokens: 48, vocabulary: .strawberry).0 })
    }

    static func trainer(_ dir: String, steps: Int, lr: Float = 3e-3, checkpointEvery: Int = 2) throws -> SFTTrainer {
        var options = SFTOptions()
        options.steps = steps
        options.batchSize = 3
        options.learningRate = lr
        options.warmupSteps = 0
        options.checkpointEvery = checkpointEvery
        options.keepCheckpoints = 2
        return SFTTrainer(model: try Transformer(config: Self.config, seed: 3), dataset: Self.dataset(), options: options, runDirectory: dir)
    }

    @Test func aDivergingRunStopsBeforeSavingNonFiniteWeights() throws {
        let dir = Scratch.path("diverge")
        let trainer = try Self.trainer(dir, steps: 200, lr: 1e6, checkpointEvery: 1)
        var message = ""
        do { try trainer.run() } catch {
            guard case .diverged(let m) = error else { throw error }
            message = m
        }
        #expect(message.contains("diverged") && message.contains("learning rate"), "the run stopped with the reason: \(message)")
        #expect(trainer.step < 200)
        // Every checkpoint left in the run folder loads, the latest among them.
        let latest = try Checkpoint.loadModel(dir)
        #expect(Vector.firstNonFinite(latest.parameters.pointer, latest.parameters.count) == nil)
        #expect(message.contains(try Checkpoint.resolve(dir).replacingOccurrences(of: dir + "/", with: "")), "names the last checkpoint: \(message)")
        #expect(Vector.firstNonFinite(trainer.model.parameters.pointer, trainer.model.parameters.count) == nil,
                "the diverged step was not applied")
    }

    /// Rewrites `state.json` of the run's latest checkpoint with `changes` (a path into the object).
    static func corruptState(_ dir: String, _ change: (inout [String: Any]) -> Void) throws {
        let path = try Checkpoint.resolve(dir) + "/" + Checkpoint.stateFile
        var state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&state)
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: path))
    }

    @Test func aCorruptStateIsRefusedOnResume() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("negative step", { $0["step"] = -5 }, "step -5"),
            ("step past the run", { $0["step"] = Int.max }, "step \(Int.max)"),
            ("step not the folder's", { $0["step"] = 3 }, "folder is named after"),
            ("batch of zero", { s in var o = s["options"] as! [String: Any]; o["batchSize"] = 0; s["options"] = o }, "batch 0"),
            ("checkpoint every 0", { s in var o = s["options"] as! [String: Any]; o["checkpointEvery"] = 0; s["options"] = o }, "checkpoint every 0"),
        ]
        for (name, change, expected) in cases {
            let dir = Scratch.path("state")
            try Self.trainer(dir, steps: 4).run()
            try Self.corruptState(dir, change)
            var message = ""
            do { _ = try SFTTrainer.resuming(runDirectory: dir, dataset: Self.dataset(), steps: nil) } catch { message = "\(error)" }
            #expect(message.contains(expected), "\(name): \(message)")
        }
    }

    @Test func invalidUTF8InDataIsNamedAsSuch() throws {
        let path = Scratch.path("data", suffix: ".jsonl")
        var data = Data(#"{"prompt": "a", "completion": "b"}"#.utf8) + Data("\n".utf8)
        data += Data(#"{"prompt": "caf"#.utf8) + Data([0xC3, 0x28]) + Data(#"", "completion": "b"}"#.utf8)
        try data.write(to: URL(fileURLWithPath: path))
        var message = ""
        do { _ = try SFTDataset.load(path: path, maxTokens: 64, vocabulary: .strawberry) } catch { message = "\(error)" }
        #expect(message.contains(":2:") && message.contains("UTF-8") && message.contains("byte 16"), "\(message)")
    }
}
