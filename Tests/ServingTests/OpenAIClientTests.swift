import Foundation
import Testing

/// Where a Python with the official `openai` client is: `STRAWBERRY_PYTHON` (set by `.ci/run`,
/// which installs it) or `python3` when it can import openai.
enum OpenAIPython {
    static let path: String? = {
        let candidates = [ProcessInfo.processInfo.environment["STRAWBERRY_PYTHON"], "/usr/bin/env"].compactMap { $0 }
        for python in candidates {
            let args = python == "/usr/bin/env" ? ["python3", "-c", "import openai"] : ["-c", "import openai"]
            if run(python, args).status == 0 { return python }
        }
        return nil
    }()

    /// `.ci/run` sets STRAWBERRY_REQUIRE_PYTHON_PACKAGES=1 so that a missing client fails instead of skipping.
    static let required = ProcessInfo.processInfo.environment["STRAWBERRY_REQUIRE_PYTHON_PACKAGES"] == "1"

    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

@Suite struct OpenAIClientTests {
    @Test(.enabled(if: OpenAIPython.path != nil || OpenAIPython.required, "needs Python's openai package; .ci/run installs it"))
    func theOfficialClientWorksUnchanged() async throws {
        let python = try #require(OpenAIPython.path, "STRAWBERRY_REQUIRE_PYTHON_PACKAGES=1 but no Python with openai was found")
        let server = try await TestServer { $0.apiKey = "sk-strawberry-test" }
        defer { server.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("openai_client_check.py").path
        let args = [script, "http://127.0.0.1:\(server.port)/v1", "sk-strawberry-test", TestServer.modelName]
        let result = await Task.detached {
            OpenAIPython.run(python, python == "/usr/bin/env" ? ["python3"] + args : args)
        }.value
        print(result.output)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.hasSuffix("ok\n"))
    }
}
