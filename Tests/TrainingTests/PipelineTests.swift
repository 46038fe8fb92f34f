import Foundation
import Testing
import Model
import Reasoning
import Tasks
import Training

@Suite struct PipelineTests {
    @Test func pipelineWritesEveryStageAndTheReport() throws {
        let out = NSTemporaryDirectory() + "pipeline-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var pipeline = TrainingPipeline(task: Countdown(), difficulty: 3, preset: "tiny", out: out)
        pipeline.examples = 40
        pipeline.sft.steps = 4
        pipeline.sft.batchSize = 4
        pipeline.sft.checkpointEvery = 4
        pipeline.rl.steps = 2
        pipeline.rl.problemsPerStep = 2
        pipeline.rl.groupSize = 2
        pipeline.rl.probeProblems = 2
        pipeline.rl.probeSamples = 2
        pipeline.rl.budget = Budget(maxThinking: 16, maxAnswer: 8)
        pipeline.evalProblems = 2
        pipeline.budgets = [0, 16]
        var lines: [String] = []
        let (before, after) = try pipeline.run { lines.append($0) }
        #expect(before.cells.count == 4 && after?.cells.count == 4)
        for file in ["sft.jsonl", "sft/latest", "rl/latest", "rl/metrics.jsonl", "eval-sft.json", "eval-rl.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file) missing")
        }
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(page.contains("Reward and accuracy against RL steps") && page.contains("after SFT + RL"))
        #expect(lines.contains { $0.hasPrefix("4/4 RL") })
        // A second run into the same folder is refused rather than mixed with the first.
        #expect(throws: TrainingError.self) { try pipeline.run { _ in } }
    }
}
