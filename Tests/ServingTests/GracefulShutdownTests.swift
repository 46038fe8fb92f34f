import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model
import Testing

/// `strawberry serve` as a process: SIGTERM lets the request in flight finish, then it exits.
@Suite struct GracefulShutdownTests {
    /// The `strawberry` executable beside the test bundle (built by `swift test`).
    static var executable: String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("strawberry").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func sigtermFinishesTheRequestInFlight() async throws {
        let executable = try #require(Self.executable, "the strawberry executable is built beside the tests")
        let dir = NSTemporaryDirectory() + "strawberry-serve-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig(dim: 256, layers: 4, heads: 4, kvHeads: 2, ffnDim: 512, contextLength: 512), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)

        let server = Process()
        server.executableURL = URL(fileURLWithPath: executable)
        server.arguments = ["serve", "--model", dir, "--name", "m", "--port", "0", "--effort", "high=400,vote:4"]
        let stderr = Pipe()
        server.standardError = stderr
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        // The startup line names the port.
        var output = ""
        var port: Int?
        while port == nil {
            let data = stderr.fileHandleForReading.availableData
            if data.isEmpty { break }
            output += String(decoding: data, as: UTF8.self)
            if let range = output.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(output[range].split(separator: ":").last!)
            }
        }
        let p = try #require(port, "no startup line: \(output)")
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "model": "m", "n": 4, "reasoning_effort": "high", "messages": [["role": "user", "content": "think hard"]]])
        var health = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/health")!)
        health.timeoutInterval = 5
        while ((try? await URLSession.shared.data(for: health))?.1 as? HTTPURLResponse)?.statusCode != 200 {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        // SIGTERM only once the server is decoding the request: a loaded machine may take a while
        // to connect, and a connection that arrives after SIGTERM is rightly refused. On a machine
        // busy with other tests a request can also finish between two looks at /metrics; then a
        // fresh one is sent.
        var metrics = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/metrics")!)
        metrics.timeoutInterval = 5
        var decoding = false
        var inFlight: Task<(Data, URLResponse), any Error>?
        for _ in 0..<3 where !decoding {
            let finished = Flag()
            let attempt = Task { defer { finished.raise() }; return try await URLSession.shared.data(for: request) }
            for _ in 0..<1000 where !decoding && !finished.isRaised {
                if let (data, _) = try? await URLSession.shared.data(for: metrics) {
                    decoding = String(decoding: data, as: UTF8.self).split(separator: "\n")
                        .contains { $0.hasPrefix("strawberry_decoding ") && !$0.hasSuffix(" 0") }
                }
                if !decoding { try await Task.sleep(nanoseconds: 10_000_000) }
            }
            if decoding { inFlight = attempt } else { _ = try? await attempt.value }
        }
        let decodingRequest = try #require(inFlight, "a request reached a decoding slot before SIGTERM")
        kill(server.processIdentifier, SIGTERM)
        let (data, response) = try await decodingRequest.value
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let body = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect((body?["choices"] as? [Any])?.count == 4, "the whole completion arrived")
        for _ in 0..<500 where server.isRunning { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(!server.isRunning && server.terminationStatus == 0, "the server exits cleanly after SIGTERM")
    }
}

/// A flag one task raises and another reads.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    func raise() { lock.withLock { raised = true } }
    var isRaised: Bool { lock.withLock { raised } }
}
