import Foundation
import Testing
import TestSupport
import Model

/// The BPE tokenizer against Hugging Face `tokenizers` (from PyPI; `.ci/run` installs it into the
/// Python it names in STRAWBERRY_PYTHON) on a multilingual sample.
@Suite struct BPETokenizerTests {
    static let python: String? = {
        let python = ProcessInfo.processInfo.environment["STRAWBERRY_PYTHON"] ?? "/usr/bin/python3"
        return run(python, ["-c", "import tokenizers"]) == 0 ? python : nil
    }()
    static let required = ProcessInfo.processInfo.environment["STRAWBERRY_REQUIRE_PYTHON_PACKAGES"] == "1"

    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test(.enabled(if: python != nil || required, "needs Python's tokenizers package; .ci/run installs it"))
    func matchesHuggingFaceTokenizers() throws {
        let python = try #require(Self.python, "no Python with tokenizers was found")
        let dir = Scratch.path("bpe")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("bpe_reference.py").path
        #expect(Self.run(python, [script, dir]) == 0)
        for name in ["gpt2", "qwen2"] {
            let tokenizer = try BPETokenizer(path: "\(dir)/\(name).json")
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).expected.json"))) as! [[String: Any]]
            var compared = 0
            for case let (text as String, ids as [Int], decoded as String) in expected.map({ ($0["text"], $0["ids"], $0["decoded"]) }) {
                #expect(tokenizer.encode(text) == ids, "\(name): \(text)")
                #expect(tokenizer.decode(ids) == decoded, "\(name): \(text)")
                compared += 1
            }
            #expect(compared == 6 && expected.count == 6)
        }
    }
}
