import Foundation
import Testing
import TestSupport
import Kernels
import Model

@Suite struct CheckpointTests {
    static let config = ModelConfig(dim: 32, layers: 2, heads: 4, kvHeads: 2, ffnDim: 48, contextLength: 32,
                                    tiedEmbeddings: false)

    static func temporaryDirectory() -> String {
        let path = Scratch.path("strawberry-test")
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func roundTripIsExact() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: Self.config, seed: 5)
        let optimizer = AdamW(layout: model.layout)
        for i in 0..<optimizer.firstMoment.count { optimizer.firstMoment[i] = Float(i % 7); optimizer.secondMoment[i] = Float(i % 3) }
        optimizer.step = 42
        try Checkpoint.save(model: model, optimizer: optimizer, state: ["step": 42], to: dir + "/ckpt")
        let loaded = try Checkpoint.loadModel(dir + "/ckpt")
        #expect(loaded.config == model.config)
        #expect(loaded.parameters.array == model.parameters.array)
        let restored = AdamW(layout: model.layout)
        try Checkpoint.loadOptimizer(dir + "/ckpt", into: restored)
        #expect(restored.step == 42)
        #expect(restored.firstMoment.array == optimizer.firstMoment.array)
        #expect(restored.secondMoment.array == optimizer.secondMoment.array)
        // The safetensors header names Hugging Face tensors and carries the pt format tag.
        let file = try Safetensors.load(dir + "/ckpt/model.safetensors")
        #expect(file.metadata["format"] == "pt")
        #expect(file.tensors["model.layers.1.self_attn.k_proj.weight"]?.shape == [16, 32])
        #expect(file.tensors["lm_head.weight"]?.shape == [272, 32])
        #expect(!FileManager.default.fileExists(atPath: dir + "/ckpt.tmp"))
    }

    #if os(Linux)
    /// File-backed pages this process holds (`RssFile` in /proc/self/status), in bytes.
    static func residentFilePages() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        return try #require(Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])) * 1024
    }

    @Test func loadingHandsTheFilesPagesBack() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let weights = FloatBuffer(count: 16 << 20)  // 64 MiB
        for i in stride(from: 0, to: weights.count, by: 1_021) { weights[i] = Float(i) }
        let path = dir + "/big.safetensors"
        try Safetensors.write([Safetensors.Entry(name: "w", shape: [weights.count], data: UnsafeBufferPointer(weights.buffer))], to: path)
        let before = try Self.residentFilePages()
        let file = try Safetensors.load(path)  // hashes all of it
        let copy = FloatBuffer(count: weights.count)
        try file.read("w", shape: [weights.count], into: copy.pointer)
        let after = try Self.residentFilePages()
        #expect(after - before < 16 << 20, "the mapped file stayed resident: \(after - before) bytes")
        #expect(memcmp(copy.pointer, weights.pointer, weights.count * 4) == 0)
        // A tensor read again after its pages were handed back reads the same values.
        let again = FloatBuffer(count: weights.count)
        try file.read("w", shape: [weights.count], into: again.pointer)
        #expect(memcmp(again.pointer, weights.pointer, weights.count * 4) == 0)
    }
    #endif

    @Test func runFolderPointsAtLatestAndPrunes() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: Self.config, seed: 5)
        for step in [10, 20, 30] {
            try Checkpoint.saveInRun(dir, step: step, model: model, optimizer: nil, state: ["step": step], keep: 2)
        }
        #expect(try Checkpoint.resolve(dir).hasSuffix("checkpoints/step-00000030"))
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir + "/checkpoints").sorted()
        #expect(kept == ["step-00000020", "step-00000030"])
    }

    @Test func damagedFilesGiveClearErrors() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: Self.config, seed: 5)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir + "/ok")
        let weights = dir + "/ok/model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: weights))

        func expectError(_ data: Data, containing text: String) throws {
            try FileManager.default.copyItem(atPath: dir + "/ok", toPath: dir + "/bad")
            defer { try? FileManager.default.removeItem(atPath: dir + "/bad") }
            try data.write(to: URL(fileURLWithPath: dir + "/bad/model.safetensors"))
            do {
                _ = try Checkpoint.loadModel(dir + "/bad")
                Issue.record("loading a damaged checkpoint succeeded")
            } catch {
                #expect(error.description.contains(text), "\(error.description)")
            }
        }
        try expectError(bytes.prefix(bytes.count / 2), containing: "truncated")
        try expectError(bytes.prefix(5), containing: "truncated")
        try expectError(Data(), containing: "truncated")
        var corrupt = bytes
        corrupt[10] = UInt8(ascii: "#")
        try expectError(corrupt, containing: "corrupt header")
        var huge = bytes
        huge[7] = 0x7F
        try expectError(huge, containing: "truncated")

        // A checkpoint of another shape is a mismatch, not a crash.
        var other = Self.config
        other.dim = 64
        let otherModel = try Transformer(config: other, seed: 1)
        try Checkpoint.save(model: otherModel, state: Optional<Int>.none, to: dir + "/other")
        try FileManager.default.copyItem(atPath: dir + "/ok/config.json", toPath: dir + "/other/config2.json")
        try FileManager.default.removeItem(atPath: dir + "/other/config.json")
        try FileManager.default.moveItem(atPath: dir + "/other/config2.json", toPath: dir + "/other/config.json")
        #expect { try Checkpoint.loadModel(dir + "/other") } throws: { error in
            "\(error)".contains("has shape")
        }
        #expect { try Checkpoint.loadModel(dir + "/missing") } throws: { error in
            "\(error)".contains("does not exist")
        }
    }
}
