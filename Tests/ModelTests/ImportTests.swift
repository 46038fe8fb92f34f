import Foundation
import Testing
import TestSupport
@testable import Model
import Kernels

@Suite struct ImportTests {
    static func exported(tied: Bool) throws -> (Transformer, String) {
        let dir = Scratch.path("hf-import")
        let config = ModelConfig.tiny(context: 96, tied: tied)
        let model = try Transformer(config: config, seed: 6)
        try HuggingFaceExport.write(model, to: dir)
        return (model, dir)
    }

    static func editJSON(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    @Test func exportThenImportGivesTheSameModel() throws {
        for tied in [true, false] {
            let (model, dir) = try Self.exported(tied: tied)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let imported = try HuggingFaceImport.load(dir)
            #expect(imported.config == model.config)
            #expect(imported.parameters.array == model.parameters.array)
        }
    }

    @Test func halfPrecisionWeightsAreWidened() throws {
        // A one-tensor file written by hand in F16 and BF16.
        let values: [Float] = [1, -2.5, 0.1, 65504]
        for (dtype, bits) in [("F16", values.map { Float16($0).bitPattern }),
                              ("BF16", values.map { UInt16($0.bitPattern >> 16) })] {
            let header = Data(#"{"w":{"dtype":"\#(dtype)","shape":[4],"data_offsets":[0,8]}}"#.utf8)
            var data = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) } + header
            for b in bits { withUnsafeBytes(of: b.littleEndian) { data.append(contentsOf: $0) } }
            let path = Scratch.path("half", suffix: ".safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try data.write(to: URL(fileURLWithPath: path))
            var out = [Float](repeating: 0, count: 4)
            try Safetensors.load(path).read("w", shape: [4], into: &out)
            for (a, b) in zip(out, values) { #expect(abs(a - b) <= abs(b) * 1e-2, "\(dtype): \(a) vs \(b)") }
        }
    }

    /// A Llama 3.1/3.2 config's `rope_scaling` is read, changes the model's logits, and is written
    /// back by the Hugging Face export (transformers' own logits are compared in bench/interop).
    @Test func llama3RopeScalingIsImportedAndExported() throws {
        // Weights large enough (TinyHuggingFaceModel's) that attention depends on position.
        let dir = Scratch.path("hf-llama3")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try TinyHuggingFaceModel.write(.llama, to: dir)
        try Self.editJSON(dir + "/config.json") {
            $0["rope_scaling"] = ["rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 16]
        }
        let imported = try HuggingFaceImport.load(dir)
        let expected = Llama3RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 16)
        #expect(imported.config.ropeScaling == expected)
        let tokens = (0..<40).map { Int32($0 % 200 + 3) }
        let cachePlain = KVCache(config: model.config, slots: 1), cacheScaled = KVCache(config: imported.config, slots: 1)
        let plain = try model.forwardCached([CacheSegment(slot: 0, tokens: tokens)], cache: cachePlain)
        let scaled = try imported.forwardCached([CacheSegment(slot: 0, tokens: tokens)], cache: cacheScaled)
        #expect(zip(plain, scaled).contains { abs($0 - $1) > 1e-3 }, "the scaled frequencies change the logits")
        let again = Scratch.path("hf-reexport")
        defer { try? FileManager.default.removeItem(atPath: again) }
        try HuggingFaceExport.write(imported, to: again)
        #expect(try HuggingFaceImport.load(again).config == imported.config, "the export writes the scaling back")
    }

    @Test func unsupportedFoldersAreRefusedWithTheReason() throws {
        let cases: [(String, (String) throws -> Void)] = [
            ("only LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM", { try Self.editJSON($0 + "/config.json") { $0["architectures"] = ["MistralForCausalLM"] } }),
            ("a Llama with attention or MLP biases", { try Self.editJSON($0 + "/config.json") { $0["attention_bias"] = true } }),
            ("has no tensor 'model.layers.0.self_attn.q_proj.bias'", { try Self.editJSON($0 + "/config.json") { $0["architectures"] = ["Qwen2ForCausalLM"] } }),
            ("has no tensor 'model.layers.0.self_attn.q_norm.weight'", { try Self.editJSON($0 + "/config.json") { $0["architectures"] = ["Qwen3ForCausalLM"] } }),
            ("headDim 0 must be in", { try Self.editJSON($0 + "/config.json") { $0["head_dim"] = 0 } }),
            ("headDim 4611686018427387904 must be in", { try Self.editJSON($0 + "/config.json") { $0["head_dim"] = 1 << 62 } }),
            ("model.embed_tokens.weight", { try Self.editJSON($0 + "/config.json") { $0["vocab_size"] = 151_936 } }),
            ("rope_scaling of type 'yarn' is not supported", { try Self.editJSON($0 + "/config.json") { $0["rope_scaling"] = ["rope_type": "yarn"] } }),
            ("lacks the number 'low_freq_factor'", { try Self.editJSON($0 + "/config.json") { $0["rope_scaling"] = ["rope_type": "llama3", "factor": 8] } }),
            ("pre-tokenizer Metaspace is not supported", { try Self.editJSON($0 + "/tokenizer.json") { t in
                var model = t["model"] as! [String: Any]
                model["merges"] = ["Ġ t", "h e"]
                t["model"] = model
                t["pre_tokenizer"] = ["type": "Metaspace"]
            } }),
            ("has no tensor 'model.norm.weight'", { dir in
                let model = try HuggingFaceImport.load(dir)
                let keep = model.layout.tensors.filter { $0.name != "model.norm.weight" }
                let params = model.parameters
                try Safetensors.write(keep.map { Safetensors.Entry(name: $0.name, shape: $0.shape,
                    data: UnsafeBufferPointer(start: params.pointer + $0.offset, count: $0.count)) }, to: dir + "/model.safetensors")
            }),
            ("neither model.safetensors", { try FileManager.default.removeItem(atPath: $0 + "/model.safetensors") }),
        ]
        for (reason, damage) in cases {
            let (_, dir) = try Self.exported(tied: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try damage(dir)
            do {
                _ = try HuggingFaceImport.load(dir)
                Issue.record("'\(reason)' was not refused")
            } catch {
                #expect("\(error)".contains(reason), "\(error)")
            }
        }
    }
}
