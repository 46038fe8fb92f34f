import Foundation
import Testing
import TestSupport
import Training

/// `--config run.json` becomes the flags of the same names, placed so that the command line wins.
@Suite struct ConfigFileTests {
    func write(_ json: String) throws -> String {
        let path = Scratch.path("config") + ".json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aFileBecomesFlagsBeforeTheCommandLine() throws {
        let path = try write(#"{"steps": 400, "lr": 0.001, "batchSize": 8, "cut_thinking": 0.5, "resume": true, "show": false, "budgets": [0, 64, 128], "out": "runs/x"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expanded = try ConfigFile.expand(["sft", "--steps", "10", "--config", path, "--data", "d.jsonl"])
        #expect(expanded == ["sft", "--batch-size", "8", "--budgets", "0,64,128", "--cut-thinking", "0.5", "--lr", "0.001",
                             "--out", "runs/x", "--resume", "--steps", "400", "--steps", "10", "--data", "d.jsonl"])
        #expect(try ConfigFile.expand(["bench", "train", "--config=\(path)"]).prefix(3) == ["bench", "train", "--batch-size"])
        #expect(try ConfigFile.expand(["eval", "--n", "5"]) == ["eval", "--n", "5"])
    }

    @Test func badFilesAreRefusedWithTheReason() throws {
        #expect(throws: ConfigFileError.self) { try ConfigFile.expand(["sft", "--config"]) }
        #expect(throws: ConfigFileError.self) { try ConfigFile.expand(["sft", "--config", "/no/such/file.json"]) }
        for bad in [#"[1, 2]"#, #"{"budgets": [[1]]}"#, #"{"x": {"y": 1}}"#, #"{"x": null}"#, "not json"] {
            let path = try write(bad)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(throws: ConfigFileError.self, "\(bad)") { try ConfigFile.expand(["sft", "--config", path]) }
        }
    }

    @Test func theCommandLineOverridesTheFile() throws {
        try #require(StrawberryProcess.executable != nil, "the strawberry executable is built beside the tests")
        let path = try write(#"{"task": "countdown", "difficulty": 3, "n": 1, "seed": 5, "show": true}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try StrawberryProcess.run(["data", "--config", path])
        let overridden = try StrawberryProcess.run(["data", "--config", path, "--seed", "6"])
        #expect(fromFile.status == 0 && fromFile.output.contains("seed 5"), "\(fromFile.output)")
        #expect(overridden.status == 0 && overridden.output.contains("seed 6"), "\(overridden.output)")
    }
}
