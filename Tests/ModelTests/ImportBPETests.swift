import Foundation
import Testing
import Kernels
@testable import Model
import TestSupport

/// Importing Hugging Face models with their own BPE vocabularies: Qwen2 (biases, ChatML) and a
/// Llama without chat tokens, whose embedding must grow for the tokens Strawberry adds.
@Suite struct ImportBPETests {
    static func folder(_ kind: TinyHuggingFaceModel.Kind) throws -> (Transformer, String) {
        let dir = Scratch.path("hf-bpe")
        return (try TinyHuggingFaceModel.write(kind, to: dir), dir)
    }

    /// Log-softmax-free comparison: the raw logits of every position for `tokens`.
    static func logits(_ model: Transformer, _ tokens: [Int32]) throws -> [[Float]] {
        let cache = KVCache(config: model.config, slots: 1)
        let flat = try model.forwardCached([CacheSegment(slot: 0, tokens: tokens)], cache: cache, allPositions: true)
        let v = model.config.vocabSize
        return (0..<tokens.count).map { Array(flat[($0 * v)..<(($0 + 1) * v)]) }
    }

    @Test func qwen2KeepsItsWeightsChatFormatAndGainsTheReasoningTokens() throws {
        let (source, dir) = try Self.folder(.qwen2)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try HuggingFaceImport.load(dir)
        let v = model.vocabulary
        #expect(model.config.attentionBias && model.config.tiedEmbeddings && model.config.ropeTheta == 1_000_000)
        #expect(v.format == .chatML)
        // The six reasoning markers follow the largest id (274) and fit the padded rows (288).
        #expect(v.markers.thinkStart == 275 && v.markers.thinkEnd == 276 && v.markers.resultEnd == 280)
        #expect(v.markers.endOfTurn == 274)
        #expect(model.config.vocabSize == 288)
        let sameWeights = model.parameters.array == source.parameters.array
        #expect(sameWeights)
        // The prompt is what the tokenizer makes of the ChatML text.
        let bpe = try BPETokenizer(json: try JSONSerialization.jsonObject(with: v.tokenizerJSON!) as! [String: Any], source: "t")
        let chat = "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nthe theater is on<|im_end|>\n<|im_start|>assistant\n"
        #expect(v.prompt(conversation: [(.system, "be brief"), (.user, "the theater is on")]) == bpe.encode(chat).map(Int32.init))
        #expect(v.encode("the") == [116, 257] && v.encode(" the") == [258])  // merges "h e", then "Ġ t" and "Ġt he"
        // Completions: markers are single tokens; user text never becomes a marker.
        let completion = v.completion("<think>is it?</think>yes")
        #expect(completion.first == v.markers.thinkStart && completion.last == v.markers.endOfTurn)
        #expect(completion.contains(v.markers.thinkEnd))
        #expect(!v.encode("<think>").contains(v.markers.thinkStart))
        #expect(v.decode(completion) == "<think>is it?</think>yes<|im_end|>")
        #expect(try Self.logits(model, v.prompt("hi")) == Self.logits(source, v.prompt("hi")))
    }

    @Test func llamaWithoutChatTokensGrowsItsEmbeddingAndKeepsItsLogits() throws {
        let (source, dir) = try Self.folder(.llama)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try HuggingFaceImport.load(dir)
        let v = model.vocabulary
        let rows = TinyHuggingFaceModel.vocabRows(.llama)
        #expect(v.format == .strawberry)
        #expect(v.size == rows + 10)  // six reasoning markers and four turn markers
        #expect(model.config.vocabSize == rows + 10)
        let d = model.config.dim
        for name in ["model.embed_tokens.weight", "lm_head.weight"] {
            let new = model.layout.tensor(named: name)!, old = source.layout.tensor(named: name)!
            let imported = model.parameters.array, original = source.parameters.array
            #expect(Array(imported[new.offset..<(new.offset + rows * d)]) == Array(original[old.offset..<(old.offset + old.count)]))
            for j in [0, d - 1] {
                let mean = (0..<rows).reduce(Float(0)) { $0 + original[old.offset + $1 * d + j] } / Float(rows)
                for r in rows..<(rows + 10) { #expect(abs(imported[new.offset + r * d + j] - mean) < 1e-5, "\(name) row \(r)") }
            }
        }
        // The original tokens' logits are unchanged by the added rows.
        let tokens: [Int32] = [84, 257, 258, 32, 100, 272, 5]
        for (a, b) in zip(try Self.logits(model, tokens), try Self.logits(source, tokens)) {
            let worst = zip(a.prefix(rows), b).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5)
        }
        #expect(v.prompt("x") == [v.encodeWithSpecials("<|user|>")[0]] + v.encode("x") + [v.encodeWithSpecials("<|assistant|>")[0]])
    }

    @Test func checkpointsAndHuggingFaceExportCarryTheVocabulary() throws {
        let (_, dir) = try Self.folder(.qwen2)
        let saved = dir + "-ckpt", exported = dir + "-hf"
        defer { for d in [dir, saved, exported] { try? FileManager.default.removeItem(atPath: d) } }
        let model = try HuggingFaceImport.load(dir)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: saved)
        let loaded = try Checkpoint.loadModel(saved)
        #expect(loaded.vocabulary.format == .chatML && loaded.vocabulary.markers == model.vocabulary.markers)
        #expect(loaded.vocabulary.tokenizerJSON == model.vocabulary.tokenizerJSON)
        let sameWeights = loaded.parameters.array == model.parameters.array
        #expect(sameWeights)
        // Export writes a Qwen2 folder with the augmented tokenizer; importing it again changes nothing.
        try HuggingFaceExport.write(loaded, to: exported)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exported + "/config.json"))) as! [String: Any]
        #expect(config["architectures"] as? [String] == ["Qwen2ForCausalLM"])
        let again = try HuggingFaceImport.load(exported)
        let sameAgain = again.parameters.array == model.parameters.array
        #expect(sameAgain && again.config == model.config)
        #expect(again.vocabulary.markers == model.vocabulary.markers && again.vocabulary.size == model.vocabulary.size)
        let probe = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exported + "/strawberry_probe.json"))) as! [String: Any]
        #expect((probe["text"] as? String)?.hasPrefix("<|im_start|>user\nUse 3 7 12") == true)
        // GGUF export carries the BPE vocabulary (GGUFExportTests checks what it writes).
        try GGUFExport.write(model, to: exported + "/m.gguf", precision: .f32, name: "m")
        #expect(FileManager.default.fileExists(atPath: exported + "/m.gguf"))
    }
}

/// Qwen3: per-head q/k norms and a head width (12) that is not hidden/heads (32/4).
@Suite struct ImportQwen3Tests {
    @Test func qwen3KeepsItsNormsHeadWidthAndLogitsAndGoesBackOut() throws {
        let dir = Scratch.path("hf-qwen3")
        let exported = dir + "-hf"
        defer { for d in [dir, exported] { try? FileManager.default.removeItem(atPath: d) } }
        let source = try TinyHuggingFaceModel.write(.qwen3, to: dir)
        let model = try HuggingFaceImport.load(dir)
        let c = model.config
        #expect(c.qkNorm && c.headDim == 12 && c.explicitHeadDim == 12 && !c.attentionBias && c.tiedEmbeddings)
        #expect(model.layout.tensor(named: "model.layers.1.self_attn.k_norm.weight")?.shape == [12])
        #expect(model.layout.tensor(named: "model.layers.0.self_attn.q_proj.weight")?.shape == [48, 32])
        #expect(model.layout.tensor(named: "model.layers.0.self_attn.o_proj.weight")?.shape == [32, 48])
        #expect(model.vocabulary.format == .chatML)
        let sameWeights = model.parameters.array == source.parameters.array
        #expect(sameWeights)
        let prompt = model.vocabulary.prompt("the theater")
        #expect(try ImportBPETests.logits(model, prompt) == ImportBPETests.logits(source, prompt))
        // Through a checkpoint's config.json and a Hugging Face export, and back, nothing changes.
        try HuggingFaceExport.write(model, to: exported)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exported + "/config.json"))) as! [String: Any]
        #expect(config["architectures"] as? [String] == ["Qwen3ForCausalLM"] && config["head_dim"] as? Int == 12)
        let again = try HuggingFaceImport.load(exported)
        let sameAgain = again.parameters.array == model.parameters.array
        #expect(sameAgain && again.config == model.config)
        let encoded = try JSONEncoder().encode(model.config)
        #expect(try JSONDecoder().decode(ModelConfig.self, from: encoded) == model.config)
        // A config without the new fields reads as before, and a model without them writes none.
        let old = try JSONEncoder().encode(ModelConfig.presets["micro"]!)
        let text = String(decoding: old, as: UTF8.self)
        #expect(!text.contains("headDim") && !text.contains("qkNorm"))
    }

    @Test func aQwen3ModelLearnsThroughItsNorms() throws {
        let dir = Scratch.path("hf-qwen3-train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TinyHuggingFaceModel.write(.qwen3, to: dir)
        let model = try HuggingFaceImport.load(dir)
        let tokens = model.vocabulary.prompt("the theater is on") + model.vocabulary.completion("<think>is</think>on")
        let batch = TokenBatch(sequences: [tokens], tokenWeights: [tokens.indices.map { $0 > 0 ? 1 : 0 }])
        let optimizer = AdamW(layout: model.layout)
        var losses: [Double] = []
        var normGradient: [Float] = []
        let norm = model.layout.tensor(named: "model.layers.0.self_attn.q_norm.weight")!
        for _ in 0..<20 {
            model.gradients.zero()
            losses.append(try model.forwardBackward(batch).loss)
            normGradient = Array(model.gradients.array[norm.offset..<(norm.offset + norm.count)])
            optimizer.update(parameters: model.parameters, gradients: model.gradients, lr: 1e-2)
        }
        #expect(losses.last! < losses.first! * 0.5, "\(losses)")
        #expect(normGradient.contains { $0 != 0 })
    }
}
