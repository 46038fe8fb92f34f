import Foundation
import Testing
import TestSupport
import Model
import Reasoning
import Tasks
import Training

@Suite struct PipelineTests {
    /// A pipeline of a few seconds: 40 examples, 4 SFT steps of a tiny model, 2 test problems at budgets 0 and 16.
    static func tinyPipeline(out: String) -> TrainingPipeline {
        var pipeline = TrainingPipeline(task: Countdown(), difficulty: 3, preset: "tiny", out: out)
        pipeline.examples = 40
        pipeline.sft.steps = 4
        pipeline.sft.batchSize = 4
        pipeline.sft.checkpointEvery = 4
        pipeline.evalProblems = 2
        pipeline.budgets = [0, 16]
        return pipeline
    }

    /// The tiny pipeline with expert iteration of a few seconds (3 problems × 2 samples at budget 16, 2 steps a
    /// round) and a control of `controlSteps`.
    static func tinyExpertIteration(out: String, rounds: Int, controlSteps: Int) -> TrainingPipeline {
        var pipeline = tinyPipeline(out: out)
        pipeline.rlMethod = .expertIteration
        pipeline.expertIteration.rounds = rounds
        pipeline.expertIteration.problems = 3
        pipeline.expertIteration.samples = 2
        pipeline.expertIteration.budget = Budget(maxThinking: 16, maxAnswer: 8)
        pipeline.expertIteration.steps = 2
        pipeline.controlSteps = controlSteps
        return pipeline
    }

    @Test func pipelineWritesEveryStageAndTheReport() throws {
        let out = Scratch.path("pipeline")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var pipeline = Self.tinyPipeline(out: out)
        pipeline.rl.steps = 2
        pipeline.rl.problemsPerStep = 2
        pipeline.rl.groupSize = 2
        pipeline.rl.probeProblems = 2
        pipeline.rl.probeSamples = 2
        pipeline.rl.budget = Budget(maxThinking: 16, maxAnswer: 8)
        var lines: [String] = []
        let (before, after, control) = try pipeline.run { lines.append($0) }
        #expect(before.cells.count == 4 && after?.cells.count == 4 && control == nil)
        for file in ["sft.jsonl", "sft/latest", "rl/latest", "rl/metrics.jsonl", "eval-sft.json", "eval-rl.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file) missing")
        }
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(page.contains("Reward and accuracy against RL steps") && page.contains("after SFT + RL"))
        #expect(lines.contains { $0.hasPrefix("4/4 RL") })
        // A second run into the same folder is refused rather than mixed with the first.
        #expect(throws: TrainingError.self) { try pipeline.run { _ in } }
    }

    @Test func expertIterationRunsAsThePipelinesRLStage() throws {
        let out = Scratch.path("pipeline-ei")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var pipeline = Self.tinyExpertIteration(out: out, rounds: 2, controlSteps: 3)
        pipeline.problemSeed = 1000
        var lines: [String] = []
        let (before, after, control) = try pipeline.run { lines.append($0) }
        #expect(after?.cells.count == 4 && control?.cells.count == 4)
        // Every evaluation meets the test problems of the fixed problem seed, whatever the run's seed.
        #expect([before, after, control].allSatisfy { $0?.settings.problemSeed == 1000 && $0?.settings.seed == pipeline.seed })
        for file in ["rl/latest", "rl/round-1/distill.jsonl", "rl/round-2/distill.jsonl", "eval-rl.json", "report.html",
                     "control/latest", "eval-control.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file) missing")
        }
        #expect(lines.contains { $0.hasPrefix("4/4 RL by expert iteration: 2 round(s)") })
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(page.contains("expert-iteration round") && page.contains("training problems solved"))
        #expect(!page.contains(">probe pass@k<"), "a metric expert iteration does not record is left out of the plots")
        #expect(page.contains("SFT control"))
        // The control started from the SFT weights, not from the model RL changed: its run is 3 steps past SFT.
        let sftModel = try Checkpoint.loadModel(out + "/sft"), rlModel = try Checkpoint.loadModel(out + "/rl")
        let controlModel = try Checkpoint.loadModel(out + "/control")
        #expect(controlModel.parameters.array != sftModel.parameters.array && controlModel.parameters.array != rlModel.parameters.array)
        #expect(try String(contentsOfFile: out + "/control/metrics.jsonl", encoding: .utf8).split(separator: "\n").count == 3)
        // Tool-assisted thinking is refused before any training.
        let toolOut = out + "-tool"
        var tool = pipeline
        tool.out = toolOut
        tool.style = .tool
        #expect(throws: TrainingError.self) { try tool.run { _ in } }
        #expect(!FileManager.default.fileExists(atPath: toolOut))
    }

    @Test func aCutStageLearnsWholeSearchesFirstAndIsTheStartOfRLAndTheControl() throws {
        let out = Scratch.path("pipeline-cut-stage")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var pipeline = Self.tinyExpertIteration(out: out, rounds: 1, controlSteps: 2)
        pipeline.sft.cutThinking = 0.5
        pipeline.cutStageSteps = 3
        pipeline.cutStageLearningRate = 4e-4
        var lines: [String] = []
        let (before, _, _) = try pipeline.run { lines.append($0) }
        #expect(before.model == out + "/sft-cut")
        #expect(lines.contains { $0.hasPrefix("2/4 SFT") && $0.hasSuffix("on whole searches") })
        let whole = try Checkpoint.loadState(SFTState.self, from: try Checkpoint.resolve(out + "/sft")).options
        let cut = try Checkpoint.loadState(SFTState.self, from: try Checkpoint.resolve(out + "/sft-cut")).options
        #expect(whole.cutThinking == 0 && whole.steps == 4)
        #expect(cut.cutThinking == 0.5 && cut.steps == 3 && cut.learningRate == 4e-4 && cut.seed == pipeline.seed &+ 200)
        let wholeModel = try Checkpoint.loadModel(out + "/sft"), cutModel = try Checkpoint.loadModel(out + "/sft-cut")
        #expect(cutModel.parameters.array != wholeModel.parameters.array)
        // The control is the cut model given its steps: replayed from the checkpoint, the same bits.
        var options = pipeline.sft
        options.steps = pipeline.controlSteps
        options.learningRate = pipeline.expertIteration.learningRate
        options.seed = pipeline.seed &+ 300
        options.checkpointEvery = pipeline.controlSteps
        let dataset = try SFTDataset.load(path: out + "/sft.jsonl", maxTokens: cutModel.config.contextLength + 1,
                                          vocabulary: cutModel.vocabulary, budgetLevels: [], briefBelow: 0)
        let replay = SFTTrainer(model: cutModel, dataset: dataset, options: options, runDirectory: out + "/replay")
        try replay.run()
        #expect(try Checkpoint.loadModel(out + "/control").parameters.array == replay.model.parameters.array)
    }
}
