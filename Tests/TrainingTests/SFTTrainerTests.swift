import Foundation
import Testing
import TestSupport
import Kernels
import Model
import Training

@Suite struct SFTTrainerTests {
    static let config = ModelConfig.tiny(dim: 48, ffn: 96, context: 48)

    static func dataset() -> SFTDataset {
        let pairs = [("2+3", "<think>2 plus 3</think>5"), ("7+1", "<think>7 plus 1</think>8"),
                     ("4+4", "<think>4 plus 4</think>8"), ("9+0", "<think>9 plus 0</think>9")]
        return SFTDataset(examples: pairs.map { SFTDataset.example(prompt: $0.0, completion: $0.1, maxTokens: 48, vocabulary: .strawberry).0 })
    }

    static func temporaryDirectory() -> String {
        Scratch.path("strawberry-sft")
    }

    static func trainer(_ dir: String, steps: Int, seed: UInt64 = 3, matmul: MatmulPrecision = .float32) throws -> SFTTrainer {
        var options = SFTOptions()
        options.matmul = matmul
        options.steps = steps
        options.batchSize = 3
        options.learningRate = 3e-3
        options.warmupSteps = 5
        options.seed = seed
        options.checkpointEvery = 1000
        return SFTTrainer(model: try Transformer(config: Self.config, seed: seed), dataset: Self.dataset(),
                          options: options, runDirectory: dir)
    }

    @Test func tinyModelOverfitsAHandfulOfSequences() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = SFTOptions()
        options.steps = 150
        options.batchSize = 4
        options.learningRate = 1e-2
        options.warmupSteps = 10
        options.weightDecay = 0
        options.checkpointEvery = 1000
        let model = try Transformer(config: try ModelConfig.preset("tiny"), seed: 1)
        let trainer = SFTTrainer(model: model, dataset: Self.dataset(), options: options, runDirectory: dir)
        var first: Double = 0, last: Double = 0
        try trainer.run { p in
            if p.step == 1 { first = p.loss }
            last = p.loss
        }
        #expect(first > 3)
        #expect(last < 0.05, "loss after 150 steps: \(last)")
        let lines = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 150)
        #expect(lines[0].contains("\"loss\":") && lines[0].contains("\"tokens_per_s\":"))
    }

    @Test func sameSeedGivesSameNumbers() throws {
        let a = try Self.trainer(Self.temporaryDirectory(), steps: 6)
        let b = try Self.trainer(Self.temporaryDirectory(), steps: 6)
        let c = try Self.trainer(Self.temporaryDirectory(), steps: 6, seed: 4)
        for _ in 0..<6 { try a.trainStep(); try b.trainStep(); try c.trainStep() }
        #expect(a.model.parameters.array == b.model.parameters.array)
        #expect(a.model.parameters.array != c.model.parameters.array)
    }

    /// Training with bfloat16 products: the model runs them, a resumed run keeps them, and a run
    /// saved before the setting existed reads as float32.
    @Test func theMatmulPrecisionIsUsedAndResumed() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let half = try Self.trainer(dir, steps: 4, matmul: .bfloat16), full = try Self.trainer(Self.temporaryDirectory(), steps: 4)
        #expect(half.model.matmulPrecision == .bfloat16 && full.model.matmulPrecision == .float32)
        for _ in 0..<2 { try half.trainStep(); try full.trainStep() }
        #expect(half.model.parameters.array != full.model.parameters.array, "the rounding reaches the weights")
        try half.saveCheckpoint()
        let resumed = try SFTTrainer.resuming(runDirectory: dir, dataset: Self.dataset(), steps: nil)
        #expect(resumed.options.matmul == .bfloat16 && resumed.model.matmulPrecision == .bfloat16)
        let old = try JSONDecoder().decode(SFTOptions.self, from: Data(#"{"steps": 5}"#.utf8))
        #expect(old.matmul == .float32 && old.steps == 5)
    }

    /// The precision options at the command line: what they cannot apply to is refused with the reason.
    @Test func precisionOptionsAreRefusedWhereTheyCannotApply() throws {
        let out = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (arguments, reason) in [(["sft", "--data", out + ".jsonl", "--out", out, "--resume", "--matmul", "bfloat16"], "cannot change a resumed run"),
                                    (["rl", "--out", out, "--resume", "--matmul", "bfloat16"], "cannot change a resumed run"),
                                    (["bench", "train", "--preset", "tiny", "--matmul", "half"], "'half'"),
                                    (["bench", "generate", "--preset", "tiny", "--precision", "bfloat16-dot"], "applies to a checkpoint")] {
            let refused = try StrawberryProcess.run(arguments)
            #expect(refused.status != 0 && refused.output.contains(reason), "\(arguments): \(refused.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func resumingIsBitIdentical() throws {
        let straight = Self.temporaryDirectory(), split = Self.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: straight)
            try? FileManager.default.removeItem(atPath: split)
        }
        let full = try Self.trainer(straight, steps: 12)
        try full.run()

        let firstPart = try Self.trainer(split, steps: 12)
        for _ in 0..<5 { try firstPart.trainStep() }
        try firstPart.saveCheckpoint()
        // As if the first run had logged two more steps before it was killed.
        try (1...7).map { "{\"loss\":1,\"step\":\($0)}\n" }.joined().write(toFile: split + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let resumed = try SFTTrainer.resuming(runDirectory: split, dataset: Self.dataset(), steps: nil)
        #expect(resumed.step == 5)
        try resumed.run()
        #expect(resumed.step == 12)
        #expect(resumed.model.parameters.array == full.model.parameters.array)
        #expect(resumed.optimizer.secondMoment.array == full.optimizer.secondMoment.array)
        // The records of steps 6 and 7 written after the checkpoint are dropped: each step appears once.
        let logPath = split + "/metrics.jsonl"
        let steps = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["step"] as! Int
        }
        #expect(steps == Array(1...12))
    }

    @Test func badLinesAreReportedWithTheirNumber() throws {
        let path = Scratch.path("bad", suffix: ".jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cases = [
            ("{\"prompt\":\"a\",\"completion\":\"b\"}\n\n{oops\n", "3: not valid JSON"),
            ("{\"prompt\":\"a\",\"completion\":\"b\"}\n\"text\"\n", "2: not a JSON object"),
            ("{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"a\"}\n", "2: missing string field \"completion\""),
            ("{\"completion\":5}\n", "1: missing string field \"prompt\""),
            ("{\"prompt\":\"a\",\"completion\":\"b\",\"thinking_cut\":\"yes\"}\n", "1: \"thinking_cut\" must be true or false"),
            ("\n\n", "holds no examples"),
        ]
        for (text, message) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect { try SFTDataset.load(path: path, maxTokens: 64, vocabulary: .strawberry) } throws: { "\($0)".contains(message) }
        }
        #expect { try SFTDataset.load(path: "/nonexistent.jsonl", maxTokens: 64, vocabulary: .strawberry) } throws: { "\($0)".contains("cannot read") }
    }

    @Test func lossFallsOnCompletionTokensOnly() {
        let (example, cut) = SFTDataset.example(prompt: "abc", completion: "xy", maxTokens: 64, vocabulary: .strawberry)
        #expect(!cut)
        #expect(example.completionStart == 5)  // <|user|> a b c <|assistant|>
        let batch = SFTDataset(examples: [example]).batch(step: 0, size: 1, seed: 1)
        // Positions 4, 5, 6 predict x, y and <|end|>; each carries a third of the weight.
        let third: Float = 1.0 / 3
        let expected: [Float] = [0, 0, 0, 0, third, third, third]
        #expect(batch.weights == expected)
        #expect(batch.targets.suffix(3) == [120, 121, Tokenizer.Special.endOfTurn.rawValue])
        let padded = SFTDataset(examples: [example, SFTDataset.example(prompt: "a", completion: "b", maxTokens: 64,
                                                                        vocabulary: .strawberry).0]).batch(step: 0, size: 2, seed: 1)
        #expect(padded.realTokens == 7 + 4, "padding is not counted as tokens")
    }
}

@Suite struct ToolResultMaskTests {
    @Test func toolResultsCarryNoLoss() {
        let (example, _) = SFTDataset.example(prompt: "q", completion: "<think><tool>2*3</tool><result>6</result>ok</think>6",
                                              maxTokens: 64, vocabulary: .strawberry)
        let text = example.tokens.map { Tokenizer.decode([$0]) }
        let learnedText = zip(text, example.learned).filter { $0.1 }.map(\.0).joined()
        #expect(learnedText == "<think><tool>2*3</tool>ok</think>6<|end|>")
    }
}
