import Foundation
import Testing
import TestSupport
import Kernels
import Model
import Reasoning
import Tasks
import Training

/// RL runs survive a crash: resuming from a checkpoint continues exactly as if never stopped.
@Suite(.serialized) struct GRPOResumeTests {
    static let config = ModelConfig.tiny(context: 160)

    static func options(steps: Int, matmul: MatmulPrecision = .float32) -> GRPOOptions {
        var o = GRPOOptions()
        o.matmul = matmul
        o.steps = steps
        o.problemsPerStep = 2
        o.groupSize = 4
        o.budget = Budget(maxThinking: 12, maxAnswer: 6)
        o.learningRate = 3e-3
        o.klCoefficient = 0.05
        o.dynamicSampling = false
        o.checkpointEvery = 3
        return o
    }

    static func directory() -> String { Scratch.path("grpo-resume") }

    /// In either precision of the products (`--matmul`), which a resumed run keeps for its policy
    /// and its reference.
    @Test(arguments: [MatmulPrecision.float32, .bfloat16])
    func resumingIsBitIdentical(matmul: MatmulPrecision) throws {
        let straightDirectory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: straightDirectory) }
        let straight = try GRPOTrainer(model: try Transformer(config: Self.config, seed: 8), task: Countdown(),
                                       options: Self.options(steps: 6, matmul: matmul), runDirectory: straightDirectory)
        try straight.run()

        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try GRPOTrainer(model: try Transformer(config: Self.config, seed: 8), task: Countdown(),
                                    options: Self.options(steps: 6, matmul: matmul), runDirectory: dir)
        for _ in 0..<3 { try first.trainStep() }
        try first.saveCheckpoint()
        let resumed = try GRPOTrainer.resuming(runDirectory: dir, task: Countdown())
        #expect(resumed.step == 3 && resumed.reference != nil)
        #expect(resumed.model.matmulPrecision == matmul && resumed.reference?.matmulPrecision == matmul)
        try resumed.run()
        #expect(resumed.model.parameters.array == straight.model.parameters.array)
        #expect(resumed.optimizer.firstMoment.array == straight.optimizer.firstMoment.array)
        #expect(throws: TrainingError.self) { try GRPOTrainer.resuming(runDirectory: dir, task: Arithmetic()) }
    }

    @Test func aKilledRunResumesAsIfNeverStopped() throws {
        try #require(StrawberryProcess.executable != nil, "the strawberry executable is built beside the tests")
        let root = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Checkpoint.save(model: try Transformer(config: Self.config, seed: 8), state: Optional<Int>.none, to: root + "/start")
        let common = ["rl", "--model", root + "/start", "--steps", "30", "--problems", "8", "--group", "4", "--budget", "24",
                      "--kl", "0.05", "--lr", "3e-3", "--checkpoint-every", "2"]
        let straight = try StrawberryProcess.start(common + ["--out", root + "/straight"])
        straight.waitUntilExit()
        #expect(straight.terminationStatus == 0)

        let killed = try StrawberryProcess.start(common + ["--out", root + "/killed"])
        // Kill it with SIGKILL as soon as it has written a checkpoint.
        while !FileManager.default.fileExists(atPath: root + "/killed/latest") && killed.isRunning { usleep(5_000) }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal, "the run was killed before it finished")
        let resumed = try StrawberryProcess.start(["rl", "--out", root + "/killed", "--resume"])
        resumed.waitUntilExit()
        #expect(resumed.terminationStatus == 0)

        let a = try Checkpoint.loadModel(root + "/straight"), b = try Checkpoint.loadModel(root + "/killed")
        #expect(a.parameters.array == b.parameters.array)
        let steps = try String(contentsOfFile: root + "/killed/metrics.jsonl", encoding: .utf8).split(separator: "\n").count
        #expect(steps == 30)
    }
}
