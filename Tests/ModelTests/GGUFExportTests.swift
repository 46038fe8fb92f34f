import Foundation
import Testing
import TestSupport
@testable import Model

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
            let values: [Float] = (0..<count).map { _ in
                type == 0 ? Float(bitPattern: take(UInt32.self)) : Float(Float16(bitPattern: take(UInt16.self)))
            }
            tensors[name] = (dims, type, values)
        }
    }
}

@Suite struct GGUFExportTests {
    static let config = ModelConfig.tiny(context: 64)

    func export(_ model: Transformer, _ precision: GGUFExport.Precision) throws -> GGUFFile {
        let path = Scratch.path("gguf", suffix: ".gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try GGUFExport.write(model, to: path, precision: precision, name: "test")
        return try GGUFFile(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func metadataAndTensorsAreWhatLlamaCppReads() throws {
        var untied = Self.config
        untied.tiedEmbeddings = false
        let model = try Transformer(config: untied, seed: 3)
        let file = try export(model, .f32)
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
        let file = try export(model, .f16)
        #expect(file.metadata["general.file_type"] as? UInt32 == 1)
        #expect(file.tensors["output_norm.weight"]?.type == 0 && file.tensors["token_embd.weight"]?.type == 1)
        let t = model.layout.tensors[0]
        let original = Array(model.parameters.array[t.offset..<(t.offset + t.count)])
        let stored = file.tensors["token_embd.weight"]!.values
        #expect(zip(stored, original).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($1)) })
    }
}
