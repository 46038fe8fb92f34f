import Foundation
import Testing
import Kernels
import Model
import Reasoning
import Tasks
import Training

@Suite struct GRPOTests {
    @Test func advantagesAreGroupRelative() {
        let a = GRPOTrainer.advantages([1, 0, 0, 1], normalizeByStd: false)!
        #expect(a == [0.5, -0.5, -0.5, 0.5])
        let b = GRPOTrainer.advantages([1, 0, 0, 1], normalizeByStd: true)!
        #expect(abs(b[0] - 1) < 1e-5 && abs(b[1] + 1) < 1e-5)
        #expect(GRPOTrainer.advantages([0.1, 0.1, 0.1], normalizeByStd: true) == nil)
        #expect(GRPOTrainer.advantages([1, 0, 0, 1], normalizeByStd: false, positiveOnly: true) == [0.5, 0, 0, 0.5])
        #expect(GRPOTrainer.advantages([0, 0, 0, 1], normalizeByStd: false, positiveOnly: true) == [0, 0, 0, 0.75])
        #expect(abs(GRPOTrainer.advantages([1, 0.1, 0, 0.1], normalizeByStd: false)!.reduce(0, +)) < 1e-12)
    }

    @Test func wrongRewardReplacesPartialCreditButNeverACorrectAnswersReward() {
        let task = Countdown()
        let problem = Problem(task: "countdown", seed: 1, difficulty: 3, prompt: "", inputs: [3, 5, 7], target: 22, key: "3*5+7")
        let right = task.score(problem, completion: "<think></think>3*5+7")
        let wellFormedWrong = task.score(problem, completion: "<think>3*5=15 yes</think>3*5-7")
        let garbled = task.score(problem, completion: "<think>3*5</think>7=71 no")
        var options = GRPOOptions()
        #expect(GRPOTrainer.reward(right, thinkingCut: false, options: options) == 1)
        #expect(GRPOTrainer.reward(wellFormedWrong, thinkingCut: false, options: options) == 0.1)
        #expect(GRPOTrainer.reward(garbled, thinkingCut: true, options: options) == 0)
        options.wrongReward = 0
        options.overlongPenalty = 0.5
        #expect(GRPOTrainer.reward(right, thinkingCut: false, options: options) == 1)
        #expect(GRPOTrainer.reward(wellFormedWrong, thinkingCut: false, options: options) == 0)
        #expect(GRPOTrainer.reward(right, thinkingCut: true, options: options) == 0.5)
        #expect(GRPOTrainer.reward(wellFormedWrong, thinkingCut: false, claimsFalsely: true, options: options) == 0)
        options.falseClaimPenalty = 0.5
        #expect(GRPOTrainer.reward(wellFormedWrong, thinkingCut: false, claimsFalsely: true, options: options) == -0.5)
        #expect(GRPOTrainer.reward(wellFormedWrong, thinkingCut: false, options: options) == 0)
    }

    @Test func aStepRecordsItsMetricsAndOnlyLearnsFromSignal() throws {
        let config = ModelConfig(dim: 32, layers: 2, heads: 4, kvHeads: 2, ffnDim: 48, contextLength: 160)
        var options = GRPOOptions()
        options.problemsPerStep = 2
        options.groupSize = 4
        options.budget = Budget(maxThinking: 16, maxAnswer: 6)
        options.learningRate = 1e-3
        options.klCoefficient = 0.1
        // An untrained model never solves Countdown; rewards are all 0 or 0.1 with no pattern.
        let model = try Transformer(config: config, seed: 4)
        let before = model.parameters.array
        let runDirectory = NSTemporaryDirectory() + "grpo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let trainer = try GRPOTrainer(model: model, task: Countdown(), options: options, runDirectory: runDirectory)
        #expect(trainer.reference != nil)
        let s = try trainer.trainStep()
        #expect(s.step == 1)
        #expect((0...1).contains(s.reward) && s.accuracy == 0)
        #expect(s.thinkingTokens <= 16 && s.answerTokens <= 6)
        #expect((0...1).contains(s.cutFraction) && (0...1).contains(s.clipFraction))
        #expect(s.kl >= 0 && s.kl < 1e-3, "the first step starts at the reference")
        // Parameters move exactly when some group carried signal.
        #expect((model.parameters.array != before) == (s.groupsUsed > 0))
    }

    @Test func reflectionMarkersAreDetected() {
        let task = Countdown()
        #expect(task.reflects("<think>3+4=7 no\nback to 3 4 5\n</think>1"))
        #expect(task.reflects("<think>Check: 3*4 = 12</think>3*4"))
        #expect(!task.reflects("<think>3+4=7 yes</think>3+4"))
        #expect(!task.reflects("back to 1 2 3"))
        #expect(Programs().reflects("<think>try sum(x): …, reject\n</think>x"))
    }
}

@Suite struct GRPORunTests {
    @Test func runLogsProbesAndSavesSamples() throws {
        var options = GRPOOptions()
        options.steps = 2
        options.problemsPerStep = 2
        options.groupSize = 3
        options.budget = Budget(maxThinking: 8, maxAnswer: 4)
        options.probeEvery = 2
        options.probeProblems = 3
        options.probeSamples = 2
        let dir = NSTemporaryDirectory() + "grpo-run-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig(dim: 32, layers: 1, heads: 4, kvHeads: 2, ffnDim: 32, contextLength: 128), seed: 2)
        let trainer = try GRPOTrainer(model: model, task: Countdown(), options: options, runDirectory: dir)
        try trainer.run()
        let lines = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for key in ["reward", "accuracy", "thinking_tokens", "cut_fraction", "reflection_rate", "clip_fraction", "kl",
                        "grad_norm", "rollout_tokens_per_s", "probe_pass_at_k", "probe_greedy_accuracy"] {
                #expect(record[key] != nil, "\(key) missing")
            }
        }
        let samples = try String(contentsOfFile: dir + "/samples/step-00000002.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(samples.count == 6)
        #expect(try Checkpoint.resolve(dir).hasSuffix("step-00000002"))
    }
}
