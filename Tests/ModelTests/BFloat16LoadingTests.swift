import Foundation
import Testing
import TestSupport
import Kernels
import Model

/// A model loaded with its matrices in bfloat16: it decodes the logits of the same model with its
/// matrices rounded to bfloat16, the same in any batch, holds no float32 copy of them, and
/// refuses what needs the float32 weights.
@Suite struct BFloat16LoadingTests {
    /// Wide enough that every matrix spans whole pages; untied, with biases, so that every kind of
    /// tensor is loaded.
    static func config() -> ModelConfig {
        var c = ModelConfig.tiny(dim: 256, layers: 2, ffn: 384, context: 64, tied: false)
        c.attentionBias = true
        return c
    }

    static func logits(_ model: Transformer, _ prompts: [[Int32]], then next: [Int32]) throws -> [Float] {
        let cache = KVCache(config: model.config, slots: prompts.count)
        _ = try model.forwardCached(prompts.enumerated().map { CacheSegment(slot: $0.offset, tokens: $0.element) }, cache: cache)
        return try model.forwardCached(next.enumerated().map { CacheSegment(slot: $0.offset, tokens: [$0.element]) }, cache: cache)
    }

    @Test func decodesTheRoundedModelInAnyBatchAndHoldsNoFloat32Copy() throws {
        let dir = Scratch.path("bf16-load")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: Self.config(), seed: 3)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)
        let loaded = try Checkpoint.loadModel(dir, precision: .bfloat16)
        #expect(loaded.precision == .bfloat16 && model.precision == .float32)

        // The reference: the float32 model with every matrix rounded to bfloat16 (norms and biases as they are).
        let rounded = try Checkpoint.loadModel(dir)
        for t in rounded.layout.tensors where t.shape.count == 2 {
            for i in t.offset..<(t.offset + t.count) { rounded.parameters[i] = BFloat16.float(BFloat16.bits(rounded.parameters[i])) }
        }
        var rng = SeededRNG(seed: 5)
        let prompts: [[Int32]] = [9, 4, 15].map { n in (0..<n).map { _ in Int32(rng.next() % 272) } }
        let next: [Int32] = [7, 100, 33]
        let batched = try Self.logits(loaded, prompts, then: next), reference = try Self.logits(rounded, prompts, then: next)
        let worst = zip(batched, reference).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "bfloat16 matrices against the rounded float32 model: \(worst)")
        let full = try Self.logits(model, prompts, then: next)
        #expect(zip(batched, full).map { abs($0 - $1) }.max()! > 0, "the rounding is real")
        // Each sequence alone gets the same bits as in the batch.
        for s in 0..<3 {
            let alone = try Self.logits(loaded, [prompts[s]], then: [next[s]])
            #expect(alone == Array(batched[(s * 272)..<((s + 1) * 272)]), "sequence \(s) alone")
        }
        // The float32 matrices are gone (their pages read as zeros); the norms and biases stay.
        // A matrix of three pages or more has a whole page at its middle.
        let pageFloats = Int(getpagesize()) / 4
        for t in loaded.layout.tensors {
            let middle = loaded.parameters[t.offset + t.count / 2]
            if t.shape.count == 2 && t.count >= 3 * pageFloats {
                #expect(middle == 0, "\(t.name) is still held in float32")
            } else if t.shape.count == 1 {
                #expect(middle == model.parameters[t.offset + t.count / 2], "\(t.name) is kept")
            }
        }
    }

    /// With the activations rounded too (`bfloat16-dot`), each sequence still gets the same bits
    /// alone as in a batch, and the logits stay within bfloat16's rounding of the activations.
    @Test func roundedActivationsDecodeTheSameInAnyBatchAndNearTheWidenedProduct() throws {
        let dir = Scratch.path("bf16-dot-load")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint.save(model: try Transformer(config: Self.config(), seed: 3), state: Optional<Int>.none, to: dir)
        let dot = try Checkpoint.loadModel(dir, precision: .bfloat16Dot), widened = try Checkpoint.loadModel(dir, precision: .bfloat16)
        let tagged = try dot.readingBudgets([32])
        #expect(dot.precision == .bfloat16Dot && tagged.precision == .bfloat16Dot)
        var rng = SeededRNG(seed: 6)
        let prompts: [[Int32]] = [5, 12, 1, 8, 3].map { n in (0..<n).map { _ in Int32(rng.next() % 272) } }
        let next: [Int32] = [3, 200, 41, 9, 77]
        let batched = try Self.logits(dot, prompts, then: next), reference = try Self.logits(widened, prompts, then: next)
        let worst = zip(batched, reference).map { abs($0 - $1) }.max()!, scale = reference.map(abs).max()!
        #expect(worst > 0 && worst < 0.02 * scale, "rounded against widened activations: \(worst) (logits up to \(scale))")
        for s in 0..<prompts.count {
            let alone = try Self.logits(dot, [prompts[s]], then: [next[s]])
            #expect(alone == Array(batched[(s * 272)..<((s + 1) * 272)]), "sequence \(s) alone")
        }
    }

    @Test func whatNeedsTheFloat32WeightsIsRefused() throws {
        let dir = Scratch.path("bf16-refuse")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint.save(model: try Transformer(config: ModelConfig.tiny(context: 32), seed: 4), state: Optional<Int>.none, to: dir)
        let loaded = try Checkpoint.loadModel(dir, precision: .bfloat16)
        let batch = TokenBatch(sequences: [[1, 2, 3]], tokenWeights: [[1, 1, 1]])
        #expect(throws: ModelError.self) { try loaded.forwardBackward(batch) }
        #expect(throws: ModelError.self) { try Checkpoint.save(model: loaded, state: Optional<Int>.none, to: dir + "-copy") }
        #expect(throws: ModelError.self) { try HuggingFaceExport.write(loaded, to: dir + "-hf") }
        #expect(throws: ModelError.self) { try GGUFExport.write(loaded, to: dir + ".gguf", precision: .f32, name: "m") }
        #expect(!FileManager.default.fileExists(atPath: dir + "-copy") && !FileManager.default.fileExists(atPath: dir + ".gguf"))
        // A model that reads budget tags keeps the bfloat16 matrices.
        #expect(try loaded.readingBudgets([32, 128]).precision == .bfloat16)
    }

    @Test func automaticPrecisionIsBFloat16OnlyAboveThePackingLimit() {
        #expect(WeightPrecision.automatic(for: ModelConfig.tiny(context: 32)) == .float32)
        var large = ModelConfig.tiny(dim: 1024, layers: 8, context: 32)
        large.vocabSize = 151_936
        #expect(large.parameterCount > 64 << 20)
        #expect(WeightPrecision.automatic(for: large) == .bfloat16)
    }
}
