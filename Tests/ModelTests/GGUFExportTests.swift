import Foundation
import Testing
import TestSupport
@testable import Model
import Kernels

/// Reads back what GGUFExport wrote, with an independent little parser.
struct GGUFFile {
    var version: UInt32 = 0
    var metadata: [String: Any] = [:]
    var tensors: [String: (dims: [Int], type: UInt32, values: [Float])] = [:]

    init(_ data: Data) throws {
        var at = 0
        func take<T: FixedWidthInteger>(_: T.Type) -> T {
            let v = data.subdata(in: at..<(at + MemoryLayout<T>.size)).withUnsafeBytes { $0.loadUnaligned(as: T.self) }
            at += MemoryLayout<T>.size
            return T(littleEndian: v)
        }
        func string() -> String {
            let n = Int(take(UInt64.self))
            defer { at += n }
            return String(decoding: data.subdata(in: at..<(at + n)), as: UTF8.self)
        }
        func value(_ type: UInt32) -> Any {
            switch type {
            case 4: return take(UInt32.self)
            case 5: return Int32(bitPattern: take(UInt32.self))
            case 6: return Float(bitPattern: take(UInt32.self))
            case 7: return take(UInt8.self) != 0
            case 8: return string()
            case 9:
                let element = take(UInt32.self), n = Int(take(UInt64.self))
                return (0..<n).map { _ in value(element) }
            default: fatalError("type \(type) not written by the exporter")
            }
        }
        #expect(String(decoding: data.prefix(4), as: UTF8.self) == "GGUF")
        at = 4
        version = take(UInt32.self)
        let tensorCount = Int(take(UInt64.self)), metadataCount = Int(take(UInt64.self))
        for _ in 0..<metadataCount {
            let key = string()
            metadata[key] = value(take(UInt32.self))
        }
        var infos: [(String, [Int], UInt32, Int)] = []
        for _ in 0..<tensorCount {
            let name = string()
            let dims = (0..<Int(take(UInt32.self))).map { _ in Int(take(UInt64.self)) }
            let type = take(UInt32.self)
            infos.append((name, dims, type, Int(take(UInt64.self))))
        }
        let base = (at + 31) / 32 * 32
        for (name, dims, type, offset) in infos {
            #expect(offset % 32 == 0)
            let count = dims.reduce(1, *)
            at = base + offset
            var values: [Float] = []
            switch type {
            case 0: values = (0..<count).map { _ in Float(bitPattern: take(UInt32.self)) }
            case 1: values = (0..<count).map { _ in Float(Float16(bitPattern: take(UInt16.self))) }
            case 8:  // Q8_0: per 32 values an F16 scale, then 32 signed bytes
                for _ in 0..<(count / 32) {
                    let scale = Float(Float16(bitPattern: take(UInt16.self)))
                    for _ in 0..<32 { values.append(scale * Float(Int8(bitPattern: take(UInt8.self)))) }
                }
            default: Issue.record("tensor type \(type) not written by the exporter")
            }
            tensors[name] = (dims, type, values)
        }
    }
}

@Suite struct GGUFExportTests {
    static let config = ModelConfig.tiny(context: 64)

    static func export(_ model: Transformer, _ precision: GGUFExport.Precision) throws -> GGUFFile {
        let path = Scratch.path("gguf", suffix: ".gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try GGUFExport.write(model, to: path, precision: precision, name: "test")
        return try GGUFFile(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func metadataAndTensorsAreWhatLlamaCppReads() throws {
        var untied = Self.config
        untied.tiedEmbeddings = false
        let model = try Transformer(config: untied, seed: 3)
        let file = try Self.export(model, .f32)
        #expect(file.version == 3)
        #expect(file.metadata["general.architecture"] as? String == "llama")
        #expect(file.metadata["llama.attention.head_count_kv"] as? UInt32 == 2)
        #expect(file.metadata["llama.rope.dimension_count"] as? UInt32 == 8)
        #expect(file.metadata["tokenizer.ggml.model"] as? String == "gpt2")
        let tokens = try #require(file.metadata["tokenizer.ggml.tokens"] as? [Any])
        #expect(tokens.count == 272 && tokens[260] as? String == "<|assistant|>")
        #expect(file.tensors.count == model.layout.tensors.count)
        let params = model.parameters.array
        for t in model.layout.tensors {
            let name = GGUFExport.name(for: t.name)
            let stored = try #require(file.tensors[name], "\(name) missing")
            #expect(stored.dims == t.shape.reversed())
            let original = Array(params[t.offset..<(t.offset + t.count)])
            if t.name.hasSuffix("q_proj.weight") || t.name.hasSuffix("k_proj.weight") {
                #expect(stored.values != original, "q and k rows are permuted")
                #expect(stored.values.sorted() == original.sorted())
            } else {
                #expect(stored.values == original, "\(name)")
            }
        }
        #expect(file.tensors["output.weight"] != nil && file.tensors["blk.1.ffn_down.weight"] != nil)
    }

    @Test func rotaryPermutationInterleavesEachHeadsHalves() {
        // Two heads of four rows (one column): rows a0 a1 b0 b1 → a0 b0 a1 b1 per head.
        let rows: [Float] = [0, 1, 2, 3, 10, 11, 12, 13]
        #expect(GGUFExport.permuteRotary(rows, heads: 2, rows: 8, columns: 1) == [0, 2, 1, 3, 10, 12, 11, 13])
    }

    @Test func halfPrecisionKeepsNormsInFloat32() throws {
        let model = try Transformer(config: Self.config, seed: 4)
        let file = try Self.export(model, .f16)
        #expect(file.metadata["general.file_type"] as? UInt32 == 1)
        #expect(file.tensors["output_norm.weight"]?.type == 0 && file.tensors["token_embd.weight"]?.type == 1)
        let t = model.layout.tensors[0]
        let original = Array(model.parameters.array[t.offset..<(t.offset + t.count)])
        let stored = file.tensors["token_embd.weight"]!.values
        #expect(zip(stored, original).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($1)) })
    }

    @Test func q8_0StoresEachBlockOf32WithItsScaleAndFallsBackToF16ForRaggedRows() throws {
        // ffn 88: the down projection's rows (88 wide) are not whole blocks of 32.
        let model = try Transformer(config: .tiny(dim: 64, ffn: 88, context: 64), seed: 5)
        let file = try Self.export(model, .q8_0)
        #expect(file.metadata["general.file_type"] as? UInt32 == 7)
        #expect(file.tensors["blk.0.attn_v.weight"]?.type == 8 && file.tensors["token_embd.weight"]?.type == 8)
        #expect(file.tensors["blk.0.ffn_down.weight"]?.type == 1 && file.tensors["blk.0.ffn_up.weight"]?.type == 8)
        #expect(file.tensors["blk.0.attn_norm.weight"]?.type == 0)
        let params = model.parameters.array
        let rotary = ["q_proj.weight", "k_proj.weight"]  // permuted rows: compared in the f32 test
        for t in model.layout.tensors where t.shape.count == 2 && t.shape[1] % 32 == 0 && !rotary.contains(where: t.name.hasSuffix) {
            let stored = try #require(file.tensors[GGUFExport.name(for: t.name)]).values
            let original = Array(params[t.offset..<(t.offset + t.count)])
            for block in stride(from: 0, to: t.count, by: 32) {
                let amax = original[block..<(block + 32)].map(abs).max()!
                // Half a step of amax/127, plus the F16 rounding of the scale.
                let bound = amax / 127 * 0.5 + amax * 1e-3
                for i in block..<(block + 32) { #expect(abs(stored[i] - original[i]) <= bound, "\(t.name)[\(i)]") }
            }
            #expect(stored != original, "quantised, not copied")
        }
        // A block of zeros has scale 0 and stays zero.
        var w = GGUFWriter()
        w.tensor("z", dims: [32], q8_0: [Float](repeating: 0, count: 32))
        #expect(try GGUFFile(w.finish()).tensors["z"]!.values == [Float](repeating: 0, count: 32))
    }

    @Test func llama3RopeScalingBecomesTheRopeFreqsTensor() throws {
        var config = ModelConfig.tiny(dim: 64, context: 64)
        config.heads = 2
        config.kvHeads = 1
        config.ropeTheta = 500_000
        config.ropeScaling = Llama3RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 64)
        let model = try Transformer(config: config, seed: 6)
        let file = try Self.export(model, .f32)
        let factors = try #require(file.tensors["rope_freqs.weight"])
        #expect(factors.dims == [16] && factors.type == 0)
        // Fast rotations (short wavelengths) are left alone, slow ones divided by the factor.
        #expect(factors.values.first == 1 && abs(factors.values.last! - 8) < 1e-4)
        #expect(factors.values == factors.values.sorted())
    }

    @Test func importedQwen2IsTheQwen2ArchitectureWithItsMergesBiasesAndUnpermutedRotary() throws {
        let dir = Scratch.path("gguf-qwen2")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try TinyHuggingFaceModel.write(.qwen2, to: dir)
        let model = try HuggingFaceImport.load(dir)
        let file = try Self.export(model, .f32)
        #expect(file.metadata["general.architecture"] as? String == "qwen2")
        #expect(file.metadata["qwen2.attention.head_count"] as? UInt32 == UInt32(model.config.heads))
        #expect(file.metadata["tokenizer.ggml.pre"] as? String == "qwen2")
        #expect((file.metadata["tokenizer.ggml.merges"] as? [Any])?.first as? String == TinyHuggingFaceModel.merges[0])
        #expect((file.metadata["tokenizer.ggml.merges"] as? [Any])?.count == TinyHuggingFaceModel.merges.count)
        let tokens = try #require(file.metadata["tokenizer.ggml.tokens"] as? [String])
        let types = try #require(file.metadata["tokenizer.ggml.token_type"] as? [Int32])
        #expect(tokens.count == model.config.vocabSize && types.count == tokens.count)
        let v = model.vocabulary
        #expect(tokens[Int(v.markers.thinkStart)] == "<think>" && types[Int(v.markers.thinkStart)] == 3)
        #expect(tokens[116] == "t" && types[116] == 1)
        #expect(tokens[287] == "[PAD287]" && types[287] == 5)
        #expect(file.metadata["tokenizer.ggml.eos_token_id"] as? UInt32 == UInt32(v.markers.endOfTurn))
        #expect((file.metadata["tokenizer.chat_template"] as? String)?.contains("<|im_start|>assistant\n") == true)
        let params = model.parameters.array
        for t in model.layout.tensors {
            let stored = try #require(file.tensors[GGUFExport.name(for: t.name)], "\(t.name) missing")
            #expect(stored.values == Array(params[t.offset..<(t.offset + t.count)]), "\(t.name) as it is, NeoX rotary")
        }
        #expect(file.tensors["blk.0.attn_k.bias"]?.type == 0)
    }

    @Test func aSplitLlamaCppCannotNameIsRefusedWithTheWayOut() throws {
        let dir = Scratch.path("gguf-llama")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try TinyHuggingFaceModel.write(.llama, to: dir)
        let model = try HuggingFaceImport.load(dir)
        #expect(try Self.export(model, .f16).metadata["tokenizer.ggml.pre"] as? String == "gpt-2")
        var json = try JSONSerialization.jsonObject(with: model.vocabulary.tokenizerJSON!) as! [String: Any]
        json["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "\\d+|\\D+"], "behavior": "Isolated", "invert": false]
        let odd = try Vocabulary(tokenizerJSON: JSONSerialization.data(withJSONObject: json), source: "odd")
        let renamed = try Transformer(config: model.config, parameters: model.parameters, vocabulary: odd)
        #expect { try GGUFExport.write(renamed, to: dir + "/m.gguf", precision: .f32, name: "m") } throws: {
            "\($0)".contains("\\d+|\\D+") && "\($0)".contains("--format hf")
        }
    }

    @Test func ollamaModelfileOpensThinkingAndNamesTheThinkingTags() throws {
        let text = OllamaModelfile.text(gguf: "model-q8_0.gguf", vocabulary: .strawberry, contextLength: 256)
        #expect(text.contains("FROM ./model-q8_0.gguf\n"))
        #expect(text.contains("<think>{{ .Thinking }}</think>"))
        #expect(text.contains("<|user|>{{ .Content }}") && text.contains("<|assistant|>{{ if and $.IsThinkSet (not $.Think) }}<think></think>{{ else }}<think>{{ end }}\"\"\""))
        #expect(text.contains("PARAMETER stop \"<|end|>\"") && text.contains("PARAMETER num_ctx 256"))
    }
}
