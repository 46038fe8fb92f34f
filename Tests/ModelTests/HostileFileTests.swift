import Foundation
import Testing
import Kernels
import Model
import TestSupport

/// Checkpoints and Hugging Face folders that are corrupt, hand-edited or hostile are refused with
/// the reason, before anything large is allocated.
@Suite struct HostileFileTests {
    static let config = ModelConfig.tiny(context: 32)

    static func savedModel() throws -> String {
        let dir = Scratch.path("checkpoint")
        try Checkpoint.save(model: try Transformer(config: config, seed: 3), state: Optional<Int>.none, to: dir)
        return dir
    }

    static func error(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func nonFiniteWeightsAreNeitherSavedNorLoaded() throws {
        let model = try Transformer(config: Self.config, seed: 3)
        model.parameters[100] = .nan
        let saving = Self.error { try Checkpoint.save(model: model, state: Optional<Int>.none, to: Scratch.path("nan")) }
        #expect(saving.contains("not finite") && saving.contains("diverged"), "\(saving)")
        // A file written by another tool with an infinity in it.
        let dir = try Self.savedModel()
        model.parameters[100] = .infinity
        let params = model.parameters
        try Safetensors.write(model.layout.tensors.map { t in
            Safetensors.Entry(name: t.name, shape: t.shape, data: UnsafeBufferPointer(start: params.pointer + t.offset, count: t.count))
        }, to: dir + "/" + Checkpoint.modelFile)
        let loading = Self.error { _ = try Checkpoint.loadModel(dir) }
        #expect(loading.contains("not finite") && loading.contains("model.embed_tokens.weight"), "\(loading)")
    }

    @Test func aFlippedByteIsCaughtAndAFileWithoutAChecksumStillLoads() throws {
        let dir = try Self.savedModel()
        let path = dir + "/" + Checkpoint.modelFile
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try Safetensors.load(path).metadata[Safetensors.checksumKey]?.count == 16)
        var flipped = good
        flipped[flipped.count - 7] ^= 0x10
        try flipped.write(to: URL(fileURLWithPath: path))
        let message = Self.error { _ = try Checkpoint.loadModel(dir) }
        #expect(message.contains("corrupt") && message.contains("STRAWBERRY_SKIP_CHECKSUM"), "\(message)")
        // The same flipped data under a header with no checksum, as other tools write it, loads.
        let headerLength = Int(good.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try JSONSerialization.jsonObject(with: good.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        header["__metadata__"] = ["format": "pt"]
        var json = try JSONSerialization.data(withJSONObject: header)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var length = UInt64(json.count).littleEndian
        let foreign = Data(bytes: &length, count: 8) + json + flipped[(8 + headerLength)...]
        try foreign.write(to: URL(fileURLWithPath: path))
        #expect(throws: Never.self) { _ = try Checkpoint.loadModel(dir) }
    }

    @Test func theChecksumIsXXH64() {
        // Reference values of XXH64 with seed 0.
        #expect(Array("".utf8).withUnsafeBytes { XXHash64.hash($0) } == 0xEF46_DB37_51D8_E999)
        #expect(Array("abc".utf8).withUnsafeBytes { XXHash64.hash($0) } == 0x44BC_2CF5_AD77_0999)
        let long = Array("Nobody inspects the spammish repetition".utf8)
        #expect(long.withUnsafeBytes { XXHash64.hash($0) } == 0xFBCE_A83C_8A37_8BF1)
        let stripes = (0..<768).map { UInt8($0 % 256) }
        #expect(stripes.withUnsafeBytes { XXHash64.hash($0) } == 0x8E03_C838_C596_036F)
    }

    @Test func filesThatAreNotRegularAreRefusedUnread() throws {
        // A pipe where a file should be would block a reader for ever; a folder has no bytes.
        let dir = try Self.savedModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let weights = dir + "/model.safetensors"
        try FileManager.default.removeItem(atPath: weights)
        #expect(mkfifo(weights, 0o600) == 0)
        #expect(Self.error { _ = try Checkpoint.loadModel(dir) }.contains("not a regular file"))
        try FileManager.default.removeItem(atPath: weights)
        try FileManager.default.createDirectory(atPath: weights, withIntermediateDirectories: false)
        #expect(Self.error { _ = try Checkpoint.loadModel(dir) }.contains("not a regular file"))
        // The same for the JSON files beside the weights.
        let config = dir + "/config.json"
        try FileManager.default.removeItem(atPath: config)
        #expect(mkfifo(config, 0o600) == 0)
        #expect(Self.error { _ = try Checkpoint.loadModel(dir) }.contains("not a regular file"))
    }

    @Test func theChecksumFedInPiecesIsTheChecksumOfTheWhole() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        for length in [0, 5, 31, 32, 33, 100, 1_000] {
            let whole = bytes[..<length].withUnsafeBytes { XXHash64.hash($0) }
            for pieces in [[1], [7, 1, 31], [32], [33, 64], [3, 29, 5, 27]] {
                var hasher = XXHash64()
                var offset = 0, next = 0
                while offset < length {
                    let end = min(length, offset + pieces[next % pieces.count])
                    bytes[offset..<end].withUnsafeBytes { hasher.update($0) }
                    offset = end
                    next += 1
                }
                #expect(hasher.digest() == whole, "\(length) bytes in pieces of \(pieces)")
            }
        }
    }

    /// Rewrites `config.json` of a checkpoint with `changes`.
    static func editConfig(_ dir: String, _ changes: [String: Any]) throws {
        let path = dir + "/" + Checkpoint.configFile
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        object.merge(changes) { $1 }
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    @Test func absurdSizesInAConfigAreRefusedBeforeAllocating() throws {
        for (field, value) in [("dim", 1_000_000), ("vocabSize", 1 << 40), ("ffnDim", 1_000_000_000), ("contextLength", 1 << 30),
                               ("layers", 1_000_000), ("heads", 1 << 20)] {
            let dir = try Self.savedModel()
            try Self.editConfig(dir, [field: value])
            let message = Self.error { _ = try Checkpoint.loadModel(dir) }
            #expect(message.contains(field), "\(field) \(value): \(message)")
        }
        // Within the bounds but far beyond the weights in the file (2⁴⁰ floats): refused from the header.
        let dir = try Self.savedModel()
        try Self.editConfig(dir, ["vocabSize": 1 << 22, "dim": 1 << 16, "heads": 1 << 10, "kvHeads": 1 << 10])
        let message = Self.error { _ = try Checkpoint.loadModel(dir) }
        #expect(message.contains("does not match the weights"), "\(message)")
    }

    static func tokenizer(vocab: [String: Int], added: [[String: Any]] = []) throws -> Data {
        try JSONSerialization.data(withJSONObject: ["model": ["type": "BPE", "vocab": vocab, "merges": [String]()], "added_tokens": added])
    }

    static var byteVocab: [String: Int] {
        var vocab: [String: Int] = [:]
        for (i, c) in HuggingFaceExport.byteCharacters().enumerated() { vocab[String(c)] = i }
        return vocab
    }

    @Test func hostileTokenizersAreRefused() throws {
        let junk = Self.error { _ = try Vocabulary(tokenizerJSON: try Self.tokenizer(vocab: ["a": 0, "b": 1]), source: "junk.json") }
        #expect(junk.contains("not a byte-level BPE vocabulary") && junk.contains("254 of the 256"), "\(junk)")
        var huge = Self.byteVocab
        huge["<think>"] = 1 << 40
        let far = Self.error { _ = try Vocabulary(tokenizerJSON: try Self.tokenizer(vocab: huge), source: "huge.json") }
        #expect(far.contains("token id 1099511627776"), "\(far)")
        let negative = Self.error {
            _ = try Vocabulary(tokenizerJSON: try Self.tokenizer(vocab: Self.byteVocab, added: [["id": -3, "content": "<x>"]]), source: "neg.json")
        }
        #expect(negative.contains("token id -3"), "\(negative)")
    }

    @Test func importRefusesShardsOutsideItsFolder() throws {
        let dir = Scratch.path("hf")
        try TinyHuggingFaceModel.write(.llama, to: dir)
        let outside = Scratch.path("outside", suffix: ".safetensors")
        try FileManager.default.moveItem(atPath: dir + "/model.safetensors", toPath: outside)
        let index: [String: Any] = ["weight_map": ["model.embed_tokens.weight": "../" + (outside as NSString).lastPathComponent]]
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        let message = Self.error { _ = try HuggingFaceImport.load(dir) }
        #expect(message.contains("not a file in the model's folder"), "\(message)")
    }

    @Test func anOversizedTokenizerFileIsRefusedUnread() throws {
        let dir = try Self.savedModel()
        let path = dir + "/" + Checkpoint.tokenizerFile
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 200 << 20)  // sparse: 200 MB that take no disk
        try handle.close()
        let message = Self.error { _ = try Checkpoint.loadModel(dir) }
        #expect(message.contains("more than the"), "\(message)")
    }
}
