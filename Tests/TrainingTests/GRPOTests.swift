import Foundation
import Testing
import TestSupport
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
        // Against a baseline (the greedy completion's reward): the difference, undivided, and
        // signal whenever a reward differs from the baseline, even if all rewards are equal.
        #expect(GRPOTrainer.advantages([1, 0, 0, 1], normalizeByStd: true, baseline: 0) == [1, 0, 0, 1])
        #expect(GRPOTrainer.advantages([1, 0, 0, 1], normalizeByStd: true, baseline: 1) == [0, -1, -1, 0])
        #expect(GRPOTrainer.advantages([1, 1], normalizeByStd: true, baseline: 0) == [1, 1])
        #expect(GRPOTrainer.advantages([1, 1], normalizeByStd: true, baseline: 1) == nil)
        #expect(GRPOTrainer.advantages([1, 0], normalizeByStd: false, positiveOnly: true, baseline: 0.5) == [0.5, 0])
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

    /// Two hand-made sequences of a group: [prompt, a, b] with advantage +1 and [prompt, c, d]
    /// with advantage −1; tokens 1 and 2 are learned.
    static func handMadeBatch() -> RolloutBatch {
        var batch = RolloutBatch(generations: [], seconds: 0)
        batch.sequences = [[7, 1, 2], [7, 3, 4]]
        batch.learned = [[false, true, true], [false, true, true]]
        batch.oldLogProbs = [[0, -1, -2], [0, -1, -2]]
        batch.advantages = [[0, 1, 1], [0, -1, -1]]
        return batch
    }

    @Test func tokenWeightsFollowTheClippedObjectiveAndTheKLTerm() {
        let batch = Self.handMadeBatch()
        var options = GRPOOptions()
        options.clipLow = 0.2
        options.clipHigh = 0.28
        let normalisers = GRPOTrainer.normalisers(learned: batch.learned, aggregation: .token, budget: options.budget)
        #expect(normalisers == [4, 4], "token aggregation divides by all learned tokens")
        #expect(GRPOTrainer.normalisers(learned: batch.learned, aggregation: .sequence, budget: options.budget) == [4, 4])
        // Position j−1 of row s predicts token j; the current log-probs equal the old ones except
        // where they make a ratio of e^0.5 ≈ 1.65 (above 1 + 0.28) or e^−0.5 ≈ 0.61 (below 1 − 0.2).
        let current: [Float] = [-1, -1.5, 0, /* row 1 */ -1.5, -2, 0]
        let w = GRPOTrainer.tokenWeights(batch, current: current, reference: nil, length: 3, normalisers: normalisers, options: options)
        // Row 0, advantage +1: token 1 has ratio 1 (weight 1/4); token 2 ratio e^0.5 is clipped (0).
        #expect(abs(w.weights[0][1] - 0.25) < 1e-6 && w.weights[0][2] == 0 && w.weights[0][0] == 0)
        // Row 1, advantage −1: token 1 ratio e^−0.5 is clipped; token 2 ratio 1 gives −1/4.
        #expect(w.weights[1][1] == 0 && abs(w.weights[1][2] + 0.25) < 1e-6)
        #expect(w.clipped == 2 && w.active == 4 && w.klSum == 0)
        // With a reference that agrees with the current policy, the KL term adds nothing.
        options.klCoefficient = 0.5
        let same = GRPOTrainer.tokenWeights(batch, current: current, reference: current, length: 3, normalisers: normalisers, options: options)
        #expect(same.weights == w.weights && same.klSum == 0)
        // A reference half as likely on row 0's first token: weight −β(1 − p_ref/p)/n added, and
        // the k3 estimate e^d − d − 1 with d = log(p_ref/p) = −log 2.
        var reference = current
        reference[0] -= log(2)
        let kl = GRPOTrainer.tokenWeights(batch, current: current, reference: reference, length: 3, normalisers: normalisers, options: options)
        #expect(abs(kl.weights[0][1] - (0.25 - 0.5 * 0.5 / 4)) < 1e-6)
        #expect(abs(kl.klSum - (0.5 + log(2) - 1)) < 1e-6)
    }

    @Test func optionsSavedBeforeASettingExistedReadItsDefault() throws {
        let old = #"{"steps": 7, "problemsPerStep": 3, "learningRate": 0.001}"#
        let options = try JSONDecoder().decode(GRPOOptions.self, from: Data(old.utf8))
        #expect(options.steps == 7 && options.problemsPerStep == 3 && options.learningRate == 0.001)
        #expect(options.positiveOnly == false && options.falseClaimPenalty == 0 && options.groupSize == GRPOOptions().groupSize)
        let sft = try JSONDecoder().decode(SFTOptions.self, from: Data(#"{"steps": 5, "batchSize": 2}"#.utf8))
        #expect(sft.steps == 5 && sft.batchSize == 2 && sft.cutThinking == 0 && sft.warmupSteps == SFTOptions().warmupSteps)
        let roundTrip = try JSONDecoder().decode(GRPOOptions.self, from: JSONEncoder().encode(options))
        #expect(roundTrip == options)
    }

    @Test func aStepRecordsItsMetricsAndOnlyLearnsFromSignal() throws {
        let config = ModelConfig.tiny(context: 160)
        var options = GRPOOptions()
        options.problemsPerStep = 2
        options.groupSize = 4
        options.budget = Budget(maxThinking: 16, maxAnswer: 6)
        options.learningRate = 1e-3
        options.klCoefficient = 0.1
        // An untrained model never solves Countdown; rewards are all 0 or 0.1 with no pattern.
        let model = try Transformer(config: config, seed: 4)
        let before = model.parameters.array
        let runDirectory = Scratch.path("grpo")
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let trainer = try GRPOTrainer(model: model, task: Countdown(), options: options, runDirectory: runDirectory)
        #expect(trainer.reference != nil)
        let s = try trainer.trainStep()
        #expect(s.step == 1)
        #expect((0...1).contains(s.reward) && s.accuracy == 0)
        #expect(s.thinkingTokens <= 16 && s.answerTokens <= 6)
        #expect((0...1).contains(s.cutFraction) && (0...1).contains(s.clipFraction))
        #expect(s.kl >= 0 && s.kl < 1e-3, "the first step starts at the reference")
        // Rates come from measured times (an unset time once logged 8e12 update tokens/s).
        #expect(s.rolloutTokensPerSecond > 0 && s.rolloutTokensPerSecond < 1e9 && s.updateTokensPerSecond < 1e9)
        // Parameters move exactly when some group carried signal.
        #expect((model.parameters.array != before) == (s.groupsUsed > 0))
    }

    @Test func tokenAdvantagesCreditAThinkingTokenOnlyWithTheCutsAfterIt() throws {
        // Two samples, one cut at 2 thinking tokens. Both answer right after the whole thinking;
        // only the first answers right at the cut. Positions: `<think>` 0, two tokens 0 and 1, one
        // at 2, `</think>` 3, then two answer tokens.
        let positions: [Int?] = [0, 0, 1, 2, 3, nil, nil]
        let a = try #require(GRPOTrainer.tokenAdvantages([[1, 1], [0, 1]], cuts: [2], thinkingPositions: [positions, positions],
                                                           normalizeByStd: false))
        // The cut's column is +0.5 / −0.5, the whole rollout's carries none; two columns.
        #expect(a[0] == [0.25, 0.25, 0.25, 0, 0, 0, 0])
        #expect(a[1] == [-0.25, -0.25, -0.25, 0, 0, 0, 0])
        // The whole rollout's column reaches every token, the answer included.
        let b = try #require(GRPOTrainer.tokenAdvantages([[1, 1], [0, 0]], cuts: [2], thinkingPositions: [positions, positions],
                                                           normalizeByStd: false))
        #expect(b[0] == [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25] && b[1] == b[0].map { -$0 })
        #expect(GRPOTrainer.tokenAdvantages([[1, 0], [1, 0]], cuts: [2], thinkingPositions: [positions, positions],
                                              normalizeByStd: true) == nil, "no column with signal")
        let positive = try #require(GRPOTrainer.tokenAdvantages([[1, 1], [0, 1]], cuts: [2], thinkingPositions: [positions, positions],
                                                                  normalizeByStd: false, positiveOnly: true))
        #expect(positive[1].allSatisfy { $0 == 0 } && positive[0] == a[0])
        // Without cuts, every token of a sample gets the sample's advantage.
        #expect(GRPOTrainer.tokenAdvantages([[1], [0]], cuts: [], thinkingPositions: [positions, [0, nil]], normalizeByStd: false)
                == [Array(repeating: 0.5, count: 7), [-0.5, -0.5]])
    }

    @Test func rewardCutsMustFitTheBudget() {
        var options = GRPOOptions()
        options.budget = Budget(maxThinking: 16, maxAnswer: 6)
        options.rewardCuts = [4, 8]
        #expect(throws: Never.self) { try options.validate() }
        for bad in [[4, 16], [8, 4], [-1, 4], [4, 4]] {
            options.rewardCuts = bad
            #expect(throws: TrainingError.self) { try options.validate() }
        }
    }

    @Test func theCommandsRefuseRewardShapingTheyCannotApply() throws {
        try #require(StrawberryProcess.executable != nil, "the strawberry executable is built beside the tests")
        let out = Scratch.path("refused")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let train = try StrawberryProcess.run(["train", "--out", out, "--reward-cuts", "32,64"])
        #expect(train.status != 0 && train.output.contains("--rl-method grpo"), "expert iteration would ignore them")
        let rl = try StrawberryProcess.run(["rl", "--model", out, "--out", out, "--budget", "128", "--reward-cuts", "64,200"])
        #expect(rl.status != 0 && rl.output.contains("stay below the RL thinking budget 128"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aRolloutWithRewardCutsCreditsThinkingByWhereItStands() throws {
        var options = GRPOOptions()
        options.problemsPerStep = 3
        options.groupSize = 4
        options.budget = Budget(maxThinking: 16, maxAnswer: 6)
        options.rewardCuts = [4, 8]
        options.dynamicSampling = false
        let model = try Transformer(config: ModelConfig.tiny(context: 160), seed: 4)
        let trainer = try GRPOTrainer(model: model, task: EvenAnswerCountdown(), options: options, runDirectory: Scratch.path("grpo-cuts"))
        let batch = try trainer.rollout()
        #expect(batch.sequences.count == 12 && batch.generations.allSatisfy { $0.atCuts.count == 2 })
        #expect(batch.advantages.contains { $0.contains { $0 != 0 } }, "the verifier's rewards vary, so some token has signal")
        for (s, g) in zip(batch.sequences.indices, batch.generations) {
            let prompt = batch.sequences[s].count - g.tokens.count
            let advantages = batch.advantages[s]
            #expect(advantages.count == batch.sequences[s].count && advantages[..<prompt].allSatisfy { $0 == 0 })
            let positions = g.thinkingPositions
            #expect(positions.compactMap { $0 }.max().map { $0 <= g.thinkingTokens } ?? false)
            // After the last cut only the whole rollout's reward reaches a token, as it does the answer's;
            // before the first cut every column does.
            let answer = zip(positions, advantages[prompt...]).first { $0.0 == nil }.map(\.1)
            for (position, advantage) in zip(positions, advantages[prompt...]) {
                if let position, position >= 8, let answer { #expect(advantage == answer) }
                if let position, position < 4 { #expect(advantage == advantages[prompt]) }
            }
        }
    }

    @Test func aGreedyBaselineMeasuresEachSampleAgainstTheGreedyCompletion() throws {
        var options = GRPOOptions()
        options.problemsPerStep = 3
        options.groupSize = 4
        options.budget = Budget(maxThinking: 12, maxAnswer: 6)
        options.greedyBaseline = true
        options.dynamicSampling = false
        let task = EvenAnswerCountdown()
        let model = try Transformer(config: ModelConfig.tiny(context: 160), seed: 4)
        let trainer = try GRPOTrainer(model: model, task: task, options: options, runDirectory: Scratch.path("grpo-greedy"))
        let batch = try trainer.rollout()
        #expect(batch.generations.count == 12 && batch.baselineTokens > 0, "the greedy completions are not samples")
        let problems = (0..<3).map { task.problem(index: $0, difficulty: options.difficulty, split: .train, baseSeed: options.seed) }
        let greedy = try Engine(model: model, slots: 3).generate(items: 3, samples: 1) { i, _ in
            GenerationRequest(user: problems[i].prompt, sampling: .greedy, budget: options.budget)
        }
        var signal = false
        for (s, g) in batch.generations.enumerated() {
            let expected = task.score(problems[s / 4], completion: g.text).reward - task.score(problems[s / 4], completion: greedy[s / 4][0].text).reward
            let learned = zip(batch.learned[s], batch.advantages[s]).filter(\.0).map(\.1)
            #expect(learned.allSatisfy { $0 == expected })
            signal = signal || expected != 0
        }
        #expect(signal, "some sample differs from its greedy completion")
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
        let dir = Scratch.path("grpo-run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, ffn: 32, context: 128), seed: 2)
        let trainer = try GRPOTrainer(model: model, task: Countdown(), options: options, runDirectory: dir)
        try trainer.run()
        let lines = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for key in ["reward", "accuracy", "thinking_tokens", "cut_fraction", "reflection_rate", "clip_fraction", "kl",
                        "grad_norm", "rollout_tokens_per_s", "probe_pass_at_k", "probe_greedy_accuracy",
                        "slip_rate", "false_claim_rate", "recovery_rate", "mistakes"] {
                #expect(record[key] != nil, "\(key) missing")
            }
        }
        let samples = try String(contentsOfFile: dir + "/samples/step-00000002.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(samples.count == 6)
        #expect(try Checkpoint.resolve(dir).hasSuffix("step-00000002"))
    }
}

/// Countdown whose verifier accepts an answer of even length: the random answers of an untrained
/// model then earn rewards that differ between samples, so advantages are not all 0.
private struct EvenAnswerCountdown: ReasoningTask {
    let countdown = Countdown()
    var name: String { "even-answer countdown" }
    var difficulties: ClosedRange<Int> { countdown.difficulties }
    func generate(seed: UInt64, difficulty: Int) -> Problem { countdown.generate(seed: seed, difficulty: difficulty) }
    func canonical(_ problem: Problem) -> String { countdown.canonical(problem) }
    func score(_ problem: Problem, completion: String) -> Score {
        (Completion(completion).answer ?? "x").count % 2 == 0 ? .right("even") : .malformed("odd")
    }
    func trace(_ problem: Problem, style: TraceStyle, maxThinkingTokens: Int) -> String? { nil }
    func runTool(_ call: String, problem: Problem) -> String { "" }
}
