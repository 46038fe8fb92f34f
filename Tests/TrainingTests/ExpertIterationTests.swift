import Foundation
import Testing
import TestSupport
import Kernels
import Model
import Reasoning
import Tasks
import Training

@Suite struct ExpertIterationTests {
    static func records(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// A round the memorising teacher of `DistillationTests` can run in seconds: its 6 problems, 3 samples each.
    static func smallRound() -> ExpertIteration {
        var ei = ExpertIteration()
        ei.problems = 6
        ei.samples = 3
        ei.budget = Budget(maxThinking: 60, maxAnswer: 8)
        ei.steps = 3
        ei.learningRate = 1e-3
        return ei
    }

    @Test func aRoundTrainsOnTheVerifiedSamplesAndRecordsWhatItFound() throws {
        let task = Arithmetic()
        let model = try DistillationTests.teacher(problems: 6)
        model.matmulPrecision = .bfloat16
        let before = model.parameters.array
        var ei = Self.smallRound()
        ei.rounds = 2
        let dir = Scratch.path("ei")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines: [String] = []
        let rounds = try ei.run(model: model, task: task, difficulty: 1, runDirectory: dir) { lines.append($0) }

        #expect(rounds.map(\.round) == [1, 2])
        let first = try #require(rounds.first)
        #expect(!first.harvest.examples.isEmpty && first.loss != nil, "the memorising model solves some of its problems")
        #expect(model.parameters.array != before, "the round's fine-tuning changed the model in place")
        let kept = try String(contentsOfFile: dir + "/round-1/distill.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(kept.count == first.harvest.examples.count)
        for e in first.harvest.examples { #expect(task.score(e.problem, completion: e.completion).correct) }
        #expect(FileManager.default.fileExists(atPath: dir + "/round-2/sft/latest") == (rounds[1].loss != nil))

        let records = try Self.records(dir + "/metrics.jsonl")
        #expect(records.map { $0["step"] as? Int } == [1, 2])
        let r = records[0]
        #expect(r["kept"] as? Int == first.harvest.examples.count)
        /// Whether a recorded share equals `expected` (up to the log's decimal printing).
        func recorded(_ key: String, _ expected: Double) -> Bool { abs((r[key] as? Double ?? .nan) - expected) < 1e-9 }
        #expect(recorded("solved", Double(first.harvest.examples.count) / 6))
        #expect(recorded("accuracy", Double(first.harvest.correctSamples) / 18))
        #expect(recorded("thinking_tokens", Double(first.harvest.thinkingTokens) / 18))
        for key in ["cut_fraction", "reflection_rate", "kept_cut_fraction", "loss"] { #expect(r[key] is Double, "\(key)") }
        #expect(r["slip_rate"] == nil, "arithmetic cannot audit its thinking, so no self-correction fields")
        #expect(lines.contains { $0.hasPrefix("    round 1: solved \(first.harvest.examples.count) of 6") })
        // A round fine-tunes with the model's own matrix products (here bfloat16, as `train --matmul` sets them).
        #expect(model.matmulPrecision == .bfloat16)
        #expect(try Checkpoint.loadState(SFTState.self, from: try Checkpoint.resolve(dir + "/round-1/sft")).options.matmul == .bfloat16)
        // The run folder's checkpoint is the model after the last round.
        #expect(try Checkpoint.loadModel(dir).parameters.array == model.parameters.array)
    }

    @Test func aRoundCutsTheKeptThinkingWhenAsked() throws {
        let teacher = try DistillationTests.teacher(problems: 6)
        func trained(cutThinking: Float) throws -> [Float] {
            let weights = FloatBuffer(count: teacher.parameters.count)
            weights.copy(from: teacher.parameters)
            let model = try Transformer(config: teacher.config, parameters: weights, vocabulary: teacher.vocabulary)
            var ei = Self.smallRound()
            ei.cutThinking = cutThinking
            let dir = Scratch.path("ei-cut")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let rounds = try ei.run(model: model, task: Arithmetic(), difficulty: 1, runDirectory: dir) { _ in }
            #expect(rounds.first?.loss != nil, "the memorising model solves some of its problems")
            return model.parameters.array
        }
        let plain = try trained(cutThinking: 0)
        #expect(try trained(cutThinking: 0) == plain, "the same round gives the same model")
        #expect(try trained(cutThinking: 1) != plain, "every kept sample cut: other batches, another model")
    }

    @Test func reSTEMsFilterKeepsTheProblemsNotEverySampleSolvedAndTheMixDrawsAsManyWorkedSolutions() {
        let task = Countdown()
        func example(_ seed: UInt64, solved: Int?) -> WorkedExamples.Example {
            let problem = task.generate(seed: seed, difficulty: 3)
            return WorkedExamples.Example(problem: problem, completion: task.trace(problem, style: .human)!, solvedSamples: solved)
        }
        let kept = [example(1, solved: 8), example(2, solved: 1), example(3, solved: 7), example(4, solved: 8)]
        let worked = (10..<20).map { example($0, solved: nil) }
        var ei = ExpertIteration()
        ei.samples = 8
        let all = ei.training(kept, worked: worked, round: 1)
        #expect(all.samples.map(\.problem.prompt) == kept.map(\.problem.prompt) && all.mixedIn.isEmpty)
        ei.partlySolvedOnly = true
        let partly = ei.training(kept, worked: worked, round: 1)
        #expect(partly.samples.map(\.solvedSamples) == [1, 7], "solved by all 8 samples: left out")
        ei.samples = 9
        #expect(ei.training(kept, worked: worked, round: 1).samples.count == 4, "8 of 9 samples is not every sample")
        ei.samples = 8
        ei.mixWithWorked = true
        let mixed = ei.training(kept, worked: worked, round: 1)
        #expect(mixed.samples.count == 2 && mixed.mixedIn.count == 2, "as many worked solutions as samples")
        let prompts = Set(worked.map(\.problem.prompt))
        #expect(mixed.mixedIn.allSatisfy { prompts.contains($0.problem.prompt) && $0.solvedSamples == nil })
        #expect(Set(mixed.mixedIn.map(\.problem.prompt)).count == 2, "drawn without replacement")
        #expect(ei.training(kept, worked: worked, round: 1).mixedIn.map(\.problem.prompt) == mixed.mixedIn.map(\.problem.prompt))
        let draws = Set((1...6).map { ei.training(kept, worked: worked, round: $0).mixedIn.map(\.problem.prompt) })
        #expect(draws.count > 1, "each round draws afresh")
        ei.partlySolvedOnly = false
        #expect(ei.training(kept, worked: Array(worked.prefix(3)), round: 1).mixedIn.count == 3, "fewer worked solutions: all of them")
        #expect(ei.training([], worked: worked, round: 1).mixedIn.isEmpty, "nothing kept, nothing mixed in")
    }

    @Test func aFilteredMixedRoundFineTunesOnBothAndSaysHowMany() throws {
        let task = Arithmetic()
        let model = try DistillationTests.teacher(problems: 6)
        let worked = WorkedExamples.make(task: task, difficulty: 1, split: .train, count: 20, style: .human,
                                         maxThinkingTokens: 100, seed: 1).examples
        var ei = Self.smallRound()
        ei.partlySolvedOnly = true
        ei.mixWithWorked = true
        let dir = Scratch.path("ei-mix")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: TrainingError.self, "mixing needs worked solutions") {
            try ei.run(model: model, task: task, difficulty: 1, runDirectory: dir) { _ in }
        }
        var lines: [String] = []
        let round = try #require(try ei.run(model: model, task: task, difficulty: 1, worked: worked, runDirectory: dir) {
            lines.append($0)
        }.first)
        let partly = round.harvest.examples.filter { ($0.solvedSamples ?? 0) < 3 }.count
        #expect(partly > 0 && partly < round.harvest.examples.count, "at temperature 1 the teacher solves some problems every time, some not")
        #expect(round.trainedSamples == partly && round.mixedIn == min(partly, worked.count))
        #expect(lines.contains("    round 1: \(partly) problems solved by some but not all 3 samples"))
        #expect((round.loss != nil) == (partly > 0))
        let record = try #require(try Self.records(dir + "/metrics.jsonl").first)
        #expect(record["kept"] as? Int == round.harvest.examples.count)
        #expect(record["trained_samples"] as? Int == partly && record["mixed_in"] as? Int == round.mixedIn)
        // distill.jsonl keeps every kept sample, the filtered ones too, with their counts.
        let kept = try String(contentsOfFile: dir + "/round-1/distill.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(kept.count == round.harvest.examples.count)
    }

    @Test func grpoRefusesTheExpertIterationFilterAndMixItWouldIgnore() throws {
        try #require(StrawberryProcess.executable != nil, "the strawberry executable is built beside the tests")
        let out = Scratch.path("ei-refused")
        defer { try? FileManager.default.removeItem(atPath: out) }
        for flag in ["--ei-partly-solved", "--ei-mix-worked"] {
            let train = try StrawberryProcess.run(["train", "--out", out, "--rl-method", "grpo", flag])
            #expect(train.status != 0 && train.output.contains("GRPO has no kept samples"), "\(flag)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aRoundThatSolvesNothingLeavesTheModelAsItWas() throws {
        // An untrained model does not write Countdown expressions that reach the target.
        let model = try Transformer(config: try ModelConfig.preset("tiny"), seed: 5)
        let before = model.parameters.array
        var ei = ExpertIteration()
        ei.problems = 3
        ei.samples = 2
        ei.budget = Budget(maxThinking: 8, maxAnswer: 6)
        ei.steps = 2
        let dir = Scratch.path("ei-none")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rounds = try ei.run(model: model, task: Countdown(), difficulty: 3, runDirectory: dir) { _ in }
        #expect(rounds.count == 1 && rounds[0].harvest.examples.isEmpty && rounds[0].loss == nil)
        #expect(model.parameters.array == before)
        #expect(!FileManager.default.fileExists(atPath: dir + "/round-1/sft"))
        let record = try #require(try Self.records(dir + "/metrics.jsonl").first)
        #expect(record["solved"] as? Double == 0 && record["loss"] == nil)
        #expect(try Checkpoint.loadModel(dir).parameters.array == before)
    }
}
