import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model
import Testing
import TestSupport

/// `strawberry serve` as a process: SIGTERM lets the request in flight finish, a second signal
/// ends it at once, a model that fails to load ends it with the reason.
@Suite struct ServeProcessTests {
    static let executable = StrawberryProcess.executable

    @Test func sigtermFinishesTheRequestInFlight() async throws {
        let executable = try #require(Self.executable, "the strawberry executable is built beside the tests")
        let dir = Scratch.path("strawberry-serve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.slow(context: 512), seed: 4)
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
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
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

extension ServeProcessTests {
    /// Starts `serve` on a free port; returns the process, its stderr and the port.
    static func serve(_ arguments: [String]) throws -> (Process, Pipe, Int?) {
        let stderr = Pipe()
        let server = try StrawberryProcess.start(["serve", "--port", "0"] + arguments, stderr: stderr)
        let (_, match) = StrawberryProcess.read(stderr, until: #"http://127\.0\.0\.1:\d+"#)
        return (server, stderr, match.flatMap { Int($0.split(separator: ":").last!) })
    }

    @Test func aSecondSignalEndsTheServerAtOnce() async throws {
        let dir = Scratch.path("strawberry-serve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.slow(context: 4096), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)
        let (server, _, port) = try Self.serve(["--model", dir, "--name", "m", "--timeout", "3600", "--effort", "high=4000,vote:4"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let p = try #require(port, "no startup line")
        var health = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/health")!)
        health.timeoutInterval = 5
        while server.isRunning, ((try? await URLSession.shared.data(for: health))?.1 as? HTTPURLResponse)?.statusCode != 200 {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 3600
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            // Greedy: a random model then rarely closes its thinking, so the request runs for minutes.
            "model": "m", "n": 4, "temperature": 0, "reasoning_effort": "high", "messages": [["role": "user", "content": "think for long"]]])
        let finished = Flag()
        let inFlight = Task { defer { finished.raise() }; return try? await URLSession.shared.data(for: request) }
        // Signal once the request is decoding, so that the first signal has work to wait for.
        var metrics = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/metrics")!)
        metrics.timeoutInterval = 5
        var decoding = false
        while !decoding && server.isRunning && !finished.isRaised {
            if let (data, _) = try? await URLSession.shared.data(for: metrics) {
                decoding = String(decoding: data, as: UTF8.self).split(separator: "\n")
                    .contains { $0.hasPrefix("strawberry_decoding ") && !$0.hasSuffix(" 0") }
            }
            if !decoding { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        try #require(decoding, "the request reached its slots")
        kill(server.processIdentifier, SIGTERM)
        // The first signal is taken once the server stops accepting connections (signals sent
        // together would merge into one).
        while server.isRunning, (try? await URLSession.shared.data(for: health)) != nil {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        kill(server.processIdentifier, SIGTERM)
        let reply = await inFlight.value
        for _ in 0..<6000 where server.isRunning { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(!server.isRunning && server.terminationStatus != 0, "a forced exit, not a clean one")
        #expect((reply?.1 as? HTTPURLResponse)?.statusCode != 200 || reply?.0.isEmpty == true,
                "the request did not run to its end: the second signal ended the server")
    }

    @Test func aModelThatFailsToLoadEndsServeWithItsReason() throws {
        let dir = Scratch.path("strawberry-serve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 64), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)
        let weights = dir + "/" + Checkpoint.modelFile
        let bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: weights))
        let (status, output) = try StrawberryProcess.run(["serve", "--model", dir, "--port", "0"])
        #expect(status != 0, "serve exits non-zero so that a supervisor restarts it: \(output)")
        #expect(output.contains("truncated"), "the reason is logged: \(output)")
    }

    @Test func theAccessLogNamesEachRequest() async throws {
        let dir = Scratch.path("strawberry-access-log")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 64), seed: 4)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: dir)
        let (server, stderr, port) = try Self.serve(["--model", dir, "--access-log"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let p = try #require(port, "no startup line")
        var health = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/health?probe=access-log")!)
        health.timeoutInterval = 30
        _ = try await URLSession.shared.data(for: health)
        // The line is logged before the response is sent; stopping the server then ends stderr,
        // so the read below ends at the line or at the end, never waits on a clock.
        kill(server.processIdentifier, SIGTERM)
        let (output, match) = StrawberryProcess.read(stderr, until: #"/health\?probe=access-log"#)
        #expect(match != nil && output.contains("GET"), "\(output)")
    }

    @Test func anEmptyAPIKeyIsRefused() throws {
        let (status, output) = try StrawberryProcess.run(["serve", "--model", "/nonexistent", "--api-key", ""])
        #expect(status != 0 && output.contains("--api-key"), "\(output)")
    }
}
